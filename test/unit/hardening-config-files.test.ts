import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostManager, MAX_HOSTS } from '../../main/hosts/manager.js';
import { SettingsStore } from '../../main/app/settings.js';
import { saveJson } from '../../main/platform/json-file.js';
import type { ApiError } from '../../common/api-error.js';

const DEAD = (n: number): string => `qemu+tcp://127.0.0.1:${n}/system`;
const quiet = { backoffInitialMs: 600_000, backoffMaxMs: 600_000 };

function managerWith(hosts: string[]): { m: HostManager; dir: string; opened: string[]; problems: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'vs-cfg-'));
  writeFileSync(join(dir, 'hosts.json'), JSON.stringify({ hosts: hosts.map((uri) => ({ uri })) }));
  const m = new HostManager({ configDir: dir, host: quiet });
  const opened: string[] = [];
  const problems: string[] = [];
  m.on('host', (h) => h.status === 'connecting' && !opened.includes(h.uri) && opened.push(h.uri));
  m.on('problem', (p) => problems.push(p));
  return { m, dir, opened, problems };
}

describe('hosts.json and settings.json', () => {
  it('opens one host per URI, however often the file repeats it, and removing it removes it', async () => {
    const { m } = managerWith([DEAD(1), DEAD(2), DEAD(1)]);
    const made: string[] = [];
    m.on('host', (h) => made.push(h.uri));
    m.start();
    assert.deepEqual(
      m.list().map((h) => h.uri),
      [DEAD(1), DEAD(2)],
    );
    assert.equal(made.filter((u) => u === DEAD(1)).length, 1, 'one live host for the repeated URI');
    await m.remove(DEAD(1));
    await m.close();
  });

  it('caps the number of hosts, and says so', async () => {
    const { m, problems } = managerWith(Array.from({ length: MAX_HOSTS + 5 }, (_, i) => DEAD(i + 1)));
    m.start();
    assert.equal(m.list().length, MAX_HOSTS);
    assert.match(problems.join('\n'), new RegExp(`only the first ${MAX_HOSTS}`));
    assert.throws(
      () => m.add(DEAD(9999)),
      (e: ApiError) => e.code === 'conflict',
    );
    await m.close();
  });

  it('saves first: a failed save changes nothing in memory', async () => {
    const { m, dir } = managerWith([DEAD(1)]);
    m.start();
    // A folder where the temporary file goes: every save now fails.
    const file = join(dir, 'hosts.json');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, before);
    const blocker = join(dir, 'hosts.json.' + process.pid + '.tmp');
    mkdirSync(blocker);
    assert.throws(
      () => m.add(DEAD(2)),
      (e: ApiError) => e.code === 'internal' && /Can't save the host list/.test(e.message),
    );
    assert.deepEqual(
      m.list().map((h) => h.uri),
      [DEAD(1)],
      'the host that could not be saved is not live',
    );
    await assert.rejects(m.remove(DEAD(1)), /Can't save the host list/);
    assert.deepEqual(
      m.list().map((h) => h.uri),
      [DEAD(1)],
      'the host that could not be removed from disk is still listed',
    );
    await m.close();

    const s = new SettingsStore(dir);
    s.load();
    const theme = s.get().theme;
    mkdirSync(join(dir, 'settings.json.' + process.pid + '.tmp'));
    assert.throws(() => s.update({ theme: theme === 'dark' ? 'light' : 'dark' }));
    assert.equal(s.get().theme, theme);
  });

  it('makes the folder private on every save, not only when it is new', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vs-cfg-')), 'virtswitch');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    saveJson(join(dir, 'x.json'), { a: 1 });
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'x.json')).mode & 0o777, 0o600);
  });
});
