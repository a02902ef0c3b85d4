import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { childDuplex, remoteProxyCommand, shellQuote, SshLink } from '../../main/libvirt/ssh.js';
import { parseUri } from '../../main/libvirt/uri.js';

const NC = `if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'nc' $ARG -U`;

describe('ssh command lines', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vs-ssh-unit-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('quotes for a POSIX shell, single quotes included', () => {
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    const r = spawnSync('sh', ['-c', `printf %s ${shellQuote(`a b'c"$HOME\`x\``)}`], { encoding: 'utf8' });
    assert.equal(r.stdout, `a b'c"$HOME\`x\``);
  });

  it('builds libvirt’s own ssh arguments: -p, -l, -i, -T -e none, then -- host command', () => {
    const link = new SshLink(parseUri('qemu+ssh://admin@kvm1:2222/system?keyfile=/k/id'), {
      connectTimeoutMs: 7000,
      controlDir: dir,
    });
    const args = link.rpcArgs();
    assert.deepEqual(args.slice(0, 9), ['-p', '2222', '-l', 'admin', '-i', '/k/id', '-T', '-e', 'none']);
    const dd = args.indexOf('--');
    assert.deepEqual(args.slice(dd + 1, dd + 2), ['kvm1']);
    assert.equal(args.length, dd + 3, 'the remote command is one argument');
    const opts = args.slice(0, dd).join(' ');
    assert.match(opts, /-o BatchMode=yes/);
    assert.match(opts, /-o ConnectTimeout=7\b/);
    assert.match(opts, /-o ControlMaster=yes/);
    // A control socket of its own, so that two clients of one host share neither a login nor a fate.
    assert.match(link.controlPath, new RegExp(`^${dir}/vs-[0-9a-f]{16}$`));
    assert.ok(opts.includes(`-o ControlPath=${link.controlPath}`));
    const other = new SshLink(parseUri('qemu+ssh://admin@kvm1:2222/system?keyfile=/k/id'), {
      connectTimeoutMs: 7000,
      controlDir: dir,
    });
    assert.notEqual(other.controlPath, link.controlPath);
    assert.doesNotMatch(opts, /StrictHostKeyChecking/);
  });

  it('maps ?no_verify=1 and ?no_tty=0 as libvirt does', () => {
    const a = new SshLink(parseUri('qemu+ssh://h/system?no_verify=1'), { connectTimeoutMs: 1000, controlDir: dir })
      .rpcArgs()
      .join(' ');
    assert.match(a, /-o StrictHostKeyChecking=no/);
    const b = new SshLink(parseUri('qemu+ssh://h/system?no_tty=0'), { connectTimeoutMs: 1000, controlDir: dir })
      .rpcArgs()
      .join(' ');
    assert.doesNotMatch(b, /BatchMode/);
    // No user and no port: ssh's own config decides.
    assert.doesNotMatch(b, /(^| )-[lp] /);
  });

  it('forwards a TCP port with -W over the same control path, and a unix socket through nc -U', async () => {
    const echoArgs = join(dir, 'echo-args.sh');
    writeFileSync(echoArgs, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
    const link = new SshLink(parseUri('qemu+ssh://root@h/system'), {
      connectTimeoutMs: 1000,
      controlDir: dir,
      sshPath: echoArgs,
    });
    const argsOf = async (d: NodeJS.ReadableStream): Promise<string[]> => {
      const chunks: Buffer[] = [];
      for await (const c of d) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString().split('\n').slice(0, -1);
    };
    const tcp = await argsOf(link.forward({ host: '127.0.0.1', port: 5901 }));
    assert.deepEqual(tcp.slice(tcp.indexOf('-W')), ['-W', '127.0.0.1:5901', '--', 'h']);
    assert.ok(tcp.includes('ControlMaster=no') && tcp.includes(`ControlPath=${link.controlPath}`));
    const v6 = await argsOf(link.forward({ host: '::1', port: 5902 }));
    assert.ok(v6.includes('[::1]:5902'));
    const unix = await argsOf(link.forward({ socket: '/run/vnc sock' }));
    assert.deepEqual(unix.slice(-2), ['h', `sh -c ${shellQuote(`exec 'nc' -U '/run/vnc sock'`)}`]);
  });

  it('remote proxy, auto: virt-ssh-helper when present, else nc -U on the legacy socket', () => {
    const cmd = remoteProxyCommand(parseUri('qemu+ssh://h/system'), false);
    const script = `which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then virt-ssh-helper 'qemu:///system'; else ${NC} '/var/run/libvirt/libvirt-sock'; fi`;
    assert.equal(cmd, `sh -c ${shellQuote(script)}`);
  });

  it('remote proxy, read-only: helper -r and the -ro socket', () => {
    const cmd = remoteProxyCommand(parseUri('qemu+ssh://h/system'), true);
    assert.ok(cmd.includes(`virt-ssh-helper -r '\\''qemu:///system'\\''`), cmd);
    assert.ok(cmd.includes('/var/run/libvirt/libvirt-sock-ro'), cmd);
  });

  it('remote proxy, netcat: forced by ?proxy=netcat, ?socket= or ?netcat=', () => {
    const plain = `sh -c ${shellQuote(`${NC} '/var/run/libvirt/libvirt-sock'`)}`;
    assert.equal(remoteProxyCommand(parseUri('qemu+ssh://h/system?proxy=netcat'), false), plain);
    assert.equal(
      remoteProxyCommand(parseUri('qemu+ssh://h/system?socket=/run/libvirt/virtqemud-sock'), false),
      `sh -c ${shellQuote(`${NC} '/run/libvirt/virtqemud-sock'`)}`,
    );
    const custom = remoteProxyCommand(parseUri('qemu+ssh://h/system?netcat=/usr/bin/ncat'), false);
    assert.ok(custom.includes(`'\\''/usr/bin/ncat'\\'' $ARG -U`), custom);
  });

  it('remote proxy, native: virt-ssh-helper only, always for /session', () => {
    assert.equal(
      remoteProxyCommand(parseUri('qemu+ssh://h/system?proxy=native'), false),
      `sh -c ${shellQuote(`virt-ssh-helper 'qemu:///system'`)}`,
    );
    assert.equal(
      remoteProxyCommand(parseUri('qemu+ssh://h/session'), false),
      `sh -c ${shellQuote(`virt-ssh-helper 'qemu:///session'`)}`,
    );
  });

  it('the remote command survives the remote shell: sh runs it as one script', () => {
    // What sshd does with the command: hand it to the login shell with -c.
    const cmd = remoteProxyCommand(parseUri("qemu+ssh://h/system?proxy=netcat&socket=/no/such/dir/it's-sock"), false);
    const r = spawnSync('sh', ['-c', cmd.replaceAll("'nc'", "'echo'")], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /-U \/no\/such\/dir\/it's-sock/);
  });
});

describe('a child process as the RPC byte channel', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vs-ssh-unit-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const script = (name: string, body: string): string => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  };

  it('carries bytes both ways and ends cleanly when the process exits 0', async () => {
    const child = spawn(script('cat.sh', 'exec cat'), [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const d = childDuplex(child, 'fake ssh');
    const chunks: Buffer[] = [];
    d.on('data', (c: Buffer) => chunks.push(c));
    d.write('hello ');
    d.end('world');
    await once(d, 'end');
    assert.equal(Buffer.concat(chunks).toString(), 'hello world');
  });

  it('fails with what ssh said on stderr, even when its stdout closes before it exits', async () => {
    for (let i = 0; i < 5; i++) {
      const child = spawn(
        script(
          'deny.sh',
          'exec 1>&-; sleep 0.05; echo "debug1: noise" >&2; echo "root@127.0.0.1: Permission denied (publickey)." >&2; exit 255',
        ),
        [],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      const d = childDuplex(child, 'ssh to 127.0.0.1');
      d.on('data', () => undefined);
      d.write('x'.repeat(100_000)); // may hit EPIPE: must not be the reported reason
      const [err] = (await once(d, 'error')) as [Error];
      assert.equal(err.message, 'ssh to 127.0.0.1 exited with 255: root@127.0.0.1: Permission denied (publickey).');
    }
  });

  it('reports a missing ssh binary', async () => {
    const child = spawn(join(dir, 'no-such-ssh'), [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const d = childDuplex(child, 'ssh to h');
    const [err] = (await once(d, 'error')) as [Error];
    assert.match(err.message, /ssh to h: spawn .*no-such-ssh ENOENT/);
  });

  it('kills the process when the channel is destroyed', async () => {
    const child = spawn(script('sleep.sh', 'exec sleep 30'), [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const d = childDuplex(child, 'ssh');
    d.destroy();
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.equal(signal, 'SIGTERM');
  });
});
