/**
 * The wire client's calls against the real system libvirtd, with virsh as the independent oracle:
 * connection-level calls and host facts, domain listings and lookups, state, info and XML, typed
 * errors, test:///default opened through the daemon, the read-only socket, and a polite close.
 * What changes a guest (define, create, memory, vCPUs, stats, events) is in libvirt-domains.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConnectionClosedError,
  DomainState,
  DomainXmlFlags,
  DrvFeature,
  ErrorCode,
  LibvirtClient,
  LibvirtError,
  ListDomainsFlags,
  ShutdownFlags,
  type DomainRef,
} from '../../main/libvirt/index.js';
import type { TestGuest, TestRig } from '../rig/guests.js';
import { fields, useGuestClient, waitFor } from './libvirt-helpers.js';

describe('libvirt wire client: calls against the system daemon, checked with virsh', () => {
  let rig: TestRig;
  let c: LibvirtClient;
  let g: TestGuest;
  let dom: DomainRef;
  useGuestClient({ name: 'calls', memoryMiB: 256, maxMemoryMiB: 384, vcpus: 1, maxVcpus: 2 }, {}, (s) => {
    ({ rig, c, g, dom } = s);
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
