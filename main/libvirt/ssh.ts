/**
 * qemu+ssh:// through the user's own OpenSSH, as libvirt's client does it: `ssh -T -e none host`
 * running virt-ssh-helper on the far side, or `nc -U` to the daemon's socket where the helper is
 * missing. So ~/.ssh/config, agents, ProxyJump and known_hosts work as they do for virsh.
 * The libvirt connection's ssh process is a ControlMaster, so console forwards (`ssh -W`)
 * ride the same SSH connection instead of opening one each. Each link has a control socket of its
 * own: two clients of one host must neither share a login (a second client's key would go unused)
 * nor die together (killing a shared master ends every session riding on it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type { ParsedUri } from './uri.js';
import { privateControlDir } from './control-dir.js';

/** Quotes a string for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface SshOptions {
  connectTimeoutMs: number;
  readOnly?: boolean;
  /** ssh binary (tests point it elsewhere); default "ssh" from PATH. */
  sshPath?: string;
  /** Folder for the ControlMaster socket; default a private folder under XDG_RUNTIME_DIR. */
  controlDir?: string;
}

/** Chosen once per process: a fresh mkdtemp folder each time would leave folders behind. */
let chosenControlDir: { base: string; dir: string } | undefined;

function defaultControlDir(): string {
  const base = process.env.XDG_RUNTIME_DIR || tmpdir();
  if (chosenControlDir?.base !== base)
    chosenControlDir = { base, dir: privateControlDir(base, process.getuid?.() ?? 0) };
  return chosenControlDir.dir;
}

/** The remote command that connects ssh's stdio to the libvirt daemon (libvirt's `proxy=auto`). */
export function remoteProxyCommand(uri: ParsedUri, readOnly: boolean): string {
  const nc = uri.params.get('netcat') ?? 'nc';
  const socket = uri.params.get('socket') ?? `/var/run/libvirt/libvirt-sock${readOnly ? '-ro' : ''}`;
  const helper = `virt-ssh-helper${readOnly ? ' -r ' : ' '}${shellQuote(uri.daemonUri)}`;
  const ncCmd = `if ${shellQuote(nc)} -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;${shellQuote(nc)} $ARG -U ${shellQuote(socket)}`;
  let proxy = uri.params.get('proxy') ?? 'auto';
  // The client can't know a remote user's runtime folder, so /session needs the helper.
  if (uri.session) proxy = 'native';
  if (uri.params.has('socket') || uri.params.has('netcat')) proxy = 'netcat';
  const script =
    proxy === 'netcat'
      ? ncCmd
      : proxy === 'native'
        ? helper
        : `which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then ${helper}; else ${ncCmd}; fi`;
  return `sh -c ${shellQuote(script)}`;
}

export class SshLink {
  /** This link's own control socket: its RPC ssh process is the master, forwards ride on it. */
  readonly controlPath: string;
  private master: ChildProcess | undefined;

  constructor(
    readonly uri: ParsedUri,
    private readonly opts: SshOptions,
  ) {
    this.controlPath = join(opts.controlDir ?? defaultControlDir(), `vs-${randomBytes(8).toString('hex')}`);
  }

  /** ssh's options for this host, the same for the libvirt channel and every forward. */
  baseArgs(): string[] {
    const u = this.uri;
    const args: string[] = [];
    if (u.port) args.push('-p', String(u.port));
    if (u.user) args.push('-l', u.user);
    const key = u.params.get('keyfile');
    if (key) args.push('-i', key);
    args.push('-T', '-e', 'none');
    // No terminal to ask a password in: keys and agents only, unless the URI says no_tty=0.
    if (u.params.get('no_tty') !== '0') args.push('-o', 'BatchMode=yes');
    if (u.params.get('no_verify') === '1') args.push('-o', 'StrictHostKeyChecking=no');
    args.push('-o', `ConnectTimeout=${Math.max(1, Math.ceil(this.opts.connectTimeoutMs / 1000))}`);
    args.push('-o', 'ServerAliveInterval=10', '-o', 'ServerAliveCountMax=3');
    args.push('-o', `ControlPath=${this.controlPath}`);
    return args;
  }

  /** The full argument list of the ssh process that carries the libvirt RPC. */
  rpcArgs(): string[] {
    return [
      ...this.baseArgs(),
      '-o',
      'ControlMaster=yes',
      '-o',
      'ControlPersist=no',
      '--',
      this.uri.host!,
      remoteProxyCommand(this.uri, this.opts.readOnly ?? false),
    ];
  }

  /** Starts ssh with the libvirt proxy command; its stdin/stdout are the RPC byte channel. */
  open(): Duplex {
    const child = spawn(this.opts.sshPath ?? 'ssh', this.rpcArgs(), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.master = child;
    return childDuplex(child, `ssh to ${this.uri.host}`);
  }

  /**
   * A byte channel to an address on the remote host (a VNC port), over the same SSH connection.
   * `socket` forwards to a unix socket there through `nc -U`.
   */
  forward(target: { host: string; port: number } | { socket: string }): Duplex {
    const base = [...this.baseArgs(), '-o', 'ControlMaster=no'];
    const args =
      'socket' in target
        ? [
            ...base,
            '--',
            this.uri.host!,
            `sh -c ${shellQuote(`exec ${shellQuote(this.uri.params.get('netcat') ?? 'nc')} -U ${shellQuote(target.socket)}`)}`,
          ]
        : [
            ...base,
            '-W',
            `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`,
            '--',
            this.uri.host!,
          ];
    const child = spawn(this.opts.sshPath ?? 'ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    return childDuplex(
      child,
      `ssh forward to ${'socket' in target ? target.socket : `${target.host}:${target.port}`} on ${this.uri.host}`,
    );
  }

  close(): void {
    this.master?.kill();
    this.master = undefined;
    // ssh removes its socket on SIGTERM; not if it was killed harder.
    rmSync(this.controlPath, { force: true });
  }
}

/**
 * A child process's stdin/stdout as one Duplex. Its stderr is kept (the last few KiB) so that a
 * failure says what ssh said ("Permission denied (publickey)", "Could not resolve hostname …").
 * The end of its output is reported only once the process has exited and its stderr is fully
 * read: ssh closes its stdout before it exits, and a bare end of data (or an EPIPE on a write)
 * would otherwise hide the reason it gave.
 */
export function childDuplex(child: ChildProcess, label: string): Duplex {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4096);
  });
  const lastLine = (): string =>
    stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? '';
  const stdout = child.stdout!;
  const stdin = child.stdin!;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let outputEnded = false;
  // Write errors (EPIPE when ssh is gone) are explained by the exit that follows, not reported raw.
  stdin.on('error', () => undefined);
  const duplex = new Duplex({
    read() {
      stdout.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (exited || stdin.destroyed) {
        cb();
        return;
      }
      if (stdin.write(chunk)) cb();
      else stdin.once('drain', () => cb());
    },
    final(cb) {
      stdin.end();
      cb();
    },
    destroy(err, cb) {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      cb(err);
    },
  });
  stdout.on('data', (d: Buffer) => {
    if (!duplex.push(d)) stdout.pause();
  });
  stdout.on('end', () => {
    outputEnded = true;
    settle();
  });
  stdout.on('error', () => undefined);
  child.on('error', (e) => duplex.destroy(new Error(`${label}: ${e.message}`)));
  child.on('close', (code, signal) => {
    exited = { code, signal };
    outputEnded = true;
    settle();
  });
  function settle(): void {
    if (!exited || !outputEnded || duplex.destroyed) return;
    const { code, signal } = exited;
    const why = lastLine();
    if (code !== 0 && code !== null) duplex.destroy(new Error(`${label} exited with ${code}${why ? `: ${why}` : ''}`));
    else if (signal && signal !== 'SIGTERM')
      duplex.destroy(new Error(`${label} killed by ${signal}${why ? `: ${why}` : ''}`));
    else duplex.push(null);
  }
  return duplex;
}
