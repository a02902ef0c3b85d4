/**
 * The wire client against daemons that die, stop, go silent or refuse: keepalive both ways, a
 * daemon killed mid-call, a stopped one detected by keepalive, reconnecting with persistent
 * subscriptions, the session daemon spawned on demand for a non-root user, and the system
 * daemon's polkit refusal for a user outside the libvirt group.
 *
 * Other suites share the system libvirtd, so nothing here kills or stops it: the daemons killed
 * and stopped are this file's own per-user libvirtd processes, run as uid 65534 (nobody).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthError,
  ConnectionClosedError,
  LibvirtClient,
  LifecycleEvent,
  type KeepaliveCounters,
} from '../../main/libvirt/index.js';
import { encodePacket, PacketReader } from '../../main/libvirt/packet.js';
import { KEEPALIVE_PROGRAM, MessageStatus, MessageType, REMOTE_PROGRAM } from '../../main/libvirt/protocol.js';
import { waitFor, within } from './libvirt-helpers.js';

const NOBODY = 65534;
const REPO = new URL('../../', import.meta.url).pathname;

/** A folder nobody owns, for a per-user daemon's runtime, config and home. */
function nobodyDir(parent: string, name: string): string {
  const d = join(parent, name);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  chownSync(d, NOBODY, NOBODY);
  return d;
}

function userEnv(base: string): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: nobodyDir(base, 'home'),
    XDG_RUNTIME_DIR: nobodyDir(base, 'run'),
    XDG_CONFIG_HOME: nobodyDir(base, 'config'),
    XDG_CACHE_HOME: nobodyDir(base, 'cache'),
    LANG: 'C',
  };
}

/** A per-user libvirtd run as nobody, which this test may kill and stop at will. */
class UserDaemon {
  private child: ChildProcess | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly socket: string;
  private readonly conf: string;

  constructor(
    readonly base: string,
    keepalive?: { interval: number; count: number },
  ) {
    this.env = userEnv(base);
    this.socket = join(this.env.XDG_RUNTIME_DIR!, 'libvirt', 'libvirt-sock');
    this.conf = join(base, 'libvirtd.conf');
    writeFileSync(
      this.conf,
      keepalive ? `keepalive_interval = ${keepalive.interval}\nkeepalive_count = ${keepalive.count}\n` : '',
    );
    chownSync(this.conf, NOBODY, NOBODY);
  }

  get pid(): number {
    return this.child!.pid!;
  }

  async start(): Promise<void> {
    const child = spawn('/usr/sbin/libvirtd', ['--timeout=120', '-f', this.conf], {
      uid: NOBODY,
      gid: NOBODY,
      env: this.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child = child;
    await waitFor(
      `the user daemon's socket ${this.socket} (${stderr.trim()})`,
      () => canConnect(this.socket),
      20_000,
      20,
    );
  }

  /** A URI of the daemon's, reached through its socket (the client's ?socket= parameter). */
  uri(driverUri = 'test:///default'): string {
    return `${driverUri}?socket=${encodeURIComponent(this.socket)}`;
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGKILL'); // kills a stopped process too, without letting it run once more first
    await new Promise((r) => c.once('exit', r));
  }
}

function canConnect(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Runs a small TypeScript script as nobody with the given environment; returns what it printed. */
function runAsNobody(
  dir: string,
  source: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = join(dir, `script-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(script, source, { mode: 0o644 });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      uid: NOBODY,
      gid: NOBODY,
      cwd: REPO,
      env: { ...env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The libvirtd processes running as nobody whose environment names this runtime folder. */
function userDaemonsIn(runtimeDir: string): { pid: number; args: string[] }[] {
  const out: { pid: number; args: string[] }[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      if (!new RegExp(`^Uid:\\s+${NOBODY}\\b`, 'm').test(status)) continue;
      const args = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (!args[0]?.endsWith('libvirtd')) continue;
      const env = readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      if (env.includes(`XDG_RUNTIME_DIR=${runtimeDir}`)) out.push({ pid: Number(p), args });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

describe('libvirt wire client: daemons that die, stop, go silent or refuse', () => {
  let base: string;
  const daemons: UserDaemon[] = [];
  const spawnedPids: number[] = [];

  const daemon = async (name: string, keepalive?: { interval: number; count: number }): Promise<UserDaemon> => {
    const d = new UserDaemon(nobodyDir(base, name), keepalive);
    daemons.push(d);
    await d.start();
    return d;
  };

  before(() => {
    base = mkdtempSync(join(tmpdir(), 'vs-daemon-'));
    chownSync(base, NOBODY, NOBODY);
  });

  after(async () => {
    for (const d of daemons) await d.kill();
    for (const pid of spawnedPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    rmSync(base, { recursive: true, force: true });
  });

  it('keepalive: idle for 16 s, connections stay alive and usable, the daemons’ pings answered', async () => {
    // (1) The system daemon with its defaults (ping after 5 s of silence) and ours.
    const sys = await LibvirtClient.connect('qemu:///system');
    // (2) A daemon that pings every second and drops a client after 2 unanswered pings, while our
    //     own pings are off (interval far beyond the test): only our answers can keep it alive.
    const d = await daemon('keepalive', { interval: 1, count: 2 });
    const user = await LibvirtClient.connect(d.uri(), { keepalive: { intervalMs: 600_000, count: 5 } });
    // (3) The control: a raw client that asks for keepalive and never answers is dropped.
    const raw = connect(d.socket);
    const rawClosed = new Promise<number>((resolve) => raw.once('close', () => resolve(performance.now())));
    raw.on('error', () => undefined);
    let rawPings = 0;
    const rawReader = new PacketReader((h) => {
      if (h.prog === KEEPALIVE_PROGRAM) rawPings++;
    });
    raw.on('data', (b: Buffer) => rawReader.push(b));
    const call = (serial: number, proc: number, body?: Buffer): Buffer =>
      encodePacket(
        { prog: REMOTE_PROGRAM, vers: 1, proc, type: MessageType.Call, serial, status: MessageStatus.Ok },
        undefined,
        body,
      );
    raw.write(call(1, 66)); // AUTH_LIST
    raw.write(call(2, 60, Buffer.from('0000000a', 'hex'))); // SUPPORTS_FEATURE(PROGRAM_KEEPALIVE)
    const rawStart = performance.now();

    const disconnects: Error[] = [];
    sys.on('disconnect', (e) => disconnects.push(e));
    user.on('disconnect', (e) => disconnects.push(e));
    try {
      await new Promise((r) => setTimeout(r, 16_000));
      assert.deepEqual(disconnects, []);
      assert.ok(sys.connected && user.connected);
      assert.equal((await sys.call('connectGetUri', undefined)).uri, 'qemu:///system');
      assert.equal((await user.call('connectGetUri', undefined)).uri, 'test:///default');
      const ka = (c: LibvirtClient): KeepaliveCounters => c.keepaliveCounters;
      assert.ok(ka(user).pingsReceived >= 8, `the user daemon pinged ${ka(user).pingsReceived} times`);
      assert.equal(ka(user).pongsSent, ka(user).pingsReceived);
      assert.equal(ka(user).pingsSent, 0);
      assert.ok(ka(sys).pingsSent + ka(sys).pingsReceived >= 2, 'keepalive traffic with the system daemon');
      assert.equal(ka(sys).pongsSent, ka(sys).pingsReceived);
      // The control was dropped after ~3 s of unanswered pings.
      const closedAt = await within(rawClosed, 1000, 'the silent raw client to be dropped');
      assert.ok(
        rawPings >= 1 && closedAt - rawStart < 10_000,
        `raw client: ${rawPings} pings, dropped after ${Math.round(closedAt - rawStart)} ms`,
      );
    } finally {
      raw.destroy();
      await sys.close();
      await user.close();
    }
  });

  it('a stopped daemon (SIGSTOP) is detected by keepalive within a bounded time: a clear ConnectionClosedError', async () => {
    const d = await daemon('stopped');
    const c = await LibvirtClient.connect(d.uri(), { keepalive: { intervalMs: 300, count: 2 } });
    const disconnected = new Promise<Error>((r) => c.once('disconnect', r));
    assert.equal((await c.call('connectGetUri', undefined)).uri, 'test:///default');
    d.signal('SIGSTOP');
    try {
      const pending = c.call('connectGetHostname', undefined);
      const err = await within(
        pending.then(
          () => new Error('resolved?'),
          (e: unknown) => e as Error,
        ),
        10_000,
        'the call to a stopped daemon',
      );
      assert.ok(err instanceof ConnectionClosedError, String(err));
      assert.match(
        err.message,
        /connectGetHostname failed: libvirt at test:\/\/\/default stopped answering \(no reply to keepalive for \d+ s\)/,
      );
      const why = await within(disconnected, 1000, 'the disconnect event');
      assert.ok(why instanceof ConnectionClosedError);
      assert.equal(c.connected, false);
    } finally {
      d.signal('SIGCONT');
      await c.close();
    }
  });

  it('the daemon killed mid-call rejects every pending call at once and never hangs', async () => {
    const d = await daemon('killed');
    const c = await LibvirtClient.connect(d.uri(), { keepalive: false });
    const [dom] = await c.listAllDomains();
    // Stop it first, so that every call below is certainly in flight when it dies.
    d.signal('SIGSTOP');
    const calls = [
      ...Array.from({ length: 10 }, () => c.call('domainGetState', { dom: dom!, flags: 0 })),
      c.call('connectGetCapabilities', undefined),
      c.screenshot(dom!),
    ];
    const settled = Promise.allSettled(calls);
    await new Promise((r) => setTimeout(r, 200));
    await d.kill();
    const results = await within(settled, 5000, 'the pending calls of a killed daemon');
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof ConnectionClosedError, String(r.reason));
      assert.match((r.reason as Error).message, /failed: connection to test:\/\/\/default (closed|failed)/);
    }
    assert.equal(c.connected, false);
    await assert.rejects(c.call('connectGetUri', undefined), ConnectionClosedError);
    await c.close();
  });

  it('a daemon killed while calls stream in: none of them hangs', async () => {
    const d = await daemon('killed-busy');
    const c = await LibvirtClient.connect(d.uri(), { keepalive: false });
    const [dom] = await c.listAllDomains();
    let stop = false;
    let done = 0;
    const failures: unknown[] = [];
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          await c.call('domainGetState', { dom: dom!, flags: 0 });
          done++;
        } catch (e) {
          failures.push(e);
          return;
        }
      }
    };
    const workers = Promise.all(Array.from({ length: 8 }, worker));
    await waitFor('some calls to complete', () => done > 200);
    await d.kill();
    await within(workers, 5000, 'the workers');
    stop = true;
    assert.equal(failures.length, 8);
    assert.ok(failures.every((f) => f instanceof ConnectionClosedError));
  });

  it('subscriptions asked to be persistent survive a reconnect to a restarted daemon; the others do not', async () => {
    const d = await daemon('reconnect');
    const c = await LibvirtClient.connect(d.uri());
    const persistent: number[] = [];
    const oneShot: number[] = [];
    await c.subscribe('lifecycle', (b) => persistent.push(b.event), { persistent: true });
    await c.subscribe('lifecycle', (b) => oneShot.push(b.event));
    let [dom] = await c.listAllDomains();
    await c.call('domainSuspend', { dom: dom! });
    await waitFor('both subscriptions to hear the suspend', () => persistent.length === 1 && oneShot.length === 1);
    const disconnected = new Promise<Error>((r) => c.once('disconnect', r));
    const reconnected = new Promise<void>((r) => c.once('reconnect', r));
    await d.kill();
    await within(disconnected, 5000, 'the disconnect');
    await d.start(); // a new daemon, with a fresh test:///default (the domain runs again)
    await c.reconnect();
    await within(reconnected, 1000, 'the reconnect event');
    [dom] = await c.listAllDomains();
    await c.call('domainSuspend', { dom: dom! });
    await c.call('domainResume', { dom: dom! });
    await waitFor('the persistent subscription to hear both', () => persistent.length === 3);
    assert.deepEqual(persistent, [LifecycleEvent.SUSPENDED, LifecycleEvent.SUSPENDED, LifecycleEvent.RESUMED]);
    assert.deepEqual(oneShot, [LifecycleEvent.SUSPENDED], 'the other one was dropped');
    // reconnect() itself is not a disconnect.
    let spurious = 0;
    c.on('disconnect', () => spurious++);
    await c.reconnect();
    assert.equal(spurious, 0);
    await c.call('domainSuspend', { dom: dom! });
    await waitFor('the subscription to survive a second reconnect too', () => persistent.length === 4);
    await c.close();
  });

  it('qemu:///session of a running per-user daemon, found through the sessionSocketDir option', async () => {
    const d = await daemon('session');
    const dir = join(d.env.XDG_RUNTIME_DIR!, 'libvirt');
    const c = await LibvirtClient.connect('qemu:///session', {
      sessionSocketDir: dir,
      sessionDaemon: '/nonexistent/never-spawned',
    });
    try {
      assert.equal((await c.call('connectGetUri', undefined)).uri, 'qemu:///session');
      assert.deepEqual(await c.call('connectGetType', undefined), { type: 'QEMU' });
      assert.match((await c.call('connectGetCapabilities', undefined)).capabilities, /<domain type='qemu'/);
    } finally {
      await c.close();
    }
  });

  it('qemu:///session as a non-root user with no daemon running: the client spawns libvirtd --timeout=120', async () => {
    const env = userEnv(nobodyDir(base, 'spawn'));
    const runtime = env.XDG_RUNTIME_DIR!;
    assert.deepEqual(userDaemonsIn(runtime), []);
    const r = await runAsNobody(
      base,
      `import { LibvirtClient } from ${JSON.stringify(join(REPO, 'main/libvirt/index.ts'))};
const c = await LibvirtClient.connect('qemu:///session');
const { uri } = await c.call('connectGetUri', undefined);
const { libVer } = await c.call('connectGetLibVersion', undefined);
console.log(JSON.stringify({ uri, libVer, uid: process.getuid() }));
await c.close();
`,
      env,
    );
    const found = userDaemonsIn(runtime);
    spawnedPids.push(...found.map((f) => f.pid));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { uri: 'qemu:///session', libVer: 9000000, uid: NOBODY });
    assert.equal(found.length, 1, 'one session daemon, started by the client');
    assert.deepEqual(found[0]!.args, ['/usr/sbin/libvirtd', '--timeout=120']);
    assert.ok(existsSync(join(runtime, 'libvirt', 'libvirt-sock')));
    // The next client finds the running daemon instead of starting another.
    const again = await runAsNobody(
      base,
      `import { LibvirtClient } from ${JSON.stringify(join(REPO, 'main/libvirt/index.ts'))};
const c = await LibvirtClient.connect('qemu:///session');
console.log((await c.call('connectGetUri', undefined)).uri);
await c.close();
`,
      env,
    );
    assert.equal(again.stdout.trim(), 'qemu:///session', again.stderr);
    assert.equal(userDaemonsIn(runtime).length, 1);
  });

  it('a user outside the libvirt group on the system socket: AUTH_LIST offers polkit, polkit fails, the AuthError says what to do', async () => {
    const env = userEnv(nobodyDir(base, 'polkit'));
    const r = await runAsNobody(
      base,
      `import { LibvirtClient } from ${JSON.stringify(join(REPO, 'main/libvirt/index.ts'))};
import { RpcConnection } from ${JSON.stringify(join(REPO, 'main/libvirt/connection.ts'))};
import { connect } from 'node:net';
const s = connect('/run/libvirt/libvirt-sock');
await new Promise((r) => s.once('connect', r));
const raw = new RpcConnection(s, 'raw');
const types = (await raw.call('authList', undefined)).types;
raw.destroy();
try {
  await LibvirtClient.connect('qemu:///system', { connectTimeoutMs: 20000 });
  console.log(JSON.stringify({ types, opened: true }));
} catch (e) {
  console.log(JSON.stringify({ types, name: e.name, message: e.message, cause: e.cause?.message, code: e.cause?.code }));
}
`,
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as {
      types: number[];
      name: string;
      message: string;
      cause: string;
      code: number;
    };
    assert.deepEqual(out.types, [2], 'AUTH_LIST offers only polkit');
    assert.equal(out.name, AuthError.name);
    assert.match(out.message, /libvirt at qemu:\/\/\/system refused access for this user/);
    assert.match(out.message, /add the user to the libvirt group \(sudo usermod -aG libvirt \$USER/);
    // No D-Bus system bus here, so polkit itself fails: libvirt says so, and the cause keeps it.
    assert.ok(out.code > 0);
    assert.match(out.cause, /bus|polkit|authentication/i);
  });
});
