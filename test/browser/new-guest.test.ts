/**
 * New guests and storage through the real UI in Chromium, against the real libvirtd: the rig's
 * installer ISO uploaded into a directory pool from the Storage view (progress bar, Cancel, a
 * non-ISO refused), a guest made from it with the New guest dialog (its marker on its serial
 * port, active on the stage, its disk in the pool), the bad inputs of the dialog, a clone that
 * boots with its own MAC, and the clone deleted with its disk while the original's stays.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { LibvirtClient } from '../../main/libvirt/index.js';
import { SYSTEM_URI } from '../rig/guests.js';
import { ensureInstallerIso, ISO_MARKER } from '../rig/iso.js';
import { storageFixture, type StorageFixture } from '../rig/storage.js';
import { waitFor } from '../rig/wait.js';
import { SCREENSHOTS, startSwitcherRig, type SwitcherRig } from './switcher-harness.js';

const virsh = (...a: string[]): string =>
  execFileSync('virsh', ['-c', SYSTEM_URI, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('new guests and storage in the browser', () => {
  let r: SwitcherRig;
  let fx: StorageFixture;
  let c: LibvirtClient;
  let files: string;
  const iso = ensureInstallerIso();
  const isoName = basename(iso);
  let name: string;
  let originalUuid: string;
  const shot = (n: string): Promise<Buffer> => r.page.screenshot({ path: join(SCREENSHOTS, `new-guest-${n}.png`) });
  const dialog = (): ReturnType<SwitcherRig['page']['getByRole']> => r.page.getByRole('dialog');

  before(async () => {
    r = await startSwitcherRig([]);
    fx = storageFixture(r.rig.prefix);
    name = `${r.rig.prefix}ui`;
    files = mkdtempSync(join(tmpdir(), 'vst-files-'));
    await r.app.session().invoke('storage.poolDefineDir', { host: SYSTEM_URI, name: fx.pool, path: fx.dir });
    c = await LibvirtClient.connect(SYSTEM_URI);
    await r.page.goto(r.shell.url);
    await r.page.locator('[data-host-group]').first().waitFor();
  });

  after(async () => {
    await c?.close();
    await r?.close();
    fx?.cleanup();
    rmSync(files, { recursive: true, force: true });
  });

  it('uploads the installer ISO from the Storage view, with a progress bar; refuses a non-ISO; Cancel removes the partial volume', async () => {
    const p = r.page;
    await p.locator('.host-menu summary').first().click();
    await shot('host-menu');
    await p.getByRole('menuitem', { name: 'Storage' }).click();
    await dialog().getByRole('button', { name: fx.pool, exact: true }).click();
    await dialog()
      .getByRole('heading', { name: `Upload into ${fx.pool}` })
      .waitFor();
    await dialog().getByLabel('File to upload').setInputFiles(iso);
    await dialog().getByRole('button', { name: 'Upload', exact: true }).click();
    await p.getByRole('progressbar').first().waitFor();
    await waitFor(
      'the upload to finish',
      async () => (await dialog().locator('.job').last().textContent())?.includes('Done'),
      120_000,
    );
    await shot('storage');
    assert.ok(fx.volumes().includes(isoName), virsh('vol-list', fx.pool));
    // A file that is not an ISO, offered as an installer: refused in words, nothing made.
    const notes = join(files, 'notes.iso');
    writeFileSync(notes, randomBytes(80_000));
    await dialog().getByLabel('File to upload').setInputFiles(notes);
    await dialog().getByRole('button', { name: 'Upload', exact: true }).click();
    await p.locator('[data-testid="error"]', { hasText: 'not an ISO image' }).waitFor();
    assert.ok(!fx.volumes().includes('notes.iso'));
    // A big disk image, cancelled at once: its partial volume goes.
    const big = join(files, 'big.img');
    writeFileSync(big, '');
    truncateSync(big, 512 << 20);
    await dialog().getByLabel('File to upload').setInputFiles(big);
    await dialog().getByLabel('Kind of file').selectOption('disk');
    await dialog().getByRole('button', { name: 'Upload', exact: true }).click();
    await dialog().getByRole('button', { name: 'Cancel' }).last().click();
    await waitFor(
      'the cancelled upload to be said',
      async () => (await dialog().locator('.job').last().textContent())?.includes('Cancelled'),
      30_000,
    );
    await waitFor('the partial volume to go', () => !fx.volumes().includes('big.img'), 30_000);
    await dialog().getByRole('button', { name: 'Close', exact: true }).click();
  });

  async function fillNewGuest(guestName: string): Promise<void> {
    const d = dialog();
    await d.getByLabel('Install source').selectOption(`iso:${fx.pool}/${isoName}`);
    await waitFor(
      'the OS to be settled',
      async () => (await d.locator('.detected').textContent())?.includes('Not recognised'),
      30_000,
    );
    await d.getByLabel('Disk pool').selectOption(fx.pool);
    await d.getByLabel('Network').selectOption(`network:${fx.network}`);
    if (!(await d.getByLabel('Emulate (no KVM)').isChecked())) await d.getByLabel('Emulate (no KVM)').check();
    await waitFor(
      'defaults for emulation',
      async () => (await d.locator('.notices').textContent())?.includes('emulated'),
      30_000,
    );
    await d.getByLabel('Memory (MiB)').fill('256');
    await d.getByLabel('Disk (GiB)').fill('1');
    await d.getByLabel('Name').fill(guestName);
  }

  it('creates a guest from it with the New guest dialog: it boots the ISO, is active on the stage, has its disk', async () => {
    const p = r.page;
    await p.getByRole('button', { name: 'New guest', exact: true }).click();
    await fillNewGuest(name);
    await shot('dialog');
    await dialog().getByRole('button', { name: 'Create', exact: true }).click();
    await waitFor(
      'the new guest to be active on the stage',
      async () => (await p.getAttribute('[data-testid="stage"]', 'data-active-name')) === name,
      60_000,
    );
    originalUuid = (await p.getAttribute('[data-testid="stage"]', 'data-active-uuid'))!;
    assert.ok(fx.volumes().includes(`${name}.qcow2`), virsh('vol-list', fx.pool));
    const con = await c.openConsole(await c.lookupByUuid(originalUuid), { force: true });
    let text = '';
    con.on('data', (b: Buffer) => (text += b.toString('latin1')));
    await waitFor('the installer’s marker on the new guest’s serial port', () => text.includes(ISO_MARKER), 300_000);
    con.destroy();
    await shot('created');
  });

  it('refuses a taken name, a disk larger than the pool and XML libvirt rejects, in words, making nothing', async () => {
    const p = r.page;
    const volumes = fx.volumes();
    await p.getByRole('button', { name: 'New guest', exact: true }).click();
    await fillNewGuest(name);
    await dialog().getByRole('button', { name: 'Create', exact: true }).click();
    await dialog().locator('[data-testid="error"]', { hasText: 'already exists' }).waitFor();
    await dialog().getByLabel('Name').fill(`${name}-big`);
    await dialog().getByLabel('Disk (GiB)').fill('500000');
    await dialog().getByRole('button', { name: 'Create', exact: true }).click();
    await dialog().locator('[data-testid="error"]', { hasText: 'not enough' }).waitFor();
    await dialog().getByLabel('Disk (GiB)').fill('1');
    await dialog().getByLabel('Name').fill(`${name}-xml`);
    await dialog().getByLabel('Customize before install').check();
    await waitFor(
      'the XML',
      async () => (await dialog().getByLabel('Domain XML').inputValue()).includes('<domain'),
      30_000,
    );
    await dialog().getByLabel('Domain XML').fill(`<domain type='qemu'><name>${name}-xml</name></domain>`);
    await dialog().getByRole('button', { name: 'Create', exact: true }).click();
    await dialog().locator('[data-testid="error"]', { hasText: 'XML error' }).waitFor();
    await shot('refused');
    await dialog().getByRole('button', { name: 'Close', exact: true }).click();
    assert.deepEqual(fx.volumes(), volumes);
    const names = virsh('list', '--all', '--name');
    assert.ok(!names.includes(`${name}-big`) && !names.includes(`${name}-xml`));
  });

  it('clones the stopped guest, both boot with different MACs; deleting the clone with its disk keeps the original’s', async () => {
    const p = r.page;
    await r.app.session().invoke('guest.poweroff', { host: SYSTEM_URI, uuid: originalUuid });
    await p.getByRole('button', { name: 'Clone', exact: true }).first().waitFor({ timeout: 30_000 });
    await p.getByRole('button', { name: 'Clone', exact: true }).first().click();
    await dialog().getByLabel('Name of the clone').fill(`${name}-copy`);
    await dialog().getByRole('button', { name: 'Clone', exact: true }).click();
    await waitFor(
      'the clone to be active',
      async () => (await p.getAttribute('[data-testid="stage"]', 'data-active-name')) === `${name}-copy`,
      60_000,
    );
    const cloneUuid = (await p.getAttribute('[data-testid="stage"]', 'data-active-uuid'))!;
    assert.ok(fx.volumes().includes(`${name}-copy.qcow2`));
    for (const uuid of [originalUuid, cloneUuid])
      await r.app.session().invoke('guest.start', { host: SYSTEM_URI, uuid });
    const mac = (n: string): string => /([0-9a-f]{2}(:[0-9a-f]{2}){5})/.exec(virsh('domiflist', n))![1]!;
    assert.notEqual(mac(name), mac(`${name}-copy`));
    await waitFor(
      'both running',
      () => virsh('list', '--name').includes(`${name}-copy`) && virsh('list', '--name').includes(`${name}\n`),
      30_000,
    );
    await r.app.session().invoke('guest.poweroff', { host: SYSTEM_URI, uuid: cloneUuid });
    const del = p.locator(`[data-testid="guest"][data-name="${name}-copy"] [data-action="delete"]`);
    await del.waitFor({ state: 'attached', timeout: 30_000 });
    await del.click({ force: true });
    const confirm = p.locator('[data-testid="confirm"]');
    await confirm.waitFor();
    await shot('delete');
    assert.equal(await confirm.getByLabel(`Remove ${join(fx.dir, `${name}-copy.qcow2`)}`).isChecked(), true);
    assert.equal(
      await confirm.getByLabel(`Remove ${join(fx.dir, isoName)}`).isDisabled(),
      true,
      'the shared ISO is kept',
    );
    await confirm.locator('[data-confirm="yes"]').click();
    await waitFor(
      'the clone and its disk to go',
      () => !virsh('list', '--all', '--name').includes(`${name}-copy`) && !fx.volumes().includes(`${name}-copy.qcow2`),
      60_000,
    );
    assert.ok(
      fx.volumes().includes(`${name}.qcow2`) && fx.volumes().includes(isoName),
      'the original’s disk and the ISO stay',
    );
  });
});
