/**
 * Storage part of `npm run bench`: the same 256 MiB file uploaded into a volume through
 * virtswitch (the App's upload job: volume made and checked, bytes through the host's libvirt
 * connection as a volume upload stream) and with `virsh vol-create-as` + `virsh vol-upload`, in
 * interleaved rounds of one run; and click on Create in the New guest dialog → first frame of the
 * new guest's screen on the stage, in Chromium through the serve shell.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { App, type AppSession } from '../main/app/api.js';
import type { AppEvent, JobInfo } from '../common/contract.js';
import { ISO_PVD_END } from '../common/iso9660.js';
import { startSwitcherRig, type SwitcherRig } from '../test/browser/switcher-harness.js';
import { SYSTEM_URI } from '../test/rig/guests.js';
import { ensureInstallerIso } from '../test/rig/iso.js';
import { storageFixture, type StorageFixture } from '../test/rig/storage.js';
import { waitFor } from '../test/rig/wait.js';
import { percentile, report } from './report.js';

const SIZE = 256 << 20;
const ROUNDS = 5;
const CREATE_ROUNDS = 3;

const virsh = (...a: string[]): string =>
  execFileSync('virsh', ['-c', SYSTEM_URI, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function jobDone(app: App, id: string): Promise<JobInfo> {
  return new Promise((resolve) => {
    const on = (e: AppEvent): void => {
      if (e.type === 'job' && e.job.id === id && e.job.state !== 'running') {
        app.off('event', on);
        resolve(e.job);
      }
    };
    app.on('event', on);
  });
}

function headOf(file: string): string {
  const b = Buffer.alloc(ISO_PVD_END);
  const fd = openSync(file, 'r');
  const n = readSync(fd, b, 0, b.length, 0);
  closeSync(fd);
  return b.subarray(0, n).toString('base64');
}

async function ours(app: App, s: AppSession, pool: string, file: string, name: string): Promise<number> {
  const head = headOf(file);
  const t0 = performance.now();
  const { job } = (await s.invoke('storage.uploadBegin', {
    host: SYSTEM_URI,
    pool,
    name,
    size: SIZE,
    role: 'disk',
    head,
  })) as { job: string };
  const done = jobDone(app, job);
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), s.openUpload(job));
  const j = await done;
  if (j.state !== 'done') throw new Error(`upload ${j.state}: ${j.error ?? ''}`);
  const ms = performance.now() - t0;
  await s.invoke('storage.volumeDelete', { host: SYSTEM_URI, pool, name });
  return ms;
}

function viaVirsh(pool: string, file: string, name: string): number {
  const t0 = performance.now();
  virsh('vol-create-as', pool, name, String(SIZE), '--format', 'raw');
  virsh('vol-upload', '--pool', pool, name, file);
  const ms = performance.now() - t0;
  virsh('vol-delete', '--pool', pool, name);
  return ms;
}

/**
 * Upload throughput against virsh's, with an App of its own: no browser and no consoles in this
 * process, so that the figure is the upload path's and not that of a busy page's relays.
 */
async function uploadRatio(fx: StorageFixture, dir: string): Promise<void> {
  const file = join(dir, 'payload.img');
  const fd = openSync(file, 'w');
  for (let i = 0; i < SIZE / (16 << 20); i++) writeSync(fd, randomBytes(16 << 20));
  closeSync(fd);
  const app = new App({ configDir: dir, uris: [SYSTEM_URI] });
  app.start();
  const s = app.session();
  await waitFor('the host to connect', () => app.hosts.get(SYSTEM_URI).connected, 30_000);
  await s.invoke('storage.poolDefineDir', { host: SYSTEM_URI, name: fx.pool, path: fx.dir });
  const oursMs: number[] = [];
  const virshMs: number[] = [];
  // Warm both paths once (page cache, libvirt's worker threads), then interleave.
  await ours(app, s, fx.pool, file, 'warm-ours.img');
  viaVirsh(fx.pool, file, 'warm-virsh.img');
  for (let i = 0; i < ROUNDS; i++) {
    oursMs.push(await ours(app, s, fx.pool, file, `ours-${i}.img`));
    virshMs.push(viaVirsh(fx.pool, file, `virsh-${i}.img`));
  }
  s.close();
  await app.close();
  rmSync(file, { force: true });
  const mibs = (ms: number): number => SIZE / 2 ** 20 / (ms / 1000);
  const o = mibs(percentile(oursMs, 50));
  const v = mibs(percentile(virshMs, 50));
  report('upload_mib_s_virtswitch', o, 'MiB/s');
  report('upload_mib_s_virsh', v, 'MiB/s');
  report('upload_ratio_vs_virsh', o / v, 'x');
}

/** In the page: time from the click on Create to the first drawn frame of the new guest on the stage. */
const PROBE = `
  window.__createMs = undefined;
  document.addEventListener('click', (ev) => {
    const b = ev.target.closest && ev.target.closest('button');
    if (!b || b.textContent !== 'Create' || !b.closest('[data-testid="new-guest"]')) return;
    const t0 = performance.now();
    const before = document.querySelector('[data-testid="stage"]').getAttribute('data-active-uuid');
    const tick = () => {
      const stage = document.querySelector('[data-testid="stage"]');
      const uuid = stage.getAttribute('data-active-uuid');
      const canvas = document.querySelector('.console.active canvas');
      if (uuid && uuid !== before && canvas && canvas.width > 0) {
        const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < d.length; i += 16) if (d[i] > 40) { window.__createMs = performance.now() - t0; return; }
      }
      if (performance.now() - t0 < 120000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, true);
`;

async function createToFirstFrame(r: SwitcherRig, fx: StorageFixture): Promise<void> {
  const iso = ensureInstallerIso();
  const s = r.app.session();
  const { job } = (await s.invoke('storage.uploadBegin', {
    host: SYSTEM_URI,
    pool: fx.pool,
    name: basename(iso),
    size: statSync(iso).size,
    role: 'iso',
    head: headOf(iso),
  })) as { job: string };
  const done = jobDone(r.app, job);
  await pipeline(createReadStream(iso), s.openUpload(job));
  await done;
  const p = r.page;
  await p.addInitScript(PROBE);
  await p.goto(r.shell.url);
  await p.locator('[data-host-group]').first().waitFor();
  const samples: number[] = [];
  for (let i = 0; i < CREATE_ROUNDS; i++) {
    await p.getByRole('button', { name: 'New guest', exact: true }).click();
    const d = p.getByRole('dialog');
    await d.getByLabel('Install source').selectOption(`iso:${fx.pool}/${basename(iso)}`);
    await d.locator('.detected', { hasText: 'Not recognised' }).waitFor();
    await d.getByLabel('Disk pool').selectOption(fx.pool);
    await d.getByLabel('Network').selectOption('none');
    if (!(await d.getByLabel('Emulate (no KVM)').isChecked())) await d.getByLabel('Emulate (no KVM)').check();
    await p.waitForTimeout(500);
    await d.getByLabel('Memory (MiB)').fill('256');
    await d.getByLabel('Disk (GiB)').fill('1');
    await d.getByLabel('Name').fill(`${r.rig.prefix}bench-${i}`);
    await d.getByRole('button', { name: 'Create', exact: true }).click();
    await p.waitForFunction(() => (window as unknown as { __createMs?: number }).__createMs !== undefined, null, {
      timeout: 120_000,
    });
    samples.push(await p.evaluate(() => (window as unknown as { __createMs: number }).__createMs));
    await p.evaluate(() => ((window as unknown as { __createMs?: number }).__createMs = undefined));
  }
  s.close();
  report('create_to_first_frame_ms', percentile(samples, 50), 'ms');
}

export async function run(): Promise<void> {
  const prefix = `vst${process.pid}-`;
  const dir = mkdtempSync(join(tmpdir(), 'vst-bench-storage-'));
  let fx = storageFixture(`${prefix}u`);
  try {
    await uploadRatio(fx, dir);
  } finally {
    fx.cleanup();
  }
  const r = await startSwitcherRig([]);
  fx = storageFixture(r.rig.prefix);
  try {
    await r.app.session().invoke('storage.poolDefineDir', { host: SYSTEM_URI, name: fx.pool, path: fx.dir });
    await createToFirstFrame(r, fx);
  } finally {
    await r.close();
    fx.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
