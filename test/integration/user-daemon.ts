/**
 * Per-user libvirtd processes run as uid 65534 (nobody), which the daemon tests may kill, stop and
 * restart at will without touching the system daemon other suites share, and scripts run as nobody
 * (a user outside the libvirt group, with a runtime folder of its own).
 */
import { after, before } from 'node:test';
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
import { waitFor } from '../rig/wait.js';

export const NOBODY = 65534;
export const REPO = new URL('../../', import.meta.url).pathname;

/** A folder nobody owns, for a per-user daemon's runtime, config and home. */
export function nobodyDir(parent: string, name: string): string {
  const d = join(parent, name);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  chownSync(d, NOBODY, NOBODY);
  return d;
}

export function userEnv(base: string): NodeJS.ProcessEnv {
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
export class UserDaemon {
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
export function runAsNobody(
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
export function userDaemonsIn(runtimeDir: string): { pid: number; args: string[] }[] {
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

export interface UserDaemons {
  /** The folder (owned by nobody) the daemons and scripts of this file work in. */
  readonly base: string;
  /** Starts a per-user daemon in a folder of its own, killed after the file's tests. */
  daemon(name: string, keepalive?: { interval: number; count: number }): Promise<UserDaemon>;
  /** Processes the file's scripts started (a spawned session daemon), killed after its tests. */
  spawned(pids: readonly number[]): void;
}

/** Registers, on the enclosing describe, the folder for per-user daemons and their teardown. */
export function useUserDaemons(): UserDaemons {
  let base = '';
  const daemons: UserDaemon[] = [];
  const spawnedPids: number[] = [];
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
    if (base) rmSync(base, { recursive: true, force: true });
  });
  return {
    get base() {
      return base;
    },
    async daemon(name, keepalive) {
      const d = new UserDaemon(nobodyDir(base, name), keepalive);
      daemons.push(d);
      await d.start();
      return d;
    },
    spawned(pids) {
      spawnedPids.push(...pids);
    },
  };
}
