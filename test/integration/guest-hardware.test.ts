/**
 * Hardware changes through the app's API on a running guest, checked with virsh and from inside
 * the guest: a CD inserted and ejected, a disk attached (the guest sees a new virtio disk in
 * /proc/partitions) and detached, a network card added and removed, live and persistent apart,
 * a USB device in the definition only seen as such and taken out of it, and the only disk of a
 * running guest refused in libvirt's words. The network used is the test's own.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppSession } from '../../main/app/api.js';
import { ApiError } from '../../common/api-error.js';
import type { GuestInfo } from '../../common/contract.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../rig/guests.js';
import { typeOnSerial } from '../rig/serial-counter.js';
import { storageFixture, type StorageFixture } from '../rig/storage.js';
import { usbHostdevXml } from '../../main/hosts/usb.js';
import type { HardwareView } from '../../common/hardware-contract.js';
import { waitFor } from '../rig/wait.js';

describe('app: a running guest’s hardware', () => {
  let rig: TestRig;
  let app: App;
  let s: AppSession;
  let g: TestGuest;
  let dir: string;
  let fx: StorageFixture;
  const info = (): GuestInfo | undefined => app.state().guests.find((x) => x.uuid === g.uuid);
  const ref = (): { host: string; uuid: string } => ({ host: SYSTEM_URI, uuid: g.uuid });
  /** Asks the guest again until its answer matches: a hotplugged device takes a moment to appear under TCG. */
  const onSerial = async (cmd: string, want: RegExp): Promise<void> => {
    const from = rig.serial(g).length;
    await waitFor(
      `${String(want)} in answer to ${cmd}`,
      async () => {
        await typeOnSerial(SYSTEM_URI, g.name, cmd);
        return want.test(
          rig
            .serial(g)
            .slice(from)
            .replace(/^.*\/proc\/partitions\r?$|^ls \/sys.*$/gm, ''),
        );
      },
      60_000,
      2000,
    );
  };

  before(async () => {
    rig = await TestRig.start();
    dir = mkdtempSync(join(tmpdir(), 'vs-hw-'));
    app = new App({ configDir: dir, uris: [SYSTEM_URI] });
    app.start();
    s = app.session();
    // Named hwfx-… so the fixture's clean-up of its prefix leaves the guests alone.
    fx = storageFixture(`${rig.prefix}hwfx-`);
    g = await rig.define({ name: 'hw', cdrom: true });
    await rig.waitForBoot(g);
    await waitFor('the guest in the model', () => info()?.state === 'running', 30_000);
  });
  after(async () => {
    s?.close();
    await app?.close();
    await rig?.cleanup();
    fx?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('inserts a CD the guest reads, and ejects it', async () => {
    const iso = join(rig.runDir, 'cd.iso');
    writeFileSync(iso, Buffer.concat([Buffer.from('VSCD-INSERTED\n'), Buffer.alloc(64 * 1024)]));
    await s.invoke('guest.changeMedia', { ...ref(), target: 'sda', path: iso, live: true, config: false });
    assert.match(await rig.virsh('domblklist', g.uuid), new RegExp(`sda\\s+${iso}`));
    await onSerial('head -c 13 /dev/sr0; echo', /VSCD-INSERTED/);
    await s.invoke('guest.changeMedia', { ...ref(), target: 'sda', live: true, config: false });
    assert.match(await rig.virsh('domblklist', g.uuid), /sda\s+-/);
    await waitFor(
      'the drive empty in the model',
      () => !info()?.hardware?.disks.find((d) => d.target === 'sda')?.source,
    );
    await onSerial('head -c 1 /dev/sr0 || echo NO-MEDIUM', /NO-MEDIUM|No medium/);
  });

  it('attaches a disk the guest sees, and detaches it; live only leaves the definition alone', async () => {
    const disk = join(rig.runDir, 'data.img');
    writeFileSync(disk, Buffer.alloc(2 * 1024 * 1024));
    const r = (await s.invoke('guest.attachDisk', {
      ...ref(),
      path: disk,
      format: 'raw',
      live: true,
      config: false,
    })) as {
      target: string;
    };
    assert.equal(r.target, 'vda');
    assert.match(await rig.virsh('domblklist', g.uuid), new RegExp(`vda\\s+${disk}`));
    assert.doesNotMatch(await rig.virsh('domblklist', g.uuid, '--inactive'), /vda/);
    await onSerial("grep -E ' 2048 vd[a-z]$' /proc/partitions", /\s2048 vd[a-z]\r?\n/);
    await s.invoke('guest.detachDisk', { ...ref(), target: 'vda', live: true, config: false });
    await waitFor('vda gone', async () => !/vda/.test(await rig.virsh('domblklist', g.uuid)), 30_000, 200);
  });

  it('adds a network card now and at next boot, and removes it', async () => {
    await s.invoke('guest.attachNic', {
      ...ref(),
      kind: 'network',
      source: fx.network,
      model: 'virtio',
      live: true,
      config: true,
    });
    const live = await rig.virsh('domiflist', g.uuid);
    assert.match(live, new RegExp(`network\\s+${fx.network}\\s+virtio`));
    assert.match(await rig.virsh('domiflist', g.uuid, '--inactive'), new RegExp(`network\\s+${fx.network}\\s+virtio`));
    const nic = await waitFor('the card in the model', () => info()?.hardware?.nics[0]);
    await onSerial('ls /sys/class/net', /eth0/);
    await s.invoke('guest.detachNic', { ...ref(), mac: nic.mac, live: true, config: true });
    await waitFor(
      'the card gone',
      async () => !(await rig.virsh('domiflist', g.uuid)).includes(fx.network),
      30_000,
      200,
    );
  });

  it('says what is wrong with a change that cannot apply', async () => {
    await assert.rejects(
      s.invoke('guest.changeMedia', { ...ref(), target: 'sdb', path: '/x.iso', live: true, config: false }),
      (e: unknown) => e instanceof ApiError && /has no CD drive sdb/.test(e.message),
    );
    await assert.rejects(
      s.invoke('guest.changeMedia', { ...ref(), target: 'sda', path: '/x.iso', live: false, config: false }),
      (e: unknown) => e instanceof ApiError && /now, at next boot, or both/.test(e.message),
    );
  });

  it('shows a USB device of the definition only as one for next boot, and takes it out of the definition', async () => {
    const xmlPath = join(rig.runDir, 'usb.xml');
    writeFileSync(xmlPath, usbHostdevXml({ vendor: '0x0781', product: '0x5567' }));
    // This machine has no such device: libvirt takes it into the definition, to be looked for at start.
    await rig.virsh('attach-device', g.uuid, xmlPath, '--config');
    const view = (await s.invoke('guest.hardware', ref())) as HardwareView;
    assert.deepEqual(view.usb, [{ vendor: '0x0781', product: '0x5567', place: 'next-boot' }]);
    assert.equal(view.running, true);
    assert.equal(view.persistent, true);
    await assert.rejects(
      s.invoke('guest.attachUsb', { ...ref(), device: 'usb_1_4', live: true, config: false }),
      (e: unknown) => e instanceof ApiError && /has no USB device usb_1_4/.test(e.message),
    );
    await s.invoke('guest.detachUsb', { ...ref(), vendor: '0x0781', product: '0x5567', live: false, config: true });
    assert.doesNotMatch(await rig.virsh('dumpxml', '--inactive', g.uuid), /<hostdev/);
    assert.deepEqual(((await s.invoke('guest.hardware', ref())) as HardwareView).usb, []);
  });

  it('says in libvirt’s words why the only disk of a running guest cannot be detached', async () => {
    const ide = await rig.define({ name: 'hw-ide', start: false });
    const img = join(rig.runDir, 'ide.img');
    writeFileSync(img, Buffer.alloc(1024 * 1024));
    const xmlPath = join(rig.runDir, 'ide.xml');
    writeFileSync(
      xmlPath,
      `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${img}'/><target dev='hda' bus='ide'/></disk>`,
    );
    await rig.virsh('attach-device', ide.uuid, xmlPath, '--config');
    await rig.start(ide);
    await waitFor('the IDE guest running in the model', () =>
      app.state().guests.some((x) => x.uuid === ide.uuid && x.state === 'running' && x.hardware?.disks.length === 1),
    );
    await assert.rejects(
      s.invoke('guest.detachDisk', { host: SYSTEM_URI, uuid: ide.uuid, target: 'hda', live: true, config: false }),
      (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.match(e.message, new RegExp(`detach disk hda from ${ide.name}`));
        assert.match(e.message, /This type of disk cannot be hot unplugged/);
        return true;
      },
    );
    assert.match(await rig.virsh('domblklist', ide.uuid), new RegExp(`hda\\s+${img}`));
  });
});
