/**
 * The folder for ssh's ControlMaster sockets. Whoever can reach a control socket can ride the
 * SSH connection behind it (and read console traffic, keystrokes included), so the folder must
 * be this user's alone: owned by us, mode 0700 and not a symlink. In a shared /tmp another user
 * can make `virtswitch-ssh-<uid>` first; then a fresh private folder is made instead.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

/** Why `dir` is not a private folder of `uid`, or undefined when it is. */
export function controlDirProblem(dir: string, uid: number): string | undefined {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isDirectory()) return 'is not a folder';
  if (st.uid !== uid) return `belongs to user ${st.uid}`;
  if ((st.mode & 0o777) !== 0o700) return `has mode ${(st.mode & 0o777).toString(8)}, not 700`;
  return undefined;
}

/**
 * `base/virtswitch-ssh-<uid>` when it is (or can be made) private to `uid`; otherwise a new
 * `base/virtswitch-ssh-<uid>-XXXXXX` from mkdtemp, which nobody else can have made.
 */
export function privateControlDir(base: string, uid: number): string {
  const dir = join(base, `virtswitch-ssh-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o700); // the umask may have taken bits; 0700 exactly is what is checked
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (controlDirProblem(dir, uid) === undefined) return dir;
  return mkdtempSync(join(base, `virtswitch-ssh-${uid}-`));
}
