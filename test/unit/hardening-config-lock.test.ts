import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../main/app/api.js';
import { takeConfigLock } from '../../main/platform/config-lock.js';
import type { ApiError } from '../../common/api-error.js';

const DEAD = (n: number): string => `qemu+tcp://127.0.0.1:${n}/system`;
const quiet = { backoffInitialMs: 600_000, backoffMaxMs: 600_000 };

function dirWith(hosts: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'vs-lock-'));
  writeFileSync(join(dir, 'hosts.json'), JSON.stringify({ hosts: hosts.map((uri) => ({ uri })) }));
  return dir;
}

/** A live process that is not this one: the other virtswitch. */
function otherProcess(): { pid: number; stop: () => void } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

describe('the config folder lock', () => {
  it('a second virtswitch says which pid holds the folder and does not overwrite its files', async (t) => {
    const dir = dirWith([DEAD(1)]);
    const other = otherProcess();
    try {
      writeFileSync(join(dir, 'virtswitch.lock'), `${other.pid}\n`);
      const hostsBefore = readFileSync(join(dir, 'hosts.json'), 'utf8');
      const app = new App({ configDir: dir, host: quiet });
      t.after(() => app.close());
      const problems: string[] = [];
      app.on('problem', (p) => problems.push(p));
      app.start();
      assert.match(problems.join('\n'), new RegExp(`Another virtswitch \\(pid ${other.pid}\\)`));
      assert.match(app.state().configReadOnly ?? '', new RegExp(`pid ${other.pid}.*read-only`));
      const s = app.session();
      await assert.rejects(s.invoke('hosts.add', { uri: DEAD(2) }), (e: ApiError) => e.code === 'conflict');
      await assert.rejects(s.invoke('hosts.remove', { host: DEAD(1) }), /pid \d+/);
      await assert.rejects(s.invoke('settings.update', { theme: 'dark' }), /read-only/);
      assert.equal(readFileSync(join(dir, 'hosts.json'), 'utf8'), hostsBefore);
      assert.equal(existsSync(join(dir, 'settings.json')), false, 'no settings written');
      assert.deepEqual(
        app.hosts.list().map((h) => h.uri),
        [DEAD(1)],
      );
      await app.close();
      assert.equal(readFileSync(join(dir, 'virtswitch.lock'), 'utf8').trim(), String(other.pid), 'its lock is kept');
    } finally {
      other.stop();
    }
  });

  it('takes over a stale lock whose pid is gone, writes normally, and releases it on close', async (t) => {
    const dir = dirWith([DEAD(1)]);
    const gone = otherProcess();
    gone.stop();
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(join(dir, 'virtswitch.lock'), `${gone.pid}\n`);
    const app = new App({ configDir: dir, host: quiet });
    t.after(() => app.close());
    app.start();
    assert.equal(app.state().configReadOnly, undefined);
    assert.equal(readFileSync(join(dir, 'virtswitch.lock'), 'utf8').trim(), String(process.pid));
    await app.session().invoke('hosts.add', { uri: DEAD(2) });
    assert.match(readFileSync(join(dir, 'hosts.json'), 'utf8'), /127\.0\.0\.1:2/);
    await app.close();
    assert.equal(existsSync(join(dir, 'virtswitch.lock')), false, 'released');
  });

  it('the lock is made exclusively and names its holder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-lock-'));
    const a = takeConfigLock(dir);
    assert.ok(a.held);
    assert.equal(readFileSync(a.path, 'utf8').trim(), String(process.pid));
    a.release();
    assert.equal(existsSync(a.path), false);
  });
});
