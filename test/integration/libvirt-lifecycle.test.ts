/**
 * A real guest's whole life through the wire client, with lifecycle and reboot events as they
 * arrive and virsh as the oracle: suspend/resume, snapshots, managed save and restore, reboot,
 * reset, ACPI shutdown, destroy, undefine — and events for what others do behind our back.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LibvirtClient } from '../../main/libvirt/index.js';
import {
  CreateFlags,
  DestroyFlags,
  DomainState,
  ErrorCode,
  LibvirtError,
  LifecycleEvent as E,
  ShutdownFlags,
  SnapshotCreateFlags,
  SnapshotDeleteFlags,
  UndefineFlags,
  type DomainRef,
  type SnapshotRef,
} from '../../main/libvirt/index.js';
import type { TestGuest, TestRig } from '../rig/guests.js';
import { useGuestClient, waitFor, type EventLog } from './libvirt-helpers.js';

const BANNER = (g: TestGuest): string => `virtswitch test guest: ${g.name}`;
const count = (text: string, what: string): number => text.split(what).length - 1;

describe('libvirt wire client: a guest’s lifecycle, with events', () => {
  let rig: TestRig;
  let c: LibvirtClient;
  let g: TestGuest;
  let dom: DomainRef;
  let log: EventLog;

  const lines = async (...args: string[]): Promise<string[]> =>
    (await rig.virsh(...args))
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);

  useGuestClient({ name: 'life', disk: true }, { boot: true, events: true }, (s) => {
    ({ rig, c, g, dom, log } = s);
  });

  /** Has the guest's serial shell echo the marker, and waits for it in the serial log after `from`. */
  const answerOnSerial = async (guest: TestGuest, marker: string, from: number): Promise<void> => {
    const con = await c.openConsole(dom, { force: true });
    con.resume();
    con.write(`echo ${marker}\r`);
    await rig.waitForSerial(guest, marker, 30_000, from);
    con.destroy();
  };

  it('defining a guest is a DEFINED/ADDED event', async () => {
    // The guest of this file was defined (and started) after the subscription.
    await log.next(g.uuid, E.DEFINED, 0);
    await log.next(g.uuid, E.STARTED, 0);
  });

  it('suspend and resume: state, virsh and SUSPENDED/RESUMED events', async () => {
    await c.call('domainSuspend', { dom });
    assert.equal(await rig.domstate(g), 'paused');
    await log.next(g.uuid, E.SUSPENDED, 0);
    assert.equal((await c.getState(dom)).state, DomainState.PAUSED);
    await c.call('domainResume', { dom });
    assert.equal(await rig.domstate(g), 'running');
    await log.next(g.uuid, E.RESUMED, 0);
  });

  it('events for what virsh does behind our back arrive too', async () => {
    await rig.virsh('suspend', g.uuid);
    await log.next(g.uuid, E.SUSPENDED, 0);
    await rig.virsh('resume', g.uuid);
    await log.next(g.uuid, E.RESUMED, 0);
  });

  it('registers and deregisters a subscription for one domain only', async () => {
    const mine: number[] = [];
    const sub = await c.subscribe(
      'lifecycle',
      (b) => {
        assert.equal(b.dom.uuid, g.uuid);
        mine.push(b.event);
      },
      { dom },
    );
    await c.call('domainSuspend', { dom });
    await c.call('domainResume', { dom });
    await waitFor('both events on the domain’s own subscription', () => mine.length >= 2);
    assert.deepEqual(mine, [E.SUSPENDED, E.RESUMED]);
    // A second subscription to the same kind and domain shares the daemon's registration.
    const second: number[] = [];
    const sub2 = await c.subscribe('lifecycle', (b) => second.push(b.event), { dom });
    await sub.remove();
    log.skip();
    await c.call('domainSuspend', { dom });
    await c.call('domainResume', { dom });
    await log.next(g.uuid, E.RESUMED, 0); // the catch-all subscription still hears them
    await waitFor('the second subscription to hear them', () => second.length === 2);
    assert.deepEqual(mine, [E.SUSPENDED, E.RESUMED], 'nothing after the deregistration');
    await sub2.remove(); // the last one: deregistered with the daemon
    await sub2.remove(); // twice is harmless
    await c.call('domainSuspend', { dom });
    await c.call('domainResume', { dom });
    await log.next(g.uuid, E.RESUMED, 0);
    assert.deepEqual(second, [E.SUSPENDED, E.RESUMED]);
    // Deregistering an id the daemon does not know is libvirt's error, typed.
    await assert.rejects(c.call('connectDomainEventCallbackDeregisterAny', { callbackId: 987654 }), LibvirtError);
  });

  let s1: SnapshotRef;
  it('snapshots: create, list all, current, lookup, XML — as virsh sees them', async () => {
    assert.deepEqual(await c.call('domainHasCurrentSnapshot', { dom, flags: 0 }), { result: false });
    ({ snap: s1 } = await c.call('domainSnapshotCreateXml', {
      dom,
      xml: '<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>',
      flags: SnapshotCreateFlags.VALIDATE,
    }));
    assert.deepEqual(s1, { name: 's1', dom });
    const { snap: s2 } = await c.call('domainSnapshotCreateXml', {
      dom,
      xml: '<domainsnapshot><name>s2</name></domainsnapshot>',
      flags: 0,
    });
    const all = await c.call('domainListAllSnapshots', { dom, needResults: true, flags: 0 });
    assert.deepEqual(all.snapshots.map((s) => s.name).sort(), (await lines('snapshot-list', g.uuid, '--name')).sort());
    assert.equal(all.ret, 2);
    assert.deepEqual(await c.call('domainHasCurrentSnapshot', { dom, flags: 0 }), { result: true });
    assert.deepEqual((await c.call('domainSnapshotCurrent', { dom, flags: 0 })).snap, s2);
    assert.equal((await rig.virsh('snapshot-current', g.uuid, '--name')).trim(), 's2');
    const found = await c.call('domainSnapshotLookupByName', { dom, name: 's1', flags: 0 });
    assert.deepEqual(found.snap, s1);
    const xml = (await c.call('domainSnapshotGetXmlDesc', { snap: s1, flags: 0 })).xml;
    assert.match(xml, /<name>s1<\/name>/);
    assert.match(xml, /<description>first<\/description>/);
    assert.match(xml, /<state>running<\/state>/);
    assert.equal(`${xml}\n`, await rig.virsh('snapshot-dumpxml', g.uuid, 's1'));
    await assert.rejects(
      c.call('domainSnapshotLookupByName', { dom, name: 'nope', flags: 0 }),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorCode.NO_DOMAIN_SNAPSHOT,
    );
    // Delete s2: gone for virsh too.
    await c.call('domainSnapshotDelete', { snap: s2, flags: 0 });
    assert.deepEqual(await lines('snapshot-list', g.uuid, '--name'), ['s1']);
  });

  it('an external virsh destroy arrives as STOPPED/DESTROYED; reverting to a running snapshot starts the guest again', async () => {
    await rig.virsh('destroy', g.uuid);
    const ev = await log.next(g.uuid, E.STOPPED, 1);
    assert.equal(ev.detail, 1); // VIR_DOMAIN_EVENT_STOPPED_DESTROYED
    assert.equal((await c.getState(dom)).state, DomainState.SHUTOFF);
    await c.call('domainRevertToSnapshot', { snap: s1, flags: 0 });
    await log.next(g.uuid, E.STARTED, 3); // FROM_SNAPSHOT
    assert.equal(await rig.domstate(g), 'running');
    assert.equal((await rig.virsh('snapshot-current', g.uuid, '--name')).trim(), 's1');
    // Running again from the saved memory: the guest's serial shell answers without a new boot.
    const before = rig.serial(g).length;
    dom = await c.lookupByUuid(g.uuid); // a new id
    await answerOnSerial(g, 'reverted-ok', before);
    assert.equal(count(rig.serial(g).slice(before), BANNER(g)), 0, 'no reboot');
  });

  it('managed save stops the guest with STOPPED/SAVED; starting it restores it (STARTED/RESTORED)', async () => {
    await c.call('domainManagedSave', { dom, flags: 0 });
    await log.next(g.uuid, E.STOPPED, 4);
    assert.equal(await rig.domstate(g), 'shut off');
    assert.deepEqual(await c.call('domainHasManagedSaveImage', { dom, flags: 0 }), { result: true });
    assert.match(await rig.virsh('dominfo', g.uuid), /Managed save:\s+yes/);
    const before = rig.serial(g).length;
    ({ dom } = await c.call('domainCreateWithFlags', { dom, flags: 0 }));
    await log.next(g.uuid, E.STARTED, 2);
    assert.equal((await rig.virsh('domstate', '--reason', g.uuid)).trim(), 'running (restored)');
    assert.deepEqual(await c.call('domainHasManagedSaveImage', { dom, flags: 0 }), { result: false });
    // The serial shell answering proves the guest runs; a boot would have printed its banner
    // before any shell could answer.
    await answerOnSerial(g, 'restored-ok', before);
    assert.equal(count(rig.serial(g).slice(before), BANNER(g)), 0, 'restored, not booted');
  });

  it('a managed save image can be removed: the next start boots afresh', async () => {
    await c.call('domainManagedSave', { dom, flags: 0 });
    await log.next(g.uuid, E.STOPPED, 4);
    await c.call('domainManagedSaveRemove', { dom, flags: 0 });
    assert.deepEqual(await c.call('domainHasManagedSaveImage', { dom, flags: 0 }), { result: false });
    assert.match(await rig.virsh('dominfo', g.uuid), /Managed save:\s+no/);
    const before = rig.serial(g).length;
    ({ dom } = await c.call('domainCreateWithFlags', { dom, flags: CreateFlags.FORCE_BOOT }));
    await log.next(g.uuid, E.STARTED, 0);
    await rig.waitForBoot(g, before);
  });

  it('reboot through the ACPI power button: the guest powers off, libvirt restarts it, a REBOOT event comes', async () => {
    const before = rig.serial(g).length;
    const reboots = log.reboots.length;
    await c.call('domainReboot', { dom, flags: ShutdownFlags.ACPI_POWER_BTN });
    await rig.waitForSerial(g, 'power button: powering off', 30_000, before);
    await waitFor('the REBOOT event', () => log.reboots.slice(reboots).some((r) => r.uuid === g.uuid), 30_000);
    await rig.waitForBoot(g, before);
    assert.equal(await rig.domstate(g), 'running');
  });

  it('reset: an immediate hardware reset, a REBOOT event and a fresh boot', async () => {
    const before = rig.serial(g).length;
    const reboots = log.reboots.length;
    await c.call('domainReset', { dom, flags: 0 });
    await waitFor('the REBOOT event', () => log.reboots.slice(reboots).some((r) => r.uuid === g.uuid), 30_000);
    await rig.waitForBoot(g, before);
    assert.doesNotMatch(rig.serial(g).slice(before), /power button/);
  });

  it('shutdown with the ACPI flag: the guest handles the button and powers off (STOPPED/SHUTDOWN)', async () => {
    const before = rig.serial(g).length;
    await c.call('domainShutdownFlags', { dom, flags: ShutdownFlags.ACPI_POWER_BTN });
    await log.next(g.uuid, E.STOPPED, 0, 60_000);
    assert.equal(await rig.domstate(g), 'shut off');
    assert.match(rig.serial(g).slice(before), /power button: powering off/);
    // Shutting down a shut-off guest is libvirt's OPERATION_INVALID.
    await assert.rejects(
      c.call('domainShutdownFlags', { dom, flags: 0 }),
      (e: unknown) => e instanceof LibvirtError && e.code === 55,
    );
  });

  it('destroy with the GRACEFUL flag stops a running guest (STOPPED/DESTROYED)', async () => {
    ({ dom } = await c.call('domainCreateWithFlags', { dom, flags: 0 }));
    await log.next(g.uuid, E.STARTED, 0);
    await c.call('domainDestroyFlags', { dom, flags: DestroyFlags.GRACEFUL });
    await log.next(g.uuid, E.STOPPED, 1);
    assert.equal(await rig.domstate(g), 'shut off');
    await assert.rejects(
      c.call('domainDestroyFlags', { dom, flags: 0 }),
      (e: unknown) => e instanceof LibvirtError && e.code === 55,
    );
  });

  it('undefine refuses a guest with snapshots unless told to drop their metadata (UNDEFINED/REMOVED)', async () => {
    await assert.rejects(
      c.call('domainUndefineFlags', { dom, flags: 0 }),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorCode.OPERATION_INVALID,
    );
    await c.call('domainUndefineFlags', { dom, flags: UndefineFlags.SNAPSHOTS_METADATA | UndefineFlags.MANAGED_SAVE });
    await log.next(g.uuid, E.UNDEFINED, 0);
    assert.notEqual((await rig.virshResult('dominfo', g.uuid)).code, 0);
    await assert.rejects(c.lookupByUuid(g.uuid), (e: unknown) => e instanceof LibvirtError && e.code === 42);
  });

  it('deleting a snapshot with its children and metadata only is accepted by the daemon', async () => {
    const h = await rig.define({ name: 'life-snap', disk: true, start: false, graphics: 'none' });
    const d = await c.lookupByUuid(h.uuid);
    const { snap: a } = await c.call('domainSnapshotCreateXml', {
      dom: d,
      xml: '<domainsnapshot><name>a</name></domainsnapshot>',
      flags: 0,
    });
    await c.call('domainSnapshotCreateXml', {
      dom: d,
      xml: '<domainsnapshot><name>b</name></domainsnapshot>',
      flags: 0,
    });
    assert.deepEqual((await lines('snapshot-list', h.uuid, '--name')).sort(), ['a', 'b']);
    await c.call('domainSnapshotDelete', { snap: a, flags: SnapshotDeleteFlags.CHILDREN });
    assert.deepEqual(await lines('snapshot-list', h.uuid, '--name'), []);
    await rig.remove(h);
  });
});
