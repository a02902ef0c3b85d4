/**
 * USB passthrough through libvirt's test driver in the running libvirtd (this machine has no USB
 * device to pass through): the host's USB node devices as the app lists them, against the shared
 * `test+unix:///default` host and a test host of our own that has a USB stick, and the attach
 * and detach requests carried to libvirt and answered in its words.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppSession } from '../../main/app/api.js';
import { ApiError } from '../../common/api-error.js';
import { LibvirtClient } from '../../main/libvirt/index.js';
import { ensureLibvirtd } from '../rig/libvirtd.js';
import { SHARED_TEST_URI } from '../rig/scale-hosts.js';
import { waitFor } from '../rig/wait.js';
import { USB_GUEST_UUID as GUEST_UUID, writeUsbTestHost } from '../rig/usb-test-host.js';

describe('USB host devices through libvirt’s test driver', () => {
  let dir: string;
  let uri: string;
  let app: App;
  let s: AppSession;

  before(async () => {
    await ensureLibvirtd();
    dir = mkdtempSync(join(tmpdir(), 'vs-usb-'));
    chmodSync(dir, 0o755);
    uri = writeUsbTestHost(dir);
    app = new App({ configDir: join(dir, 'config'), uris: [uri, SHARED_TEST_URI] });
    app.start();
    s = app.session();
    await waitFor(
      'both test hosts connected with the guest known',
      () =>
        app.state().hosts.every((h) => h.status === 'connected') &&
        app.state().guests.some((g) => g.uuid === GUEST_UUID && g.state === 'running'),
      30_000,
    );
  });

  after(async () => {
    s?.close();
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the USB devices of the shared test host exactly as libvirt’s node device list names them', async () => {
    const listed = (await s.invoke('host.usbDevices', { host: SHARED_TEST_URI })) as { name: string }[];
    // The older listing call, by capability name, as a second opinion on the same daemon.
    const c = await LibvirtClient.connect(SHARED_TEST_URI);
    try {
      const { names } = await c.call('nodeListDevices', { cap: 'usb_device', maxnames: 1024, flags: 0 });
      assert.deepEqual(listed.map((d) => d.name).sort(), [...names].sort());
      // And it has node devices, only none of them USB: the app's empty state is what shows there.
      const { names: all } = await c.call('nodeListDevices', { cap: null, maxnames: 1024, flags: 0 });
      assert.ok(all.length > 0, 'the shared test host has node devices');
    } finally {
      await c.close();
    }
  });

  it('lists a host’s USB devices with ids, names, bus and device', async () => {
    const listed = await s.invoke('host.usbDevices', { host: uri });
    assert.deepEqual(listed, [
      {
        name: 'usb_1_4',
        vendor: '0x0781',
        product: '0x5567',
        vendorName: 'SanDisk Corp.',
        productName: 'Cruzer Blade',
        bus: 1,
        device: 4,
      },
      {
        name: 'usb_2_7',
        vendor: '0x0781',
        product: '0x5567',
        vendorName: 'SanDisk Corp.',
        productName: 'Cruzer Blade',
        bus: 2,
        device: 7,
      },
      {
        name: 'usb_2_9',
        vendor: '0x0781',
        product: '0x5581',
        vendorName: 'SanDisk Corp.',
        productName: 'Ultra',
        bus: 2,
        device: 9,
      },
    ]);
  });

  it('carries attach and detach to libvirt, which answers in words (the test driver has no hotplug)', async () => {
    const ref = { host: uri, uuid: GUEST_UUID, live: true, config: true };
    await assert.rejects(s.invoke('guest.attachUsb', { ...ref, device: 'usb_2_9' }), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.match(e.message, /pass USB device Ultra through to usbguest/);
      assert.match(e.message, /not supported by the connection driver: virDomainAttachDeviceFlags/);
      return true;
    });
    await assert.rejects(
      s.invoke('guest.detachUsb', { ...ref, vendor: '0x0781', product: '0x5581' }),
      (e: unknown) =>
        e instanceof ApiError &&
        /take USB device 0x0781:0x5581 from usbguest/.test(e.message) &&
        /virDomainDetachDeviceFlags/.test(e.message),
    );
  });

  it('refuses a device the host does not have, and no choice of when, before asking libvirt', async () => {
    const ref = { host: uri, uuid: GUEST_UUID };
    await assert.rejects(
      s.invoke('guest.attachUsb', { ...ref, device: 'usb_9_9', live: true, config: false }),
      (e: unknown) =>
        e instanceof ApiError && e.code === 'invalid-input' && /has no USB device usb_9_9/.test(e.message),
    );
    await assert.rejects(
      s.invoke('guest.attachUsb', { ...ref, device: 'usb_1_4', live: false, config: false }),
      (e: unknown) => e instanceof ApiError && /now, at next boot, or both/.test(e.message),
    );
  });
});
