/**
 * A volume's Download and Resize in the Storage view, through the real UI in Chromium over the
 * serve shell, against the real libvirtd: the downloaded file is byte for byte what `virsh
 * vol-download` gives, through the browser's downloads and streamed into a picked file (the
 * File System Access picker, faked in the page: headless Chromium cannot show its dialog), with
 * a progress bar, and Cancel that stops it with nothing saved; a
 * volume grows to the size typed (checked with `virsh vol-info`); shrinking and growth past the
 * pool's free space are refused in words.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppEvent, JobInfo } from '../../common/contract.js';
import { ISO_PVD_END } from '../../common/iso9660.js';
import { SYSTEM_URI } from '../rig/guests.js';
import { storageFixture, type StorageFixture } from '../rig/storage.js';
import { waitFor } from '../rig/wait.js';
import { SCREENSHOTS, startSwitcherRig, type SwitcherRig } from './switcher-harness.js';

const virsh = (...a: string[]): string =>
  execFileSync('virsh', ['-c', SYSTEM_URI, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('volume download and resize in the browser', () => {
  let r: SwitcherRig;
  let fx: StorageFixture;
  let files: string;
  const jobs: JobInfo[] = [];
  const shot = (n: string): Promise<Buffer> => r.page.screenshot({ path: join(SCREENSHOTS, `storage-${n}.png`) });
  const dialog = (): ReturnType<SwitcherRig['page']['getByRole']> => r.page.getByRole('dialog');
  const capacity = (name: string): string =>
    /Capacity:\s+(.*)/.exec(virsh('vol-info', '--pool', fx.pool, name))?.[1]?.trim() ?? '';

  before(async () => {
    r = await startSwitcherRig([]);
    fx = storageFixture(r.rig.prefix);
    files = mkdtempSync(join(tmpdir(), 'vst-files-'));
    r.app.on('event', (e: AppEvent) => void (e.type === 'job' && jobs.push(e.job)));
    const s = r.app.session();
    await waitFor('the host to connect', () => r.app.hosts.get(SYSTEM_URI).connected, 30_000);
    await s.invoke('storage.poolDefineDir', { host: SYSTEM_URI, name: fx.pool, path: fx.dir });
    const data = join(files, 'data.img');
    writeFileSync(data, randomBytes(3 << 20));
    const bytes = readFileSync(data);
    const up = await s.uploadFile(
      {
        host: SYSTEM_URI,
        pool: fx.pool,
        name: 'data.img',
        size: bytes.length,
        role: 'disk',
        head: bytes.subarray(0, ISO_PVD_END).toString('base64'),
      },
      data,
    );
    await waitFor('the upload', () => jobs.find((j) => j.id === up.job && j.state === 'done'), 60_000);
    const make = (name: string, format: string, size: number): Promise<unknown> =>
      s.invoke('storage.volumeCreate', { host: SYSTEM_URI, pool: fx.pool, name, format, capacity: size });
    await make('small.qcow2', 'qcow2', 2 ** 30);
    await make('zeros.raw', 'raw', 2 ** 30);
    s.close();
    await r.page.goto(r.shell.url);
    await r.page.locator('.host-menu summary').first().click();
    await r.page.getByRole('menuitem', { name: 'Storage' }).click();
    await dialog().getByRole('button', { name: fx.pool, exact: true }).click();
    await dialog().locator('[data-volume="data.img"]').waitFor();
  });

  after(async () => {
    await r?.close();
    fx?.cleanup();
    rmSync(files, { recursive: true, force: true });
  });

  /** The page's save-file picker: none (bytes via memory and the browser's downloads) or a fake file. */
  const picker = (kind: 'none' | 'fake'): Promise<void> =>
    r.page.evaluate((k) => {
      const w = window as unknown as Record<string, unknown>;
      delete (Window.prototype as unknown as Record<string, unknown>).showSaveFilePicker;
      delete w.showSaveFilePicker;
      w.__saved = undefined;
      if (k === 'none') return;
      // A file the user "picked": what is written, closed or aborted is kept for the test.
      w.showSaveFilePicker = async ({ suggestedName }: { suggestedName: string }) => ({
        createWritable: async () => {
          const parts: ArrayBuffer[] = [];
          return {
            write: async (c: ArrayBuffer) => void parts.push(c),
            close: async () => void (w.__saved = { name: suggestedName, blob: new Blob(parts) }),
            abort: async () => void (w.__saved = 'aborted'),
          };
        },
      });
    }, kind);
  const savedInPage = (): Promise<{ name: string; base64: string } | string | null> =>
    r.page.evaluate(async () => {
      const saved = (window as unknown as { __saved?: { name: string; blob: Blob } | string }).__saved;
      if (saved === undefined) return null;
      if (typeof saved === 'string') return saved;
      const bytes = new Uint8Array(await saved.blob.arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { name: saved.name, base64: btoa(s) };
    });
  const virshBytes = (name: string): Buffer => {
    const want = join(files, `virsh-${name}`);
    virsh('vol-download', '--pool', fx.pool, name, want);
    return readFileSync(want);
  };

  it('downloads a volume through the browser’s downloads: what virsh vol-download gives, with a progress bar', async () => {
    await picker('none');
    const saved = r.page.waitForEvent('download');
    await dialog().getByRole('button', { name: 'Download volume data.img' }).click();
    const download = await saved;
    assert.equal(download.suggestedFilename(), 'data.img');
    const got = join(files, 'got.img');
    await download.saveAs(got);
    assert.ok(readFileSync(got).equals(virshBytes('data.img')));
    const bar = dialog().getByRole('progressbar', { name: 'Downloading data.img' });
    assert.equal(await bar.getAttribute('aria-valuenow'), '100');
    await waitFor('"Done"', async () => (await dialog().locator('.job').last().textContent())?.includes('Done'));
    await shot('download');
  });

  it('streams a download into a file the user picked where the browser offers that', async () => {
    await picker('fake');
    let downloads = 0;
    r.page.on('download', () => downloads++);
    await dialog().getByRole('button', { name: 'Download volume small.qcow2' }).click();
    const saved = await waitFor('the picked file to be closed', async () => (await savedInPage()) ?? undefined);
    assert.ok(saved && typeof saved === 'object');
    assert.equal(saved.name, 'small.qcow2');
    assert.ok(Buffer.from(saved.base64, 'base64').equals(virshBytes('small.qcow2')));
    assert.equal(downloads, 0, 'nothing went through the browser’s downloads');
  });

  it('Cancel stops a download: nothing is saved and the job ends cancelled', async () => {
    await picker('fake');
    let downloads = 0;
    r.page.on('download', () => downloads++);
    await dialog().getByRole('button', { name: 'Download volume zeros.raw' }).click();
    await dialog().getByRole('progressbar', { name: 'Downloading zeros.raw' }).waitFor();
    await dialog().locator('.job').last().getByRole('button', { name: 'Cancel' }).click();
    await waitFor('"Cancelled"', async () =>
      (await dialog().locator('.job').last().textContent())?.includes('Cancelled; nothing was saved'),
    );
    const job = await waitFor('the job to end', () =>
      jobs.find((j) => j.kind === 'download' && j.label.includes('zeros.raw') && j.state !== 'running'),
    );
    assert.equal(job.state, 'cancelled', job.error);
    assert.ok(job.done < 2 ** 30);
    assert.equal(
      await waitFor('the picked file to be dropped', async () => (await savedInPage()) ?? undefined),
      'aborted',
    );
    assert.equal(downloads, 0);
  });

  it('resizes a volume to the size typed; shrinking and more than the pool has free are refused in words', async () => {
    const p = r.page;
    await dialog().getByRole('button', { name: 'Resize volume small.qcow2' }).click();
    const size = dialog().getByLabel('New size of small.qcow2 (GiB)');
    assert.equal(await size.inputValue(), '1');
    await size.fill('2');
    await shot('resize');
    await dialog().getByRole('button', { name: 'Resize', exact: true }).click();
    await waitFor('virsh to see 2 GiB', () => capacity('small.qcow2') === '2.00 GiB');
    await dialog().locator('[data-volume="small.qcow2"]', { hasText: '2.0 GiB' }).waitFor();
    await dialog().getByRole('button', { name: 'Resize volume small.qcow2' }).click();
    await size.fill('1');
    await dialog().getByRole('button', { name: 'Resize', exact: true }).click();
    await p.locator('[data-testid="error"]', { hasText: "Can't shrink small.qcow2" }).waitFor();
    await shot('resize-refused');
    await size.fill('500000');
    await dialog().getByRole('button', { name: 'Resize', exact: true }).click();
    await p.locator('[data-testid="error"]', { hasText: `pool ${fx.pool} has` }).waitFor();
    assert.equal(capacity('small.qcow2'), '2.00 GiB');
  });
});
