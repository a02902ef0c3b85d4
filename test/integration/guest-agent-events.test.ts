/**
 * Changes made outside virtswitch reach the app's model at once (libvirt's tunable, device, tray
 * and agent events), and the guest agent (Debian's qemu-ga inside the busybox test guest) gives
 * its hostname, addresses and a clean shutdown — checked with virsh and on the guest's serial port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppSession } from '../../main/app/api.js';
import type { GuestInfo } from '../../common/contract.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../rig/guests.js';
import { typeOnSerial } from '../rig/serial-counter.js';
import { waitFor, within } from '../rig/wait.js';

describe('app: outside changes and the guest agent', () => {
  let rig: TestRig;
  let app: App;
  let s: AppSession;
  let g: TestGuest;
  let dir: string;
  let net: string;
  const subnet = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;

  const info = (): GuestInfo | undefined => app.state().guests.find((x) => x.uuid === g.uuid);
  const ref = (): { host: string; uuid: string } => ({ host: SYSTEM_URI, uuid: g.uuid });

  before(async () => {
    rig = await TestRig.start();
    dir = mkdtempSync(join(tmpdir(), 'vs-agent-'));
    net = `${rig.prefix}agentnet`;
    const netXml = join(dir, 'net.xml');
    writeFileSync(
      netXml,
      `<network><name>${net}</name><ip address='${subnet}.1' netmask='255.255.255.0'><dhcp><range start='${subnet}.10' end='${subnet}.50'/></dhcp></ip></network>`,
    );
    await rig.virsh('net-create', netXml);
    app = new App({ configDir: dir, uris: [SYSTEM_URI] });
    app.start();
    s = app.session();
    g = await rig.define({
      name: 'agent',
      agent: true,
      cdrom: true,
      network: net,
      vcpus: 1,
      maxVcpus: 2,
    });
    await rig.waitForBoot(g);
    await waitFor('the guest in the model', () => info()?.state === 'running', 30_000);
  });
  after(async () => {
    s?.close();
    await app?.close();
    await rig?.cleanup();
    if (net) await rig?.virshResult('net-destroy', net);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('knows when the agent connects (agent-lifecycle event)', async () => {
    await waitFor('agent connected in the model', () => info()?.hardware?.agent === 'connected', 90_000, 100);
    assert.match(await rig.virsh('dumpxml', g.uuid), /org\.qemu\.guest_agent\.0' state='connected'/);
  });

  it('shows what virsh setvcpus, attach-device and change-media did, without a refresh', async () => {
    // libvirt sends no event for a vCPU hotplug of an unpinned guest: the stats sample (taken while
    // the UI watches) notices it.
    await s.invoke('stats.watch', { on: true });
    await rig.virsh('setvcpus', g.uuid, '2', '--live');
    await waitFor('2 vCPUs in the model', () => info()?.vcpus === 2, 30_000, 50);

    const disk = join(rig.runDir, 'extra.img');
    writeFileSync(disk, Buffer.alloc(1024 * 1024));
    const diskXml = join(dir, 'disk.xml');
    writeFileSync(
      diskXml,
      `<disk type='file' device='disk'><source file='${disk}'/><target dev='vdb' bus='virtio'/></disk>`,
    );
    await rig.virsh('attach-device', g.uuid, diskXml, '--live');
    await waitFor('vdb in the model', () => info()?.hardware?.disks.some((d) => d.target === 'vdb'), 30_000, 50);

    const media = join(rig.runDir, 'media.iso');
    writeFileSync(media, Buffer.concat([Buffer.from('VSMEDIA-MARKER\n'), Buffer.alloc(64 * 1024)]));
    await rig.virsh('change-media', g.uuid, 'sda', media, '--insert', '--live');
    await waitFor(
      'the CD in the model',
      () => info()?.hardware?.disks.find((d) => d.target === 'sda')?.source === media,
    );
    // The guest sees both (a hotplugged disk takes a moment to appear under TCG: ask again until it does).
    const before = rig.serial(g).length;
    await waitFor(
      'the CD marker and a 1 MiB virtio disk inside the guest',
      async () => {
        await typeOnSerial(SYSTEM_URI, g.name, "head -c 14 /dev/sr0; echo; grep -E ' 1024 vd[a-z]$' /proc/partitions");
        return /VSMEDIA-MARKER\r?\n\s*\d+\s+\d+\s+1024 vd[a-z]\r?\n/.test(rig.serial(g).slice(before));
      },
      60_000,
      2000,
    );
  });

  it('reads hostname, addresses and file systems through the agent', async () => {
    const r = await waitFor(
      'an IPv4 address from the agent',
      async () => {
        const a = await s.invoke('guest.agentInfo', ref());
        const typed = a as Awaited<ReturnType<typeof app.run<'guest.agentInfo'>>>;
        return typed.interfaces.some((i) => i.addresses.some((x) => x.startsWith(`${subnet}.`))) && typed;
      },
      90_000,
      1000,
    );
    assert.equal(r.source, 'agent');
    assert.equal(r.hostname, g.name.replace(/[^A-Za-z0-9]/g, '-'));
    const eth = r.interfaces.find((i) => i.addresses.some((x) => x.startsWith(`${subnet}.`)))!;
    const virshAddrs = await rig.virsh('domifaddr', g.uuid, '--source', 'agent');
    const ip = eth.addresses.find((x) => x.startsWith(`${subnet}.`))!;
    assert.ok(virshAddrs.includes(ip), virshAddrs);
    assert.ok(r.interfaces.some((i) => i.name === 'lo' && i.addresses.includes('127.0.0.1/8')));
    assert.ok(Array.isArray(r.fileSystems));
  });

  it('sets the guest clock through the agent after a resume', async () => {
    const set = new Promise<void>((resolve) => app.hosts.get(SYSTEM_URI).once('clock-set', () => resolve()));
    await s.invoke('guest.pause', ref());
    await s.invoke('guest.resume', ref());
    await within(set, 30_000, 'the clock set through the agent');
    const guestTime = Number(/Time: (\d+)/.exec(await rig.virsh('domtime', g.uuid))?.[1]);
    assert.ok(Math.abs(guestTime - Date.now() / 1000) < 5, `guest clock ${guestTime}`);
  });

  it('shuts down through the agent when one is connected', async () => {
    const from = rig.serial(g).length;
    await s.invoke('guest.shutdown', ref());
    await rig.waitForSerial(g, 'agent: shutdown', 60_000, from);
    await rig.waitForState(g, 'shut off', 60_000);
    assert.ok(!rig.serial(g).slice(from).includes('power button'), 'not the ACPI button');
  });
});
