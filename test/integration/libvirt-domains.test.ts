/**
 * The wire client changing guests on the real system libvirtd, with virsh as the oracle: define
 * and undefine from XML, transient guests, autostart, memory (the balloon) and vCPUs live and in
 * the config, all-domain stats, starting with flags, and the event kinds other than lifecycle as
 * they arrive (graphics, balloon, metadata, devices).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import type { LibvirtClient } from '../../main/libvirt/index.js';
import {
  AffectFlags,
  CreateFlags,
  DefineFlags,
  DomainState,
  DomainXmlFlags,
  ErrorCode,
  GraphicsPhase,
  LibvirtError,
  MemoryFlags,
  StatsTypes,
  UndefineFlags,
  VcpuFlags,
  paramsToRecord,
  type DomainRef,
  type EventBody,
} from '../../main/libvirt/index.js';
import { testDomainXml, type TestGuest, type TestRig } from '../rig/guests.js';
import { fields, useGuestClient, waitFor } from './libvirt-helpers.js';

describe('libvirt wire client: defining and changing guests, checked with virsh', () => {
  let rig: TestRig;
  let c: LibvirtClient;
  let g: TestGuest;
  let dom: DomainRef;
  useGuestClient({ name: 'domains', memoryMiB: 256, maxMemoryMiB: 384, vcpus: 1, maxVcpus: 2 }, {}, (s) => {
    ({ rig, c, g, dom } = s);
  });

  it('defines a guest from a long XML (VALIDATE), hides its VNC password unless asked with SECURE, undefines it', async () => {
    const uuid = randomUUID();
    const name = `${rig.prefix}defined`;
    const xml = testDomainXml(
      { name, uuid, serialPath: `${rig.runDir}/${uuid}.serial` },
      { name: 'defined' },
      rig.image,
    ).replace(
      "<graphics type='vnc' autoport='yes' listen='127.0.0.1'>",
      "<graphics type='vnc' autoport='yes' listen='127.0.0.1' passwd='s3cretpw'>",
    );
    assert.ok(xml.length > 1000, 'well past the writer’s first buffer');
    const { dom: d } = await c.call('domainDefineXmlFlags', { xml, flags: DefineFlags.VALIDATE });
    assert.deepEqual(d, { name, uuid, id: -1 });
    assert.equal(fields(await rig.virsh('dominfo', uuid))['State'], 'shut off');
    const plain = await c.getXml(d);
    const secure = await c.getXml(d, DomainXmlFlags.SECURE);
    assert.doesNotMatch(plain, /s3cretpw/);
    assert.match(secure, /passwd='s3cretpw'/);
    assert.equal(`${secure}\n`, await rig.virsh('dumpxml', '--security-info', uuid));
    assert.deepEqual(await c.call('domainIsPersistent', { dom: d }), { persistent: true });
    assert.deepEqual(await c.call('domainIsActive', { dom: d }), { active: false });
    // Undefine, with flags libvirt accepts for a guest that has no such metadata.
    await c.call('domainUndefineFlags', {
      dom: d,
      flags: UndefineFlags.MANAGED_SAVE | UndefineFlags.SNAPSHOTS_METADATA | UndefineFlags.NVRAM,
    });
    const r = await rig.virshResult('dominfo', uuid);
    assert.notEqual(r.code, 0);
    await assert.rejects(
      c.lookupByUuid(uuid),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorCode.NO_DOMAIN,
    );
  });

  it('creates a transient guest (paused, autodestroy off), which vanishes when destroyed', async () => {
    const uuid = randomUUID();
    const name = `${rig.prefix}transient`;
    const xml = testDomainXml(
      { name, uuid, serialPath: `${rig.runDir}/${uuid}.serial` },
      { name: 'transient', graphics: 'none' },
      rig.image,
    );
    const { dom: d } = await c.call('domainCreateXml', { xml, flags: CreateFlags.START_PAUSED });
    try {
      assert.equal(d.uuid, uuid);
      assert.ok(d.id > 0);
      const f = fields(await rig.virsh('dominfo', uuid));
      assert.equal(f['State'], 'paused');
      assert.equal(f['Persistent'], 'no');
      assert.deepEqual(await c.call('domainIsPersistent', { dom: d }), { persistent: false });
      assert.deepEqual(await c.getState(d), { state: DomainState.PAUSED, reason: 1 });
      assert.equal((await rig.virsh('domstate', '--reason', uuid)).trim(), 'paused (user)'); // VIR_DOMAIN_PAUSED_USER = 1
    } finally {
      await c.call('domainDestroyFlags', { dom: d, flags: 0 });
    }
    assert.notEqual((await rig.virshResult('dominfo', uuid)).code, 0);
  });

  it('sets and reads autostart', async () => {
    await c.call('domainSetAutostart', { dom, autostart: true });
    assert.deepEqual(await c.call('domainGetAutostart', { dom }), { autostart: true });
    assert.equal(fields(await rig.virsh('dominfo', g.uuid))['Autostart'], 'enable');
    await c.call('domainSetAutostart', { dom, autostart: false });
    assert.deepEqual(await c.call('domainGetAutostart', { dom }), { autostart: false });
    assert.equal(fields(await rig.virsh('dominfo', g.uuid))['Autostart'], 'disable');
  });

  it('sets memory live (the balloon) and in the config, within the maximum', async () => {
    await rig.waitForBoot(g);
    await c.call('domainSetMemoryFlags', { dom, memory: 200 * 1024, flags: AffectFlags.LIVE });
    await waitFor(
      'virsh to report 200 MiB in use',
      async () => fields(await rig.virsh('dominfo', g.uuid))['Used memory'] === `${200 * 1024} KiB`,
    );
    await waitFor(
      'GET_INFO to report it too',
      async () => (await c.call('domainGetInfo', { dom })).memory === 200 * 1024,
    );
    await c.call('domainSetMemoryFlags', { dom, memory: 300 * 1024, flags: AffectFlags.CONFIG });
    assert.match(await rig.virsh('dumpxml', '--inactive', g.uuid), /<currentMemory unit='KiB'>307200<\/currentMemory>/);
    // The maximum itself, in the config only.
    await c.call('domainSetMemoryFlags', { dom, memory: 400 * 1024, flags: AffectFlags.CONFIG | MemoryFlags.MAXIMUM });
    assert.match(await rig.virsh('dumpxml', '--inactive', g.uuid), /<memory unit='KiB'>409600<\/memory>/);
    // Over the live maximum: libvirt's error, typed.
    await assert.rejects(
      c.call('domainSetMemoryFlags', { dom, memory: 1024 * 1024, flags: AffectFlags.LIVE }),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorCode.INVALID_ARG,
    );
  });

  it('sets vCPUs live (hotplug) and in the config, and reads each count back', async () => {
    assert.deepEqual(await c.call('domainGetVcpusFlags', { dom, flags: AffectFlags.LIVE | VcpuFlags.MAXIMUM }), {
      num: 2,
    });
    assert.deepEqual(await c.call('domainGetVcpusFlags', { dom, flags: AffectFlags.LIVE }), { num: 1 });
    await c.call('domainSetVcpusFlags', { dom, nvcpus: 2, flags: AffectFlags.LIVE });
    assert.deepEqual(await c.call('domainGetVcpusFlags', { dom, flags: AffectFlags.LIVE }), { num: 2 });
    assert.match(await rig.virsh('vcpucount', g.uuid), /current\s+live\s+2/);
    await c.call('domainSetVcpusFlags', { dom, nvcpus: 2, flags: AffectFlags.CONFIG });
    assert.match(await rig.virsh('vcpucount', g.uuid), /current\s+config\s+2/);
    assert.deepEqual(await c.call('domainGetVcpusFlags', { dom, flags: AffectFlags.CONFIG }), { num: 2 });
    assert.equal((await c.call('domainGetInfo', { dom })).nrVirtCpu, 2);
  });

  it('all-domain stats carry state, vCPU and balloon figures for the guest', async () => {
    const { records } = await c.call('connectGetAllDomainStats', {
      doms: [],
      stats: StatsTypes.STATE | StatsTypes.VCPU | StatsTypes.BALLOON | StatsTypes.CPU_TOTAL,
      flags: 0,
    });
    const mine = records.find((r) => r.dom.uuid === g.uuid);
    assert.ok(mine, 'a record for the guest');
    const s = paramsToRecord(mine.params);
    assert.equal(s['state.state'], DomainState.RUNNING);
    assert.equal(s['vcpu.current'], 2);
    assert.equal(s['vcpu.maximum'], 2);
    assert.equal(typeof s['cpu.time'], 'bigint');
    assert.ok('balloon.current' in s);
    // For one named domain only.
    const one = await c.call('connectGetAllDomainStats', { doms: [dom], stats: StatsTypes.STATE, flags: 0 });
    assert.deepEqual(
      one.records.map((r) => r.dom.uuid),
      [g.uuid],
    );
  });

  it('every other event kind decodes as it arrives: graphics, balloon change, metadata change, device added and removed', async () => {
    const got: Record<string, unknown[]> = {};
    const take = (name: string) => (b: unknown) => (got[name] ??= []).push(b);
    const subs = await Promise.all([
      c.subscribe('graphics', take('graphics'), { dom }),
      c.subscribe('balloonChange', take('balloonChange'), { dom }),
      c.subscribe('metadataChange', take('metadataChange'), { dom }),
      c.subscribe('deviceAdded', take('deviceAdded'), { dom }),
      c.subscribe('deviceRemoved', take('deviceRemoved'), { dom }),
    ]);
    try {
      // A VNC client connects: QEMU reports it, libvirt relays a graphics event with both ends.
      const xml = await c.getXml(dom);
      const vncPort = Number(/<graphics type='vnc' port='(\d+)'/.exec(xml)![1]);
      const vnc = connect(vncPort, '127.0.0.1');
      vnc.on('error', () => undefined);
      await waitFor('a graphics CONNECT event', () => got.graphics?.length);
      vnc.destroy();
      await waitFor('the graphics DISCONNECT event', () =>
        (got.graphics as { phase: number }[]).some((e) => e.phase === GraphicsPhase.DISCONNECT),
      );
      const connected = got.graphics![0] as EventBody<'graphics'>;
      assert.equal(connected.phase, GraphicsPhase.CONNECT);
      assert.equal(connected.local.node, '127.0.0.1');
      assert.equal(connected.local.service, String(vncPort));
      assert.equal(connected.remote.node, '127.0.0.1');
      assert.equal(connected.authScheme, 'none');
      assert.deepEqual(connected.dom, dom);
      // The balloon moves: the guest's driver reports its new size.
      await c.call('domainSetMemoryFlags', { dom, memory: 180 * 1024, flags: AffectFlags.LIVE });
      await waitFor(
        'a balloon change to 180 MiB',
        () => (got.balloonChange as EventBody<'balloonChange'>[] | undefined)?.some((e) => e.actual === 180 * 1024),
        30_000,
      );
      // Metadata set behind our back, with virsh.
      await rig.virsh(
        'metadata',
        g.uuid,
        'https://virtswitch.invalid/test-meta',
        '--key',
        'vs',
        '--set',
        '<note>hello</note>',
        '--live',
      );
      await waitFor('a metadata change', () => got.metadataChange?.length);
      const meta = got.metadataChange![0] as EventBody<'metadataChange'>;
      assert.deepEqual(
        { ...meta, callbackId: 0 },
        {
          callbackId: 0,
          dom,
          type: 2 /* VIR_DOMAIN_METADATA_ELEMENT */,
          nsuri: 'https://virtswitch.invalid/test-meta',
        },
      );
      // A disk hot-plugged, then unplugged (the guest's kernel lets it go through ACPI).
      const disk = `${rig.runDir}/hotplug.qcow2`;
      const made = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '8M'], { encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
      await rig.virsh('attach-disk', g.uuid, disk, 'vdb', '--live', '--subdriver', 'qcow2');
      await waitFor('the device added event', () => got.deviceAdded?.length, 30_000);
      assert.equal((got.deviceAdded![0] as EventBody<'deviceAdded'>).devAlias, 'virtio-disk1');
      await rig.virsh('detach-disk', g.uuid, 'vdb', '--live');
      await waitFor('the device removed event', () => got.deviceRemoved?.length, 30_000);
      assert.equal((got.deviceRemoved![0] as EventBody<'deviceRemoved'>).devAlias, 'virtio-disk1');
    } finally {
      for (const s of subs) await s.remove();
    }
  });

  it('starts a defined guest with flags (paused), and destroys it', async () => {
    const h = await rig.define({ name: 'domains-start', start: false, graphics: 'none' });
    const d = await c.lookupByUuid(h.uuid);
    const { dom: started } = await c.call('domainCreateWithFlags', { dom: d, flags: CreateFlags.START_PAUSED });
    assert.ok(started.id > 0);
    assert.equal(await rig.domstate(h), 'paused');
    await c.call('domainDestroyFlags', { dom: started, flags: 0 });
    assert.equal(await rig.domstate(h), 'shut off');
    await rig.remove(h);
  });
});
