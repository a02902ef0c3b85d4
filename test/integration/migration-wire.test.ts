/**
 * The wire client's managed migration between two real daemons (the rig's first host and a second
 * one in its own namespaces, reached over qemu+ssh as the app reaches remote hosts), with virsh on
 * each host as the oracle: live there and back, offline, job statistics, speed and downtime
 * limits, and a cancel that leaves the guest running where it was with nothing on the target.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  JobStatsFlags,
  JobType,
  LibvirtClient,
  LibvirtError,
  MigrateFlags,
  MigrateParam,
  migrateManaged,
  migrateParams,
  paramsToRecord,
  type DomainRef,
} from '../../main/libvirt/index.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../rig/guests.js';
import { startSecondHost, type SecondHost } from '../rig/second-host.js';
import { startCounter, ticks } from '../rig/serial-counter.js';
import { waitFor, within } from '../rig/wait.js';

const LIVE_MOVE = MigrateFlags.LIVE | MigrateFlags.PERSIST_DEST | MigrateFlags.UNDEFINE_SOURCE;

describe('libvirt wire client: managed migration between two daemons', () => {
  let rig: TestRig;
  let second: SecondHost;
  let a: LibvirtClient;
  let b: LibvirtClient;
  let g: TestGuest;

  const names = async (virsh: (...args: string[]) => Promise<string>): Promise<string[]> =>
    (await virsh('list', '--all', '--name'))
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  const counterGoesOn = async (): Promise<void> => {
    const last = ticks(rig.serial(g)).at(-1) ?? 0;
    await waitFor(`the counter past ${last + 5}`, () => ticks(rig.serial(g)).some((n) => n >= last + 5), 30_000);
  };

  /** Waits until the source sends memory (perform has begun), with the job's statistics then. */
  const sending = (onA: DomainRef): Promise<Record<string, unknown>> =>
    waitFor('a running migration job sending memory', async () => {
      const j = await a.call('domainGetJobStats', { dom: onA, flags: 0 });
      const r = paramsToRecord(j.params);
      return j.type === JobType.UNBOUNDED && Number(r.memory_processed ?? 0) > 0 ? r : undefined;
    });

  before(async () => {
    rig = await TestRig.start();
    second = await startSecondHost();
    a = await LibvirtClient.connect(SYSTEM_URI);
    b = await LibvirtClient.connect(second.sshUri, { sshPath: second.sshPath, connectTimeoutMs: 20_000 });
    g = await rig.define({ name: 'mig-wire' });
    await rig.waitForBoot(g);
    await startCounter(SYSTEM_URI, g.name);
    await waitFor('the counter', () => ticks(rig.serial(g)).length > 3, 30_000);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await second?.stop();
    await rig?.cleanup();
  });

  it('moves a running guest A → B live (persistent there, undefined here), then back', async () => {
    const onA = await a.lookupByUuid(g.uuid);
    let performed = false;
    const onB = await migrateManaged(a, b, onA, LIVE_MOVE, [], { onPerform: () => (performed = true) });
    assert.ok(performed);
    assert.equal(onB.uuid, g.uuid);
    assert.equal((await second.virsh('domstate', g.uuid)).trim(), 'running');
    assert.match(await second.virsh('dominfo', g.uuid), /Persistent:\s+yes/);
    assert.ok(!(await names((...x) => rig.virsh(...x))).includes(g.name), 'no longer defined on A');
    await counterGoesOn();
    const done = await b.call('domainGetJobStats', { dom: onB, flags: JobStatsFlags.COMPLETED });
    assert.equal(done.type, JobType.COMPLETED);
    const stats = paramsToRecord(done.params);
    assert.equal(typeof stats.downtime, 'bigint', 'the completed job reports its downtime');
    assert.ok(Number(stats.memory_total) > 0);

    // Back: the first host's name resolves to loopback here, so name its veth address.
    const back = await migrateManaged(
      b,
      a,
      onB,
      LIVE_MOVE,
      migrateParams({ [MigrateParam.URI]: `tcp://${second.localAddress}` }),
    );
    assert.equal(back.uuid, g.uuid);
    assert.equal(await rig.domstate(g), 'running');
    assert.deepEqual(await names((...x) => second.virsh(...x)), []);
    await counterGoesOn();
    assert.equal(rig.serial(g).split(`virtswitch test guest: ${g.name}`).length, 2, 'never rebooted');
  });

  it('cancels a bandwidth-limited migration: the guest runs on A, nothing is defined on B', async () => {
    const onA = await a.lookupByUuid(g.uuid);
    const moving = migrateManaged(a, b, onA, LIVE_MOVE, migrateParams({ [MigrateParam.BANDWIDTH]: 1 }));
    const running = await sending(onA);
    for (const k of ['memory_total', 'memory_remaining', 'memory_dirty_rate', 'memory_iteration', 'downtime']) {
      assert.ok(k in running, `job statistics carry ${k}`);
    }
    assert.equal((await a.call('domainMigrateGetMaxSpeed', { dom: onA, flags: 0 })).bandwidth, 1n);
    await a.call('domainMigrateSetMaxDowntime', { dom: onA, downtime: 500n, flags: 0 });
    await a.call('domainAbortJob', { dom: onA });
    await assert.rejects(within(moving, 60_000, 'the cancelled migration'), (e: unknown) => {
      assert.ok(e instanceof LibvirtError, String(e));
      assert.match(e.message, /cancel|abort/i);
      return true;
    });
    assert.equal(await rig.domstate(g), 'running');
    assert.deepEqual(await names((...x) => second.virsh(...x)), [], 'nothing defined on B');
    await counterGoesOn();
  });

  it('a slowed migration completes once its speed is raised mid-flight', async () => {
    const onA = await a.lookupByUuid(g.uuid);
    const moving = migrateManaged(a, b, onA, LIVE_MOVE, migrateParams({ [MigrateParam.BANDWIDTH]: 1 }));
    await sending(onA);
    await a.call('domainMigrateSetMaxSpeed', { dom: onA, bandwidth: 10_000n, flags: 0 });
    const onB = await within(moving, 60_000, 'the sped-up migration');
    assert.equal((await second.virsh('domstate', g.uuid)).trim(), 'running');
    await migrateManaged(b, a, onB, LIVE_MOVE, migrateParams({ [MigrateParam.URI]: `tcp://${second.localAddress}` }));
    assert.equal(await rig.domstate(g), 'running');
  });

  it('moves a stopped guest offline (its definition only) and back', async () => {
    const off = await rig.define({ name: 'mig-off', start: false });
    const onA: DomainRef = await a.lookupByUuid(off.uuid);
    const flags = MigrateFlags.OFFLINE | MigrateFlags.PERSIST_DEST | MigrateFlags.UNDEFINE_SOURCE;
    const onB = await migrateManaged(a, b, onA, flags);
    assert.equal((await second.virsh('domstate', off.uuid)).trim(), 'shut off');
    assert.notEqual((await rig.virshResult('dominfo', off.uuid)).code, 0, 'undefined on A');
    await migrateManaged(b, a, onB, flags);
    assert.equal(await rig.domstate(off), 'shut off');
    assert.deepEqual(await names((...x) => second.virsh(...x)), []);
  });

  it('a guest whose name is already defined on the target stays running where it was', async () => {
    const onA = await a.lookupByUuid(g.uuid);
    const xml = (await rig.virsh('dumpxml', '--inactive', g.uuid))
      .replace(/<uuid>[^<]*<\/uuid>/, '')
      .replace(/<serial type='pty'>[\s\S]*?<\/serial>/, '');
    await b.call('domainDefineXmlFlags', { xml, flags: 0 });
    try {
      await assert.rejects(migrateManaged(a, b, onA, LIVE_MOVE), (e: unknown) => {
        assert.ok(e instanceof LibvirtError);
        assert.match(e.message, /already/i);
        return true;
      });
      assert.equal(await rig.domstate(g), 'running');
      await counterGoesOn();
    } finally {
      await second.virsh('undefine', g.name);
    }
  });
});
