/**
 * The pure side of a guest that moves between hosts: its identity is its UUID, so its place in the
 * order, its slot, the active guest and its stats follow it; the store sees the move through the
 * hosts' events as libvirt sends them; the keyboard carries over the handover; the dialog's options
 * and the progress panel's words.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SETTINGS,
  guestKey,
  type AppEvent,
  type GuestInfo,
  type HostInfo,
  type MigrationProgress,
} from '../../common/contract.js';
import { orderKey, reorder, slots, switcherOrder, whereItIs } from '../../common/order.js';
import { guestInfo } from '../fixtures/guest-info.js';
import { Store } from '../../renderer/src/state/store.js';
import { Switcher } from '../../renderer/src/state/switcher.js';
import { HandoverKeys, type KeyRecord } from '../../renderer/src/input/handover.js';
import {
  defaultMoveForm,
  moveMode,
  moveOptions,
  moveTargets,
  progressView,
} from '../../renderer/src/state/migration.js';

const A = 'qemu:///system';
const B = 'qemu+ssh://root@lab/system';
const hostA: HostInfo = { uri: A, status: 'connected' };
const hostB: HostInfo = { uri: B, status: 'connected' };
const on = (g: GuestInfo, host: string, fields: Partial<GuestInfo> = {}): GuestInfo => ({ ...g, host, ...fields });

describe('a guest is its UUID: order and slots follow it to another host', () => {
  const db = guestInfo({ host: A, name: 'db' });
  const web = guestInfo({ host: A, name: 'web' });
  const lab = guestInfo({ host: B, name: 'lab' });

  it('reads older `uuid@host` entries as the UUID they name', () => {
    assert.equal(orderKey(guestKey(web)), web.uuid);
    assert.equal(orderKey(web.uuid), web.uuid);
    const order = switcherOrder([hostA, hostB], [db, web, lab], [guestKey(web), guestKey(db)]);
    assert.deepEqual(
      order.map((g) => g.name),
      ['web', 'db', 'lab'],
    );
  });

  it('keeps a placed guest in its place and slot after it moves; unplaced guests keep the default order', () => {
    const before = switcherOrder([hostA, hostB], [db, web, lab], []);
    const saved = before.map((g) => g.uuid);
    const moved = on(db, B);
    const after = switcherOrder([hostA, hostB], [moved, web, lab], saved);
    assert.deepEqual(
      after.map((g) => g.name),
      ['db', 'web', 'lab'],
    );
    assert.equal(slots(after).get(db.uuid), slots(before).get(db.uuid));
    // Never placed: it joins the new host's group, by name.
    assert.deepEqual(
      switcherOrder([hostA, hostB], [moved, web, lab], []).map((g) => g.name),
      ['web', 'db', 'lab'],
    );
    // A guest added later lands by name among its own host's guests, and the moved one keeps slot 1.
    const aaa = guestInfo({ host: A, name: 'aaa' });
    const zzz = guestInfo({ host: A, name: 'zzz' });
    const later = switcherOrder([hostA, hostB], [moved, web, lab, aaa, zzz], saved);
    assert.deepEqual(
      later.map((g) => g.name),
      ['db', 'aaa', 'web', 'zzz', 'lab'],
    );
    assert.equal(slots(later).get(db.uuid), 1);
    const newHost: HostInfo = { uri: 'qemu+ssh://c/system', status: 'connected' };
    const onC = guestInfo({ host: newHost.uri, name: 'c1' });
    assert.deepEqual(
      switcherOrder([hostA, newHost, hostB], [moved, web, lab, onC], saved).map((g) => g.name),
      ['db', 'web', 'c1', 'lab'],
      'a host with no placed guests gets its guests where the host order says',
    );
  });

  it('saves a drag as UUIDs', () => {
    const ordered = switcherOrder([hostA, hostB], [db, web, lab], []);
    assert.deepEqual(reorder(ordered, web.uuid, db.uuid), [web.uuid, db.uuid, lab.uuid]);
  });

  it('finds where a guest is when two hosts know its UUID', () => {
    const src = on(web, A, { state: 'running' });
    const incoming = on(web, B, { state: 'paused' });
    assert.equal(whereItIs([src, incoming], [hostA, hostB], A)?.host, A, 'running beats the paused incoming copy');
    const srcPaused = on(web, A, { state: 'paused' });
    assert.equal(whereItIs([srcPaused, incoming], [hostA, hostB], A)?.host, A, 'a tie stays where it was');
    assert.equal(whereItIs([srcPaused, incoming], [hostA, hostB], B)?.host, B);
    const srcOff = on(web, A, { state: 'shutoff' });
    assert.equal(whereItIs([srcOff, incoming], [hostA, hostB], A)?.host, B, 'the source stopped: it is on B');
    assert.equal(whereItIs([srcOff, on(web, B, { state: 'shutoff' })], [hostA, hostB], undefined)?.host, A);
    assert.equal(whereItIs([], [hostA], undefined), undefined);
  });

  it('the active guest stays active, and a remembered `uuid@host` still names it', () => {
    const s = new Switcher();
    const order = [db, web];
    assert.equal(s.initial(order, guestKey(on(web, B))), web.uuid);
    s.activate(web.uuid);
    assert.equal(s.slot([db, on(web, B)], 2), web.uuid);
  });
});

describe('the store through a live move, event by event', () => {
  const g = guestInfo({ host: A, name: 'mover' });
  const other = guestInfo({ host: A, name: 'other' });
  const progress = (phase: MigrationProgress['phase']): MigrationProgress => ({
    host: A,
    uuid: g.uuid,
    name: g.name,
    target: B,
    phase,
    memoryTotal: 100,
    memoryProcessed: 50,
    memoryRemaining: 50,
    diskTotal: 0,
    diskProcessed: 0,
    diskRemaining: 0,
    dirtyRate: 10,
    iteration: 1,
    downtimeMs: 0,
    elapsedMs: 1000,
  });
  const fresh = (): Store => {
    const s = new Store();
    s.applyState({ hosts: [hostA, hostB], guests: [g, other], consoles: [], settings: DEFAULT_SETTINGS });
    return s;
  };
  const apply = (s: Store, ...events: AppEvent[]): void => events.forEach((e) => s.applyEvent(e));

  it('follows the guest from A to B, keeping its stats, with one entry all along', () => {
    const s = fresh();
    const sample = { host: A, uuid: g.uuid, at: 1, cpuPercent: 5, memoryUsedKiB: 1, memoryKiB: 2 };
    const stats = { ...sample, diskReadBps: 0, diskWriteBps: 0, netRxBps: 0, netTxBps: 0 };
    apply(s, { type: 'stats', stats: [stats] });
    apply(s, { type: 'migration', migration: progress('preparing') });
    assert.ok(s.moving(g.uuid));
    apply(s, { type: 'guest', guest: on(g, B, { state: 'paused' }) });
    assert.equal(s.guest(g.uuid)?.host, A, 'the paused incoming copy does not take over');
    assert.equal(s.ordered().length, 2, 'one entry per UUID');
    apply(s, { type: 'guest', guest: on(g, A, { state: 'paused' }) });
    assert.equal(s.guest(g.uuid)?.host, A);
    apply(s, { type: 'guest', guest: on(g, A, { state: 'shutoff' }) });
    assert.equal(s.guest(g.uuid)?.host, B, 'the source stopped: the guest is on B');
    apply(s, { type: 'guest-removed', host: A, uuid: g.uuid }, { type: 'guest', guest: on(g, B) });
    apply(s, {
      type: 'stats',
      stats: [
        { ...stats, at: 2 },
        { ...stats, host: B, at: 3 },
      ],
    });
    assert.deepEqual(
      s.stats.get(g.uuid)?.map((x) => x.at),
      [1, 3],
      'the history goes on; the old host no longer speaks for it',
    );
    apply(s, { type: 'migration', migration: progress('done') });
    assert.equal(s.moving(g.uuid), undefined, 'done, and the target has it');
    assert.equal(s.guest(g.uuid)?.state, 'running');
  });

  it('keeps the guest while it moves and no host reports it; lets go when the move fails', () => {
    const s = fresh();
    apply(s, { type: 'migration', migration: progress('copying') });
    apply(s, { type: 'guest-removed', host: A, uuid: g.uuid });
    assert.equal(s.guest(g.uuid)?.host, A, 'kept across the gap between the two hosts’ events');
    apply(s, { type: 'migration', migration: progress('done') });
    assert.ok(s.moving(g.uuid), 'done, but the target has not reported it yet');
    apply(s, { type: 'guest', guest: on(g, B) });
    assert.equal(s.guest(g.uuid)?.host, B);
    assert.equal(s.moving(g.uuid), undefined);

    const t = fresh();
    apply(t, { type: 'migration', migration: progress('copying') });
    apply(t, { type: 'guest-removed', host: A, uuid: g.uuid });
    apply(t, { type: 'migration', migration: { ...progress('failed'), error: 'no' } });
    assert.equal(t.guest(g.uuid), undefined);
  });

  it('reads scaling set for `uuid@host` by older settings', () => {
    const s = fresh();
    s.applyEvent({ type: 'settings', settings: { ...DEFAULT_SETTINGS, scaling: { [guestKey(g)]: 'actual' } } });
    assert.equal(s.scalingFor(g.uuid), 'actual');
    assert.equal(s.scalingFor(other.uuid), 'fit');
    s.applyEvent({ type: 'settings', settings: { ...DEFAULT_SETTINGS, order: [guestKey(g), g.uuid, other.uuid] } });
    assert.deepEqual(s.savedOrder(), [g.uuid, other.uuid]);
  });
});

describe('the keyboard across the handover', () => {
  const down = (code: string, key = code): KeyRecord => ({ type: 'keydown', code, key });
  const up = (code: string, key = code): KeyRecord => ({ type: 'keyup', code, key });

  it('releases what was held, and types what was typed meanwhile once, in order, with nothing left down', () => {
    const k = new HandoverKeys();
    k.key(down('ShiftLeft', 'Shift'));
    k.key(down('KeyA', 'A'));
    k.key(up('KeyA', 'A'));
    k.begin();
    k.begin();
    assert.ok(k.inGap);
    k.key(up('ShiftLeft', 'Shift'));
    k.key(down('KeyB', 'b'));
    k.key(up('KeyB', 'b'));
    k.key(down('KeyC', 'c'));
    const h = k.end();
    assert.deepEqual(h.release, ['ShiftLeft']);
    assert.deepEqual(h.replay, [down('KeyB', 'b'), up('KeyB', 'b'), down('KeyC', 'c'), up('KeyC', 'c')]);
    assert.equal(k.inGap, false);
    assert.deepEqual(k.end(), { release: [], replay: [] }, 'nothing twice');
  });

  it('after the handover keys are tracked on the live display again', () => {
    const k = new HandoverKeys();
    k.begin();
    k.end();
    k.key(down('AltLeft'));
    k.begin();
    assert.deepEqual(k.end().release, ['AltLeft']);
  });
});

describe('"Move to host…": targets, options and progress in words', () => {
  const g = guestInfo({ host: A, name: 'web' });

  it('offers connected hosts other than the guest’s, live for a running guest and offline for a stopped one', () => {
    const failed: HostInfo = { uri: 'qemu+ssh://x/system', status: 'failed' };
    assert.deepEqual(
      moveTargets(g, [hostA, hostB, failed]).map((h) => h.uri),
      [B],
    );
    assert.equal(moveMode(g), 'live');
    assert.equal(moveMode({ state: 'shutoff' }), 'offline');
    assert.equal(moveMode({ state: 'pmsuspended' }), undefined);
  });

  it('builds the options: both definition switches on by default, tuning only for a live move', () => {
    const f = defaultMoveForm([hostB]);
    assert.deepEqual(moveOptions(g, f), {
      target: B,
      mode: 'live',
      copyStorage: false,
      persistent: true,
      undefineSource: true,
      postCopy: false,
    });
    const tuned = moveOptions(g, { ...f, bandwidthMiBs: '8', maxDowntimeMs: ' 250 ', postCopy: true });
    assert.equal(tuned.bandwidthMiBs, 8);
    assert.equal(tuned.maxDowntimeMs, 250);
    assert.equal(tuned.postCopy, true);
    const off = moveOptions({ state: 'shutoff' }, { ...f, bandwidthMiBs: '8', copyStorage: true, postCopy: true });
    assert.deepEqual(
      [off.mode, off.copyStorage, off.postCopy, off.bandwidthMiBs],
      ['offline', false, false, undefined],
    );
    assert.throws(() => moveOptions(g, { ...f, bandwidthMiBs: '1.5' }), /bandwidth limit must be a whole number/);
    assert.throws(() => moveOptions(g, { ...f, target: '' }), /Pick the host/);
    assert.throws(() => moveOptions({ state: 'crashed' }, f), /crashed can't move/);
  });

  it('says how far a move is, and how it ended', () => {
    const base: MigrationProgress = {
      host: A,
      uuid: g.uuid,
      name: g.name,
      target: B,
      phase: 'copying',
      memoryTotal: 4 * 1048576,
      memoryProcessed: 3 * 1048576,
      memoryRemaining: 1048576,
      diskTotal: 0,
      diskProcessed: 0,
      diskRemaining: 0,
      dirtyRate: 120,
      iteration: 2,
      downtimeMs: 40,
      elapsedMs: 2500,
    };
    const v = progressView(base);
    assert.equal(v.fraction, 0.75);
    assert.equal(v.headline, 'Copying memory — 75%');
    assert.deepEqual(Object.fromEntries(v.rows), {
      Memory: '3.0 MiB sent, 1.0 MiB to go',
      Dirtied: '120 pages/s',
      Pass: '2',
      'Expected downtime': '40 ms',
      Time: '2.5 s',
    });
    assert.equal(progressView({ ...base, phase: 'preparing', memoryTotal: 0, memoryRemaining: 0 }).fraction, undefined);
    const done = progressView({ ...base, phase: 'done' });
    assert.deepEqual([done.fraction, done.ended, done.headline], [1, true, 'Moved']);
    assert.equal(Object.fromEntries(done.rows).Downtime, '40 ms');
  });

  it('copying storage: the disks first, then the memory, each stage with its own headline and bar', () => {
    const mib = 1048576;
    const disks: MigrationProgress = {
      host: A,
      uuid: g.uuid,
      name: g.name,
      target: B,
      phase: 'copying',
      memoryTotal: 0,
      memoryProcessed: 0,
      memoryRemaining: 0,
      diskTotal: 64 * mib,
      diskProcessed: 16 * mib,
      diskRemaining: 48 * mib,
      dirtyRate: 0,
      iteration: 0,
      downtimeMs: 0,
      elapsedMs: 2000,
    };
    const v = progressView(disks);
    assert.deepEqual([v.fraction, v.headline], [0.25, 'Copying disks — 25%']);
    assert.deepEqual(Object.fromEntries(v.rows), { Disks: '16 MiB sent, 48 MiB to go', Time: '2.0 s' });
    // The disks in step, the memory under way: the bar is the memory's, not back-and-forth over both.
    const memory = progressView({
      ...disks,
      memoryTotal: 256 * mib,
      memoryProcessed: 64 * mib,
      memoryRemaining: 192 * mib,
      diskProcessed: 64 * mib,
      diskRemaining: 0,
    });
    assert.deepEqual([memory.fraction, memory.headline], [0.25, 'Copying memory — 25%']);
    assert.equal(Object.fromEntries(memory.rows).Disks, '64 MiB sent, 0 KiB to go');
  });
});
