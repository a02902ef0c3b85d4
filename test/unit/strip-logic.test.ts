/** The strip's pure logic at scale: host labels, type-to-filter, and the rows it builds. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GuestInfo, HostInfo } from '../../common/contract.js';
import { filterGuests } from '../../renderer/src/state/filter.js';
import { hostLabel } from '../../renderer/src/state/host-label.js';
import { autoMode, layoutRows, visibleRange } from '../../renderer/src/state/strip-layout.js';
import { guestInfo } from '../fixtures/guest-info.js';

const host = (uri: string, extra: Partial<HostInfo> = {}): HostInfo => ({ uri, status: 'connected', ...extra });
const HEIGHTS = { host: 36, hostWithError: 80, guest: 30, empty: 30 };
const R1 = 'test+unix:///tmp/x/rack-01.xml';
const R2 = 'test+unix:///tmp/x/rack-02.xml';

describe('host labels', () => {
  it('names a test-driver host by its file, a remote one by its host, the local daemon as this computer', () => {
    assert.equal(hostLabel(R1), 'rack-01 (test)');
    assert.equal(hostLabel('test:///default'), 'test host');
    assert.equal(hostLabel('qemu+ssh://root@lab-3/system'), 'root@lab-3');
    assert.equal(hostLabel('qemu:///system'), 'this computer');
    assert.equal(hostLabel('qemu:///session'), 'this computer (session)');
  });
});

describe('type-to-filter', () => {
  const guests: GuestInfo[] = [
    guestInfo({ host: R1, name: 'web-1', state: 'running' }),
    guestInfo({ host: R1, name: 'db-1', state: 'shutoff' }),
    guestInfo({ host: R2, name: 'web-2', state: 'paused' }),
  ];
  const names = (q: string): string[] => filterGuests(guests, q, hostLabel).map((g) => g.name);

  it('matches every word against name, host and state, ignoring case, keeping the order', () => {
    assert.deepEqual(names(''), ['web-1', 'db-1', 'web-2']);
    assert.deepEqual(names('WEB'), ['web-1', 'web-2']);
    assert.deepEqual(names('rack-02'), ['web-2']);
    assert.deepEqual(names('off'), ['db-1']);
    assert.deepEqual(names('web paused'), ['web-2']);
    assert.deepEqual(names('web off'), []);
  });
});

describe('strip rows', () => {
  const hosts = [host(R1), host(R2, { status: 'failed', error: 'refused' })];
  const all = Array.from({ length: 50 }, (_, i) =>
    guestInfo({ host: i < 40 ? R1 : R2, name: `g${String(i).padStart(2, '0')}` }),
  );

  it('lists a header per host then its guests; a folded host shows only its header', () => {
    const open = layoutRows(hosts, all, all, new Set(), false, HEIGHTS);
    assert.equal(open.rows.length, 52);
    assert.equal(open.tops.at(-1), 36 + 40 * 30 + 80 + 10 * 30);
    const folded = layoutRows(hosts, all, all, new Set([R1]), false, HEIGHTS);
    assert.deepEqual(
      folded.rows.map((r) => r.kind),
      ['host', 'host', ...Array(10).fill('guest')],
    );
  });

  it('while filtering, leaves out hosts with no match and counts what shows', () => {
    const shown = all.filter((g) => g.name === 'g45');
    const l = layoutRows(hosts, all, shown, new Set(), true, HEIGHTS);
    assert.equal(l.rows.length, 2);
    const head = l.rows[0]!;
    assert.ok(head.kind === 'host' && head.host.uri === R2 && head.shown === 1 && head.total === 10);
  });

  it('finds the rows in a band of pixels', () => {
    const l = layoutRows(hosts, all, all, new Set(), false, HEIGHTS);
    assert.deepEqual(visibleRange(l, 0, 100), [0, 4]);
    assert.deepEqual(visibleRange(l, 36 + 30 * 10, 36 + 30 * 12), [11, 13]);
    const end = l.tops.at(-1)!;
    assert.deepEqual(visibleRange(l, end - 10, end + 500), [51, 52]);
  });

  it('chooses the dense list by itself past a few dozen guests', () => {
    assert.equal(autoMode(8), 'cards');
    assert.equal(autoMode(500), 'list');
  });
});
