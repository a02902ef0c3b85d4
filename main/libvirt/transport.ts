/**
 * Byte transports to a libvirt daemon: the local unix socket (system or per-user session, the
 * session daemon spawned on demand as libvirt's own client does), SSH, TLS and plain TCP.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { ConnectTimeoutError, whenConnected } from './socket-connect.js';
import { TransportError } from './errors.js';
import { SshLink } from './ssh.js';
import { openTls } from './tls.js';
import { describeUri, type ParsedUri } from './uri.js';

export interface TransportOptions {
  connectTimeoutMs: number;
  readOnly?: boolean;
  sshPath?: string;
  /** Where to look for sockets; tests point these elsewhere. */
  systemSocketDir?: string;
  sessionSocketDir?: string;
  /** The daemon binary spawned for /session when no session daemon runs. */
  sessionDaemon?: string;
}

export interface OpenedTransport {
  stream: Duplex;
  /** The SSH link of a qemu+ssh:// connection, for console forwards over the same connection. */
  ssh?: SshLink;
  /** Where it went, for messages: a socket path or host:port. */
  endpoint: string;
}

const LIBVIRTD_TCP_PORT = 16509;

function connectUnix(path: string, timeoutMs: number): Promise<Socket> {
  return whenConnected(netConnect(path), path, timeoutMs);
}

function socketError(e: NodeJS.ErrnoException, path: string): TransportError {
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new TransportError(
      `permission denied on ${path}`,
      'add your user to the libvirt group (sudo usermod -aG libvirt $USER, then log in again) or run as root',
      { cause: e },
    );
  }
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
    return new TransportError(
      `no libvirt daemon is listening on ${path}`,
      'start it (sudo systemctl start libvirtd) or install it (apt-get install libvirt-daemon-system)',
      { cause: e },
    );
  }
  return new TransportError(`cannot connect to ${path}: ${e.message}`, undefined, { cause: e });
}

/** The per-user runtime folder libvirt uses for session sockets. */
export function sessionSocketDir(): string {
  const rt = process.env.XDG_RUNTIME_DIR;
  return rt ? join(rt, 'libvirt') : join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'libvirt');
}

/** The sockets to try, in libvirt's order: the driver's own (modular) daemon, then libvirtd. */
export function localSocketCandidates(
  uri: ParsedUri,
  opts: Pick<TransportOptions, 'readOnly' | 'systemSocketDir' | 'sessionSocketDir'>,
): string[] {
  const explicit = uri.params.get('socket');
  if (explicit) return [explicit];
  const ro = opts.readOnly && !uri.session ? '-ro' : '';
  const dir = uri.session ? (opts.sessionSocketDir ?? sessionSocketDir()) : (opts.systemSocketDir ?? '/run/libvirt');
  const modular = uri.driver === 'test' ? [] : [join(dir, `virt${uri.driver}d-sock${ro}`)];
  return [...modular, join(dir, `libvirt-sock${ro}`)];
}

async function openUnix(uri: ParsedUri, opts: TransportOptions): Promise<OpenedTransport> {
  const candidates = localSocketCandidates(uri, opts);
  const existing = candidates.filter((p) => existsSync(p));
  let lastError: NodeJS.ErrnoException | undefined;
  for (const path of existing) {
    try {
      return { stream: await connectUnix(path, opts.connectTimeoutMs), endpoint: path };
    } catch (e) {
      lastError = e as NodeJS.ErrnoException;
      if (lastError.code === 'EACCES' || lastError.code === 'EPERM') throw socketError(lastError, path);
    }
  }
  if (uri.session && !uri.params.has('socket')) return spawnSessionDaemon(uri, opts, candidates);
  throw socketError(
    lastError ?? Object.assign(new Error('no socket'), { code: 'ENOENT' }),
    candidates[candidates.length - 1]!,
  );
}

/**
 * No session daemon runs: start one, detached, with `--timeout=120` so it exits when idle, and
 * retry the connection for up to 5 s, as libvirt's client does.
 */
async function spawnSessionDaemon(
  uri: ParsedUri,
  opts: TransportOptions,
  candidates: string[],
): Promise<OpenedTransport> {
  const modular = `/usr/sbin/virt${uri.driver}d`;
  const daemon =
    opts.sessionDaemon ??
    process.env.VIRTD_PATH ??
    process.env.LIBVIRTD_PATH ??
    (existsSync(modular) ? modular : '/usr/sbin/libvirtd');
  if (!existsSync(daemon)) {
    throw new TransportError(
      `no session daemon runs and ${daemon} is not installed`,
      'install libvirt-daemon (apt-get install libvirt-daemon-system)',
    );
  }
  const socket = daemon.endsWith('libvirtd') ? candidates[candidates.length - 1]! : candidates[0]!;
  const child = spawn(daemon, ['--timeout=120'], { detached: true, stdio: 'ignore', env: process.env });
  // A daemon that cannot be started (not executable, …) is an 'error' event: never unhandled.
  let spawnError: Error | undefined;
  let exited: string | undefined;
  child.once('error', (e) => (spawnError = e));
  // Run without -d, the daemon stays in the foreground until idle: an early exit is a failure
  // (unless another client's daemon won the race for the socket, which the connect below finds).
  child.once('exit', (code, signal) => (exited = signal ? `was killed by ${signal}` : `exited with ${code}`));
  child.unref();
  const deadline = Date.now() + Math.max(5000, opts.connectTimeoutMs);
  let last: NodeJS.ErrnoException | undefined;
  while (Date.now() < deadline) {
    if (spawnError)
      throw new TransportError(`cannot start ${daemon} for ${describeUri(uri)}: ${spawnError.message}`, undefined, {
        cause: spawnError,
      });
    try {
      return { stream: await connectUnix(socket, opts.connectTimeoutMs), endpoint: socket };
    } catch (e) {
      last = e as NodeJS.ErrnoException;
      if (last.code !== 'ENOENT' && last.code !== 'ECONNREFUSED') break;
      if (exited)
        throw new TransportError(
          `started ${daemon} for ${describeUri(uri)}, but it ${exited} before its socket ${socket} answered`,
          'run it by hand to see why',
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new TransportError(
    `started ${daemon} for ${describeUri(uri)} but its socket ${socket} never answered${last ? ` (${last.code})` : ''}`,
  );
}

async function openTcp(uri: ParsedUri, opts: TransportOptions): Promise<OpenedTransport> {
  const host = uri.host!;
  const port = uri.port ?? LIBVIRTD_TCP_PORT;
  const socket = await whenConnected(netConnect({ host, port }), `${host}:${port}`, opts.connectTimeoutMs).catch(
    (e: Error) => {
      throw e instanceof ConnectTimeoutError
        ? new TransportError(e.message)
        : new TransportError(`cannot connect to ${host}:${port}: ${e.message}`, undefined, { cause: e });
    },
  );
  return { stream: socket, endpoint: `${host}:${port}` };
}

function openSsh(uri: ParsedUri, opts: TransportOptions): OpenedTransport {
  const ssh = new SshLink(uri, {
    connectTimeoutMs: opts.connectTimeoutMs,
    readOnly: opts.readOnly,
    sshPath: opts.sshPath,
  });
  return { stream: ssh.open(), ssh, endpoint: `ssh ${uri.user ? `${uri.user}@` : ''}${uri.host}` };
}

export async function openTransport(uri: ParsedUri, opts: TransportOptions): Promise<OpenedTransport> {
  switch (uri.transport) {
    case 'unix':
      return openUnix(uri, opts);
    case 'ssh':
      return openSsh(uri, opts);
    case 'tls':
      return openTls(uri, opts);
    case 'tcp':
      return openTcp(uri, opts);
  }
}
