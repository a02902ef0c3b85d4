/**
 * One virtswitch at a time writes a config folder. The lock is a file, `virtswitch.lock`, made
 * with O_EXCL and holding its owner's pid; a lock whose pid is gone (a crash) is taken over. When
 * another live process holds it, the caller learns which, and runs without saving.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type ConfigLock =
  { held: true; path: string; release: () => void } | { held: false; path: string; holderPid: number; message: string };

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else, which still holds the lock.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // gone in between, or unreadable: treated as no holder
  }
}

function create(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function releaser(path: string): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    // Removed only while it is still ours: a successor that took over a stale lock keeps its own.
    if (readPid(path) === process.pid) unlinkSync(path);
  };
}

/** Takes the lock of `dir` for this process; a stale one (dead pid, or no pid) is taken over. */
export function takeConfigLock(dir: string): ConfigLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'virtswitch.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(path)) return { held: true, path, release: releaser(path) };
    const pid = readPid(path);
    // This process already holds it (a second App in the same process): shared, released by the first.
    if (pid === process.pid) return { held: true, path, release: () => undefined };
    if (pid !== undefined && pidAlive(pid)) {
      const message =
        `Another virtswitch (pid ${pid}) is using the config folder ${dir}; ` +
        `hosts and settings are read-only here until it exits (changes are not saved).`;
      return { held: false, path, holderPid: pid, message };
    }
    try {
      unlinkSync(path); // stale: its holder is gone
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new Error(`could not take the lock ${path}: it keeps changing hands`);
}
