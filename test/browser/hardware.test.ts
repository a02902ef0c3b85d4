/**
 * The Hardware dialog in Chromium with a real running guest through the serve shell: what applies
 * now and what at next boot shown apart, a CD inserted from a pool's ISO volume (seen by the
 * guest), the boot order and menu written into the definition, the host's USB devices (none on
 * this machine, said in words) — each checked with virsh. The network and pool used are the
 * test's own, removed afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSwitcher, guestCard, type OpenSwitcher } from './switcher-harness.js';
import { storageFixture, type StorageFixture } from '../rig/storage.js';
import { SYSTEM_URI, type TestGuest } from '../rig/guests.js';
import { typeOnSerial } from '../rig/serial-counter.js';
import { waitFor } from '../rig/wait.js';
import { USB_GUEST_UUID, writeUsbTestHost } from '../rig/usb-test-host.js';

describe('the Hardware dialog in Chromium, with a real guest', () => {
  let r: OpenSwitcher;
  let g: TestGuest;
  let fx: StorageFixture;
  let usbDir: string;
  const dlg = '[data-testid="hardware"]';
  /** The status line says `what` is done (or what it said when done). */
  const statusSays = (text: string): Promise<unknown> =>
    r.page.waitForFunction(
      ([sel, want]) => document.querySelector(`${sel} [role="status"]`)?.textContent === want,
      [dlg, text] as const,
      { timeout: 60_000 },
    );

  before(async () => {
    // Beside this machine (no USB devices): a test-driver host that has some.
    usbDir = mkdtempSync(join(tmpdir(), 'vs-hw-usb-'));
    chmodSync(usbDir, 0o755);
    const usbHost = writeUsbTestHost(usbDir);
    r = await openSwitcher([{ name: 'hw-a', cdrom: true }], () => '[data-testid="stage"]', {
      uris: [SYSTEM_URI, usbHost],
    });
    // Other guests on the shared daemon may push its card out of the built part of the strip.
    await r.page.fill('[aria-label="Filter guests"]', r.guests[0]!.name);
    await r.page.waitForSelector(`${guestCard(r.guests[0]!)}[data-state="running"]`, {
      state: 'attached',
      timeout: 60_000,
    });
    g = r.guests[0]!;
    // The pool and network are named hwfx-… so the fixture's clean-up of its prefix leaves the guest alone.
    fx = storageFixture(`${r.rig.prefix}hwfx-`);
    chmodSync(fx.dir, 0o755);
    const iso = join(fx.dir, 'vscd.iso');
    writeFileSync(iso, Buffer.concat([Buffer.from('VSCD-FROM-POOL\n'), Buffer.alloc(64 * 1024)]));
    chmodSync(iso, 0o644);
    await r.rig.virsh('pool-create-as', fx.pool, 'dir', '--target', fx.dir);
    await r.select(g);
    await r.page.getByRole('button', { name: 'Details', exact: true }).click();
    await r.page.getByRole('button', { name: 'Hardware', exact: true }).click();
    await r.page.waitForSelector(`${dlg} [data-disk="sda"]`);
  });

  after(async () => {
    const dialogs = r?.dialogs ?? [];
    await r?.close();
    fx?.cleanup();
    if (usbDir) rmSync(usbDir, { recursive: true, force: true });
    assert.deepEqual(dialogs, [], 'the page opened no browser dialogs');
  });

  it('says in words that this host has no USB devices', async () => {
    await r.page.waitForSelector(`${dlg} [data-usb-empty]`, { timeout: 30_000 });
    assert.equal(await r.page.textContent(`${dlg} [data-usb-empty]`), 'This host has no USB devices.');
    assert.match((await r.page.textContent(`${dlg} [aria-label="USB devices of the guest"]`)) ?? '', /No USB devices/);
  });

  it('inserts a CD picked from a pool’s ISO volumes: virsh and the guest see it; eject empties it', async () => {
    const iso = join(fx.dir, 'vscd.iso');
    const pick = `${dlg} select[aria-label="ISO for sda"]`;
    await r.page.waitForSelector(`${pick} option[value="${iso}"]`, { state: 'attached', timeout: 30_000 });
    assert.equal(await r.page.textContent(`${pick} option[value="${iso}"]`), `${fx.pool}/vscd.iso`);
    // A typed path stays a choice.
    assert.equal(await r.page.isHidden(`${dlg} input[aria-label="ISO path for sda"]`), true);
    await r.page.selectOption(pick, '');
    assert.equal(await r.page.isVisible(`${dlg} input[aria-label="ISO path for sda"]`), true);
    await r.page.selectOption(pick, iso);
    await r.page.screenshot({ path: join('test-results', 'screenshots', 'hardware-cd-pick.png') });
    await r.page.click(`${dlg} [data-disk="sda"] button:has-text("Insert")`);
    await statusSays('Insert into sda: done');
    assert.match(await r.rig.virsh('domblklist', g.uuid), new RegExp(`sda\\s+${iso}`));
    assert.match(await r.rig.virsh('domblklist', '--inactive', g.uuid), new RegExp(`sda\\s+${iso}`));
    await waitFor(
      'the guest reads the pool’s CD',
      async () => {
        const from = r.rig.serial(g).length;
        await typeOnSerial(SYSTEM_URI, g.name, 'head -c 14 /dev/sr0; echo');
        return r.rig.serial(g).slice(from).includes('VSCD-FROM-POOL');
      },
      60_000,
      2000,
    );
    await r.page.click(`${dlg} [data-disk="sda"] button:has-text("Eject")`);
    await statusSays('Eject sda: done');
    assert.match(await r.rig.virsh('domblklist', g.uuid), /sda\s+-/);
  });

  it('shows what applies now and what at next boot apart, as virsh has them', async () => {
    const disk = join(r.rig.runDir, 'hw-data.img');
    writeFileSync(disk, Buffer.alloc(2 * 1024 * 1024));
    const later = join(r.rig.runDir, 'hw-later.img');
    writeFileSync(later, Buffer.alloc(2 * 1024 * 1024));
    const attach = async (path: string): Promise<void> => {
      await r.page.fill(`${dlg} form[aria-label="Attach a disk"] input`, path);
      await r.page.selectOption(`${dlg} form[aria-label="Attach a disk"] select`, 'raw');
      await r.page.click(`${dlg} button:has-text("Attach disk")`);
      await statusSays('Attach the disk: done');
    };
    // Now and at next boot: no mark.
    await attach(disk);
    await r.page.waitForSelector(`${dlg} [data-disk="vda"][data-place="both"]`);
    await r.page.fill(`${dlg} form[aria-label="Add a network card"] input`, fx.network);
    await r.page.click(`${dlg} button:has-text("Add network card")`);
    await r.page.waitForSelector(`${dlg} [data-nic][data-place="both"]`, { timeout: 30_000 });
    assert.match(await r.rig.virsh('domiflist', g.uuid), new RegExp(`network\\s+${fx.network}\\s+virtio`));
    // Taken from the definition only: the running guest keeps them until shutdown.
    await r.page.uncheck(`${dlg} [data-apply="now"]`);
    await r.page.click(`${dlg} [data-disk="vda"] button:has-text("Detach")`);
    await r.page.waitForSelector(`${dlg} [data-disk="vda"][data-place="now"]:has-text("until shutdown")`);
    await r.page.click(`${dlg} [data-nic] button:has-text("Remove")`);
    await r.page.waitForSelector(`${dlg} [data-nic][data-place="now"]:has-text("until shutdown")`);
    assert.doesNotMatch(await r.rig.virsh('domblklist', '--inactive', g.uuid), /vda/);
    assert.match(await r.rig.virsh('domblklist', g.uuid), new RegExp(`vda\\s+${disk}`));
    assert.doesNotMatch(await r.rig.virsh('domiflist', '--inactive', g.uuid), new RegExp(fx.network));
    // Added to the definition only: the guest gets it at next boot.
    await attach(later);
    await r.page.waitForSelector(`${dlg} [data-disk="vdb"][data-place="next-boot"]:has-text("at next boot")`);
    assert.match(await r.rig.virsh('domblklist', '--inactive', g.uuid), new RegExp(`vdb\\s+${later}`));
    assert.doesNotMatch(await r.rig.virsh('domblklist', g.uuid), /vdb/);
    // Changed from outside while the dialog is open, for next boot only: the dialog shows it.
    const outside = join(r.rig.runDir, 'hw-outside.img');
    writeFileSync(outside, Buffer.alloc(2 * 1024 * 1024));
    await r.rig.virsh('attach-disk', g.uuid, outside, 'vdc', '--config');
    await r.page.waitForSelector(`${dlg} [data-disk="vdc"][data-place="next-boot"]:has-text("at next boot")`);
    await r.screenshot('hardware-now-and-next-boot');
  });

  it('saves the boot order and boot menu into the definition, to apply at next boot', async () => {
    const row = (dev: string): string => `${dlg} [data-boot="${dev}"]`;
    await r.page.check(`${row('hd')} input[type="checkbox"]`);
    await r.page.check(`${row('cdrom')} input[type="checkbox"]`);
    await r.page.getByRole('button', { name: 'Move CD-ROM up' }).click();
    await r.page.check(`${dlg} [data-boot-menu]`);
    await r.page.click(`${dlg} button:has-text("Save boot order")`);
    await statusSays('Boot order saved: it applies at next boot.');
    const inactive = await r.rig.virsh('dumpxml', '--inactive', g.uuid);
    assert.match(inactive, /<boot dev='cdrom'\/>\s*<boot dev='hd'\/>\s*<bootmenu enable='yes'\/>/);
    assert.doesNotMatch(await r.rig.virsh('dumpxml', g.uuid), /bootmenu/, 'the running guest keeps how it booted');
    await r.page.waitForSelector(`${dlg} [data-boot-note]:has-text("booted with another order")`);
    assert.deepEqual(
      await r.page.$$eval(`${dlg} [data-boot]`, (rows) => rows.map((x) => (x as HTMLElement).dataset.boot)),
      ['cdrom', 'hd', 'network', 'fd'],
    );
    await r.screenshot('hardware-boot');
  });

  it('lists the USB devices of a host that has some (libvirt’s test driver), and says in its words why attach fails', async () => {
    await r.page.keyboard.press('Escape');
    await r.page.waitForSelector(dlg, { state: 'detached' });
    await r.page.fill('input[placeholder^="Filter"]', 'usbguest');
    await r.page.keyboard.press('Enter');
    await r.page.waitForSelector(`[data-testid="guest"][data-uuid="${USB_GUEST_UUID}"].active`, { state: 'attached' });
    await r.page.getByRole('button', { name: 'Hardware', exact: true }).click();
    await r.page.waitForSelector(`${dlg}:has-text("Hardware of usbguest")`);
    const pick = `${dlg} select[aria-label="USB device of the host"]`;
    await r.page.waitForSelector(pick, { timeout: 30_000 });
    assert.deepEqual(await r.page.$$eval(`${pick} option`, (os) => os.map((o) => o.textContent)), [
      'SanDisk Corp. Cruzer Blade (0x0781:0x5567) · bus 1 device 4',
      'SanDisk Corp. Cruzer Blade (0x0781:0x5567) · bus 2 device 7',
      'SanDisk Corp. Ultra (0x0781:0x5581) · bus 2 device 9',
    ]);
    await r.page.selectOption(pick, 'usb_2_9');
    await r.page.locator(`${dlg} section[aria-label="USB host devices"]`).scrollIntoViewIfNeeded();
    await r.screenshot('hardware-usb');
    await r.page.click(`${dlg} button:has-text("Attach USB device")`);
    await r.page.waitForSelector('.toasts :text("Could not attach Ultra")', { timeout: 30_000 });
    assert.match((await r.page.textContent('.toasts')) ?? '', /not supported by the connection driver/);
    await r.page.keyboard.press('Escape');
  });
});
