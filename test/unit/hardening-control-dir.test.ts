import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateControlDir } from '../../main/libvirt/control-dir.js';
import { SshLink } from '../../main/libvirt/ssh.js';
import { parseUri } from '../../main/libvirt/uri.js';

const me = process.getuid!();
const fresh = (): string => mkdtempSync(join(tmpdir(), 'vs-ctl-'));

function assertPrivate(dir: string, base: string): void {
  const st = lstatSync(dir);
  assert.ok(st.isDirectory() && !st.isSymbolicLink(), `${dir} is a real folder`);
  assert.equal(st.uid, me);
  assert.equal(st.mode & 0o777, 0o700);
  assert.ok(dir.startsWith(`${base}/virtswitch-ssh-`), dir);
}

describe('the SSH control-socket folder', () => {
  it('is made private when nobody made it first, and reused while it stays private', () => {
    const base = fresh();
    const dir = privateControlDir(base, me);
    assert.equal(dir, join(base, `virtswitch-ssh-${me}`));
    assertPrivate(dir, base);
    assert.equal(privateControlDir(base, me), dir);
  });

  it('is not one left open to others (mode 0755 or 0777)', () => {
    for (const mode of [0o755, 0o777, 0o710]) {
      const base = fresh();
      const planted = join(base, `virtswitch-ssh-${me}`);
      mkdirSync(planted);
      chmodSync(planted, mode);
      const dir = privateControlDir(base, me);
      assert.notEqual(dir, planted, `mode ${mode.toString(8)}`);
      assertPrivate(dir, base);
    }
  });

  it('is not one another user owns', () => {
    const base = fresh();
    const other = me + 1;
    const planted = join(base, `virtswitch-ssh-${other}`);
    mkdirSync(planted, { mode: 0o700 }); // owned by "me", not by the user it is named for
    chmodSync(planted, 0o700);
    const dir = privateControlDir(base, other);
    assert.notEqual(dir, planted);
    assert.ok(dir.startsWith(`${base}/virtswitch-ssh-${other}-`));
  });

  it('is not a symbolic link, even to a private folder, nor a plain file', () => {
    const base = fresh();
    const target = join(base, 'elsewhere');
    mkdirSync(target, { mode: 0o700 });
    chmodSync(target, 0o700);
    symlinkSync(target, join(base, `virtswitch-ssh-${me}`));
    const dir = privateControlDir(base, me);
    assert.notEqual(dir, join(base, `virtswitch-ssh-${me}`));
    assertPrivate(dir, base);

    const base2 = fresh();
    writeFileSync(join(base2, `virtswitch-ssh-${me}`), '');
    assertPrivate(privateControlDir(base2, me), base2);
  });

  it('an SSH link never puts its control socket in a folder another user could have planted', () => {
    const base = fresh();
    const planted = join(base, `virtswitch-ssh-${me}`);
    mkdirSync(planted);
    chmodSync(planted, 0o777);
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = base;
    try {
      const link = new SshLink(parseUri('qemu+ssh://h/system'), { connectTimeoutMs: 1000 });
      assert.ok(!link.controlPath.startsWith(`${planted}/`), link.controlPath);
      assertPrivate(join(link.controlPath, '..'), base);
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    }
  });
});
