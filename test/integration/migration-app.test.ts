/**
 * "Move to host…" through the app's API (a session, as either shell uses it) between the rig's two
 * hosts, the second reached over qemu+ssh: live there and back with progress events from the job
 * statistics, offline, cancel, and the errors a person can read with the guest left where it was.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App, AppSession } from '../../main/app/api.js';
import type { MigrationProgress } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../rig/guests.js';
import { LIVE_MOVE, startSecondHost, type SecondHost } from '../rig/second-host.js';
import { startCounter, ticks } from '../rig/serial-counter.js';
import { waitFor } from '../rig/wait.js';
import { twoHostApp } from '../rig/two-host-app.js';

describe('app: moving a guest between hosts', () => {
  let rig: TestRig;
  let second: SecondHost;
  let app: App;
  let s: AppSession;
  let g: TestGuest;
  let dir: string;
  const progress: MigrationProgress[] = [];

  const guestOn = (host: string, uuid: string) => app.state().guests.find((x) => x.host === host && x.uuid === uuid);
  const rejectsWith = async (p: Promise<unknown>, code: string, words: RegExp): Promise<void> => {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, words);
      return true;
    });
  };
  const stillRunningOnA = async (): Promise<void> => {
    assert.equal(await rig.domstate(g), 'running');
    const last = ticks(rig.serial(g)).at(-1) ?? 0;
    await waitFor('the counter going on', () => ticks(rig.serial(g)).some((n) => n >= last + 3), 30_000);
  };

  before(async () => {
    rig = await TestRig.start();
    second = await startSecondHost();
    dir = mkdtempSync(join(tmpdir(), 'vs-mig-app-'));
    g = await rig.define({ name: 'mig-app' });
    await rig.waitForBoot(g);
    await startCounter(SYSTEM_URI, g.name);
    ({ app, s } = await twoHostApp(second, dir, progress));
    await waitFor('the guest on A', () => guestOn(SYSTEM_URI, g.uuid)?.state === 'running', 30_000);
  });
  after(async () => {
    s?.close();
    await app?.close();
    await second?.stop();
    await rig?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('moves a running guest to B and back; progress comes from the job statistics', async () => {
    progress.length = 0;
    const there = await s.invoke('guest.migrate', {
      host: SYSTEM_URI,
      uuid: g.uuid,
      target: second.sshUri,
      ...LIVE_MOVE,
    });
    assert.deepEqual(there, { host: second.sshUri, uuid: g.uuid });
    assert.equal((await second.virsh('domstate', g.uuid)).trim(), 'running');
    await waitFor('the app to see it on B only', () => guestOn(second.sshUri, g.uuid) && !guestOn(SYSTEM_URI, g.uuid));
    assert.equal(progress[0]?.phase, 'preparing');
    const done = progress.at(-1)!;
    assert.equal(done.phase, 'done');
    assert.ok(done.memoryTotal > 0 && done.memoryProcessed > 0, JSON.stringify(done));
    assert.ok(done.downtimeMs > 0, 'the actual downtime is reported');

    await s.invoke('guest.migrate', {
      host: second.sshUri,
      uuid: g.uuid,
      target: SYSTEM_URI,
      ...LIVE_MOVE,
      migrationAddress: second.localAddress,
    });
    await waitFor('the app to see it back on A', () => guestOn(SYSTEM_URI, g.uuid) && !guestOn(second.sshUri, g.uuid));
    await stillRunningOnA();
    assert.equal(rig.serial(g).split(`virtswitch test guest: ${g.name}`).length, 2, 'never rebooted');
  });

  it('cancel during a slowed move: the guest keeps running on A, nothing on B', async () => {
    progress.length = 0;
    const move = s.invoke('guest.migrate', {
      host: SYSTEM_URI,
      uuid: g.uuid,
      target: second.sshUri,
      ...LIVE_MOVE,
      bandwidthMiBs: 1,
    });
    const copying = await waitFor('copying progress', () => progress.find((p) => p.phase === 'copying'), 30_000);
    assert.ok(copying.memoryTotal > 0 && copying.memoryRemaining > 0);
    assert.ok(copying.iteration >= 1);
    await s.invoke('guest.migrateCancel', { host: SYSTEM_URI, uuid: g.uuid });
    await rejectsWith(move, 'conflict', /cancelled; it stays on/);
    assert.equal(progress.at(-1)?.phase, 'cancelled');
    await stillRunningOnA();
    assert.equal((await second.virsh('list', '--all', '--name')).trim(), '');
  });

  it('moves a stopped guest offline and back', async () => {
    const off = await rig.define({ name: 'mig-app-off', start: false });
    await waitFor('the stopped guest in the app', () => guestOn(SYSTEM_URI, off.uuid));
    const opts = { ...LIVE_MOVE, mode: 'offline' as const };
    await s.invoke('guest.migrate', { host: SYSTEM_URI, uuid: off.uuid, target: second.sshUri, ...opts });
    assert.equal((await second.virsh('domstate', off.uuid)).trim(), 'shut off');
    await waitFor('the app to see it on B', () => guestOn(second.sshUri, off.uuid));
    await s.invoke('guest.migrate', { host: second.sshUri, uuid: off.uuid, target: SYSTEM_URI, ...opts });
    assert.equal(await rig.domstate(off), 'shut off');
    assert.equal((await second.virsh('list', '--all', '--name')).trim(), '');
  });

  it('says in words why a move cannot happen, and leaves the guest running on A', async () => {
    const ref = { host: SYSTEM_URI, uuid: g.uuid };
    await rejectsWith(
      s.invoke('guest.migrate', { ...ref, target: second.sshUri, ...LIVE_MOVE, mode: 'offline' }),
      'invalid-state',
      /running guest moves live/,
    );
    await rejectsWith(
      s.invoke('guest.migrate', { ...ref, target: SYSTEM_URI, ...LIVE_MOVE }),
      'invalid-input',
      /already/,
    );

    const dead = 'qemu+tcp://127.0.0.1:1/system';
    await s.invoke('hosts.add', { uri: dead });
    await rejectsWith(
      s.invoke('guest.migrate', { ...ref, target: dead, ...LIVE_MOVE }),
      'host-unavailable',
      /target host .* is not connected/,
    );
    await s.invoke('hosts.remove', { host: dead });

    const xml = (await rig.virsh('dumpxml', '--inactive', g.uuid))
      .replace(/<uuid>[^<]*<\/uuid>/, '')
      .replace(/<serial type='pty'>[\s\S]*?<\/serial>/, '');
    const file = join(dir, 'same-name.xml');
    writeFileSync(file, xml);
    await second.virsh('define', file);
    await waitFor('the app to see the namesake on B', () =>
      app.state().guests.some((x) => x.host === second.sshUri && x.name === g.name),
    );
    await rejectsWith(
      s.invoke('guest.migrate', { ...ref, target: second.sshUri, ...LIVE_MOVE }),
      'conflict',
      new RegExp(`a guest named ${g.name} is already defined`),
    );
    await second.virsh('undefine', g.name);
    await stillRunningOnA();
  });
});
