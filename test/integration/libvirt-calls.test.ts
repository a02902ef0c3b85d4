/**
 * The wire client's calls against the real system libvirtd, with virsh as the independent oracle:
 * connection-level calls, lookups, state and info, XML, define/undefine/create, autostart, memory
 * and vCPUs, stats, errors, and test:///default opened through the daemon.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import {
  AffectFlags,
  ConnectionClosedError,
  CreateFlags,
  DefineFlags,
  DomainState,
  DomainXmlFlags,
  DrvFeature,
  ErrorCode,
  GraphicsPhase,
  LibvirtClient,
  LibvirtError,
  ListDomainsFlags,
  MemoryFlags,
  ShutdownFlags,
  StatsTypes,
  UndefineFlags,
  VcpuFlags,
  paramsToRecord,
  type DomainRef,
  type EventBody,
} from '../../main/libvirt/index.js';
import { testDomainXml, TestRig, type TestGuest } from '../rig/guests.js';
import { waitFor } from './libvirt-helpers.js';

/** virsh's "Key: value" listings as a record. */
function fields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]!.trim()] = m[2]!.trim();
  }
  return out;
}

describe('libvirt wire client: calls against the system daemon, checked with virsh', () => {
  let rig: TestRig;
  let c: LibvirtClient;
  let g: TestGuest;
  let dom: DomainRef;

  before(async () => {
    rig = await TestRig.start();
    c = await LibvirtClient.connect('qemu:///system');
    g = await rig.define({ name: 'calls', memoryMiB: 256, maxMemoryMiB: 384, vcpus: 1, maxVcpus: 2 });
    dom = await c.lookupByUuid(g.uuid);
  });

  after(async () => {
    await c?.close();
    await rig?.cleanup();
  });

  it('opens with AUTH_LIST first: root on the system socket is authenticated with NONE', async () => {
    assert.deepEqual(await c.call('authList', undefined), { types: [0] });
    assert.deepEqual(await c.call('connectGetUri', undefined), { uri: 'qemu:///system' });
    assert.deepEqual(await c.call('connectSupportsFeature', { feature: DrvFeature.PROGRAM_KEEPALIVE }), {
      supported: true,
    });
  });

  it('AUTH_POLKIT on a connection that needs none is refused with an auth error (its error path)', async () => {
    // libvirt 9.0 answers with a bare error (code 1, "did not set virError"); what matters is that
    // it is a typed error from the daemon and that the connection survives it.
    await assert.rejects(c.call('authPolkit', undefined), (e: unknown) => {
      assert.ok(e instanceof LibvirtError, String(e));
      assert.equal(e.procedure, 'authPolkit');
      assert.ok(e.code > 0);
      return true;
    });
    // The connection is still good.
    assert.equal((await c.call('connectGetHostname', undefined)).hostname, (await rig.virsh('hostname')).trim());
  });

  it('library and hypervisor versions, type, hostname and capabilities match virsh', async () => {
    const v = await rig.virsh('version');
    const lib = /Using library: libvirt (\d+)\.(\d+)\.(\d+)/.exec(v)!;
    assert.deepEqual(await c.call('connectGetLibVersion', undefined), {
      libVer: Number(lib[1]) * 1e6 + Number(lib[2]) * 1e3 + Number(lib[3]),
    });
    const hv = /Running hypervisor: QEMU (\d+)\.(\d+)\.(\d+)/.exec(v)!;
    assert.deepEqual(await c.call('connectGetVersion', undefined), {
      hvVer: Number(hv[1]) * 1e6 + Number(hv[2]) * 1e3 + Number(hv[3]),
    });
    assert.deepEqual(await c.call('connectGetType', undefined), { type: 'QEMU' });
    const caps = (await c.call('connectGetCapabilities', undefined)).capabilities;
    assert.equal(caps.trim(), (await rig.virsh('capabilities')).trim());
  });

  it('node info matches virsh nodeinfo', async () => {
    const n = await c.call('nodeGetInfo', undefined);
    const f = fields(await rig.virsh('nodeinfo'));
    assert.equal(n.model, f['CPU model']);
    assert.equal(n.cpus, Number(f['CPU(s)']));
    assert.equal(n.mhz, Number(f['CPU frequency']!.split(' ')[0]));
    assert.equal(n.sockets, Number(f['CPU socket(s)']));
    assert.equal(n.cores, Number(f['Core(s) per socket']));
    assert.equal(n.threads, Number(f['Thread(s) per core']));
    assert.equal(n.nodes, Number(f['NUMA cell(s)']));
    assert.equal(n.memory, Number(f['Memory size']!.split(' ')[0]));
  });

  it('lists all domains as virsh does, with its filter flags', async () => {
    // Other suites define guests on the same daemon meanwhile: compare this suite's own, and
    // everything only once the listing holds still.
    const mine = (names: string[]): string[] => names.filter((n) => n.startsWith(rig.prefix)).sort();
    const virshNames = async (...flags: string[]): Promise<string[]> =>
      (await rig.virsh('list', ...flags, '--name'))
        .split('\n')
        .map((x) => x.trim())
        .filter(Boolean);
    const all = await c.listAllDomains();
    assert.deepEqual(mine(all.map((d) => d.name)), mine(await virshNames('--all')));
    assert.ok(all.some((d) => d.uuid === g.uuid));
    await waitFor('our listing and virsh’s to agree while nothing changes', async () => {
      const a = (await c.listAllDomains()).map((d) => d.name).sort();
      const v = (await virshNames('--all')).sort();
      const b = (await c.listAllDomains()).map((d) => d.name).sort();
      return JSON.stringify(a) === JSON.stringify(v) && JSON.stringify(v) === JSON.stringify(b);
    });
    const active = await c.listAllDomains(ListDomainsFlags.ACTIVE);
    assert.deepEqual(mine(active.map((d) => d.name)), mine(await virshNames()));
    const inactive = await c.listAllDomains(ListDomainsFlags.INACTIVE);
    assert.ok(!inactive.some((d) => d.uuid === g.uuid));
    // Without results: only the count.
    await waitFor('the count to match the listing while nothing changes', async () => {
      const before = (await c.listAllDomains()).length;
      const counted = await c.call('connectListAllDomains', { needResults: false, flags: 0 });
      assert.deepEqual(counted.domains, []);
      const after = (await c.listAllDomains()).length;
      return before === counted.ret && counted.ret === after;
    });
  });

  it('looks up by UUID, name and id, as virsh names them', async () => {
    const id = Number((await rig.virsh('domid', g.uuid)).trim());
    assert.deepEqual(dom, { name: g.name, uuid: g.uuid, id });
    assert.deepEqual(await c.lookupByName(g.name), dom);
    assert.deepEqual((await c.call('domainLookupById', { id })).dom, dom);
    assert.deepEqual(await c.lookupByUuid(g.uuid.toUpperCase()), dom);
  });

  it('state, info, active/persistent and max memory match virsh dominfo', async () => {
    assert.deepEqual(await c.getState(dom), { state: DomainState.RUNNING, reason: 1 });
    const info = await c.call('domainGetInfo', { dom });
    const f = fields(await rig.virsh('dominfo', g.uuid));
    assert.equal(info.state, DomainState.RUNNING);
    assert.equal(info.maxMem, Number(f['Max memory']!.split(' ')[0]));
    assert.equal(info.maxMem, 384 * 1024);
    assert.equal(info.nrVirtCpu, Number(f['CPU(s)']));
    assert.equal(typeof info.cpuTime, 'bigint');
    assert.deepEqual(await c.call('domainIsActive', { dom }), { active: true });
    assert.deepEqual(await c.call('domainIsPersistent', { dom }), { persistent: true });
    assert.deepEqual(await c.call('domainGetMaxMemory', { dom }), { memory: 384 * 1024 });
  });

  it('gives the XML description virsh dumpxml gives, live and inactive', async () => {
    // virsh prints the text and a newline of its own.
    assert.equal(`${await c.getXml(dom)}\n`, await rig.virsh('dumpxml', g.uuid));
    assert.equal(`${await c.getXml(dom, DomainXmlFlags.INACTIVE)}\n`, await rig.virsh('dumpxml', '--inactive', g.uuid));
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

  it('errors arrive as LibvirtError with libvirt’s code: NO_DOMAIN for a missing UUID, OPERATION_INVALID to shut down a shut-off guest', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    await assert.rejects(c.lookupByUuid(missing), (e: unknown) => {
      assert.ok(e instanceof LibvirtError);
      assert.equal(e.code, ErrorCode.NO_DOMAIN);
      assert.equal(e.code, 42);
      assert.equal(e.procedure, 'domainLookupByUuid');
      assert.match(e.message, /Domain not found/);
      return true;
    });
    await assert.rejects(
      c.lookupByName(`${rig.prefix}no-such-guest`),
      (e: unknown) => e instanceof LibvirtError && e.code === 42,
    );
    const off = await rig.define({ name: 'calls-off', start: false, graphics: 'none' });
    const d = await c.lookupByUuid(off.uuid);
    await assert.rejects(
      c.call('domainShutdownFlags', { dom: d, flags: ShutdownFlags.ACPI_POWER_BTN }),
      (e: unknown) => {
        assert.ok(e instanceof LibvirtError);
        assert.equal(e.code, ErrorCode.OPERATION_INVALID);
        assert.equal(e.code, 55);
        assert.match(e.message, /not running/);
        return true;
      },
    );
    // A stale handle (the guest is gone) is libvirt's NO_DOMAIN too.
    await rig.remove(off);
    await assert.rejects(c.getState(d), (e: unknown) => e instanceof LibvirtError && e.code === 42);
  });

  it('starts a defined guest with flags (paused), and destroys it', async () => {
    const h = await rig.define({ name: 'calls-start', start: false, graphics: 'none' });
    const d = await c.lookupByUuid(h.uuid);
    const { dom: started } = await c.call('domainCreateWithFlags', { dom: d, flags: CreateFlags.START_PAUSED });
    assert.ok(started.id > 0);
    assert.equal(await rig.domstate(h), 'paused');
    await c.call('domainDestroyFlags', { dom: started, flags: 0 });
    assert.equal(await rig.domstate(h), 'shut off');
    await rig.remove(h);
  });

  it('opens test:///default through the daemon', async () => {
    const t = await LibvirtClient.connect('test:///default');
    try {
      assert.deepEqual(await t.call('connectGetUri', undefined), { uri: 'test:///default' });
      assert.deepEqual(await t.call('connectGetType', undefined), { type: 'TEST' });
      const doms = await t.listAllDomains();
      assert.deepEqual(
        doms.map((d) => d.name),
        ['test'],
      );
      const info = await t.call('domainGetInfo', { dom: doms[0]! });
      assert.equal(info.state, DomainState.RUNNING);
      assert.equal((await t.call('nodeGetInfo', undefined)).model, 'i686');
    } finally {
      await t.close();
    }
  });

  it('read-only: through the -ro socket, reads work and changes are libvirt’s OPERATION_DENIED', async () => {
    const ro = await LibvirtClient.connect('qemu:///system', { readOnly: true });
    try {
      assert.equal((await ro.call('connectGetUri', undefined)).uri, 'qemu:///system');
      const d = await ro.lookupByUuid(g.uuid);
      assert.equal((await ro.getState(d)).state, DomainState.RUNNING);
      await assert.rejects(
        ro.call('domainSuspend', { dom: d }),
        (e: unknown) =>
          e instanceof LibvirtError && e.code === ErrorCode.OPERATION_DENIED && /read only access/.test(e.message),
      );
      assert.equal(await rig.domstate(g), 'running');
    } finally {
      await ro.close();
    }
  });

  it('closes politely: CONNECT_CLOSE, then every call fails with ConnectionClosedError', async () => {
    const t = await LibvirtClient.connect('qemu:///system');
    const disconnects: Error[] = [];
    t.on('disconnect', (e) => disconnects.push(e));
    await t.close();
    assert.equal(t.connected, false);
    await assert.rejects(t.call('connectGetHostname', undefined), ConnectionClosedError);
    assert.equal(disconnects.length, 0, 'a close asked for is not a disconnect');
    await t.close(); // twice is fine
  });
});
