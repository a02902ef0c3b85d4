/**
 * A JSON document in the user's config folder, written atomically (temp file, fsync, rename).
 * A file that can't be read or parsed is never silently dropped: it is moved aside to
 * `NAME.corrupt-<time>` and the problem is reported, and the defaults take its place.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** $XDG_CONFIG_HOME/virtswitch, else ~/.config/virtswitch. */
export function configDir(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'virtswitch');
}

export interface LoadResult<T> {
  value: T;
  /** Set when the file was corrupt: what happened and where the old file went. */
  problem?: string;
}

export function loadJson<T>(path: string, fallback: T, validate: (raw: unknown) => T): LoadResult<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { value: fallback };
    return { value: fallback, problem: `cannot read ${path}: ${(e as Error).message}` };
  }
  try {
    return { value: validate(JSON.parse(text)) };
  } catch (e) {
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(path, aside);
    } catch {
      return { value: fallback, problem: `${path} is corrupt (${(e as Error).message}) and could not be moved aside` };
    }
    return {
      value: fallback,
      problem: `${path} was corrupt (${(e as Error).message}); it was kept as ${aside} and defaults are in use`,
    };
  }
}

/**
 * Writes `value` so that a crash leaves the old file or the new one, never half of either: the
 * data and then the folder's entry are synced. The folder is made private every time, not only
 * when it is new (it may have been made by something else, or loosened since).
 */
export function saveJson(path: string, value: unknown): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
