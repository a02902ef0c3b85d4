/**
 * SPICE figures, run from the consoles and switcher parts of `npm run bench`, in Chromium through
 * the serve shell with two real guests on the system daemon: one SPICE-only (QXL video, as
 * virt-manager makes them), one VNC.
 *  - spiceFirstFrame (consoles): request → first frame drawn by the app's own console, the
 *    SPICE guest through spice-html5 and, beside it on the same path, the VNC guest through noVNC;
 *    interleaved reconnects, p50/p95. A frame counts as drawn once the canvas has a lit pixel.
 *  - spiceBackground (switcher): the bytes per second a SPICE console receives while the guest
 *    sits idle at its prompt, held in the background, and the same console in the foreground.
 */
import type { Page } from 'playwright-core';
import { guestCard, startSwitcherRig, waitActive, type SwitcherRig } from '../test/browser/switcher-harness.js';
import { SYSTEM_URI, type TestGuest } from '../test/rig/guests.js';
import { percentile, report } from './report.js';

const SAMPLES = Number(process.env.BENCH_SPICE_FRAMES ?? 20);

interface Consoles {
  consoles: { key: string; status: string; bytesIn: number; held: boolean }[];
}

const keyOf = (g: TestGuest): string => `${g.uuid}@${SYSTEM_URI}`;

/** Two guests (SPICE-only, VNC) booted, the app loaded, both consoles connected. */
async function spiceRig(): Promise<SwitcherRig & { spice: TestGuest; vnc: TestGuest }> {
  const r = await startSwitcherRig([{ name: 'bench-spice', graphics: 'spice' }, { name: 'bench-spice-vnc' }]);
  const [spice, vnc] = r.guests as [TestGuest, TestGuest];
  try {
    await Promise.all(r.guests.map((g) => r.rig.waitForBoot(g)));
    await r.page.goto(r.shell.url);
    await r.page.waitForFunction(
      (keys) => {
        const v = (window as unknown as { virtswitch: { debugInfo(): Consoles } }).virtswitch.debugInfo();
        return keys.every((k) => v.consoles.some((c) => c.key === k && c.status === 'connected'));
      },
      [keyOf(spice), keyOf(vnc)],
      { timeout: 120_000 },
    );
    return Object.assign(r, { spice, vnc });
  } catch (e) {
    await r.close();
    throw e;
  }
}

/** Reconnects the app's console of `key` and times request → a lit pixel on its new canvas. */
function reconnectToFrame(page: Page, key: string): Promise<number> {
  return page.evaluate(async (k) => {
    type Console = { status: string; element: HTMLElement };
    const app = (
      window as unknown as {
        virtswitch: { pool: { reconnect(k: string): void; get(k: string): Console | undefined } };
      }
    ).virtswitch;
    // The old canvas may linger a moment after the reconnect: only a new one counts.
    const before = new Set(app.pool.get(k)?.element.querySelectorAll('canvas'));
    const t0 = performance.now();
    app.pool.reconnect(k);
    const drawn = (): boolean => {
      const c = app.pool.get(k);
      if (!c || c.status !== 'connected') return false;
      for (const canvas of c.element.querySelectorAll('canvas')) {
        if (before.has(canvas) || canvas.width === 0) continue;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < d.length; i += 16) if (d[i]! > 40) return true;
      }
      return false;
    };
    return new Promise<number>((resolve, reject) => {
      const tick = (): void => {
        if (drawn()) resolve(performance.now() - t0);
        else if (performance.now() - t0 > 20_000) {
          const c = app.pool.get(k);
          const n = c?.element.querySelectorAll('canvas').length;
          reject(new Error(`no frame from ${k} (${c?.element.className}, ${c?.status}, ${n} canvases)`));
        } else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
  }, key);
}

/** `bench spice_first_frame_*`: see the top of this file. */
export async function spiceFirstFrame(): Promise<void> {
  const r = await spiceRig();
  try {
    const spice: number[] = [];
    const vnc: number[] = [];
    for (let i = 0; i < 2; i++) {
      await reconnectToFrame(r.page, keyOf(r.spice));
      await reconnectToFrame(r.page, keyOf(r.vnc));
    }
    for (let i = 0; i < SAMPLES; i++) {
      for (const g of i % 2 ? [r.spice, r.vnc] : [r.vnc, r.spice])
        (g === r.spice ? spice : vnc).push(await reconnectToFrame(r.page, keyOf(g)));
    }
    if (process.env.BENCH_CONSOLE_SAMPLES)
      console.error(
        `SPICE first frame: ${spice.map((x) => x.toFixed(0)).join(' ')}\nVNC: ${vnc.map((x) => x.toFixed(0)).join(' ')}`,
      );
    report('spice_first_frame_p50_ms', percentile(spice, 50), 'ms');
    report('spice_first_frame_p95_ms', percentile(spice, 95), 'ms');
    report('spice_first_frame_app_vnc_p50_ms', percentile(vnc, 50), 'ms');
    report('spice_first_frame_ratio_vs_vnc', percentile(spice, 50) / percentile(vnc, 50), 'x');
  } finally {
    await r.close();
  }
}

/** Bytes the console of `key` receives per second over `ms`. */
async function bytesPerSecond(page: Page, key: string, ms: number): Promise<number> {
  const read = async (): Promise<number> =>
    page.evaluate(
      (k) =>
        (window as unknown as { virtswitch: { debugInfo(): Consoles } }).virtswitch
          .debugInfo()
          .consoles.find((c) => c.key === k)?.bytesIn ?? Number.NaN,
      key,
    );
  const b0 = await read();
  const t0 = Date.now();
  await page.waitForTimeout(ms);
  return ((await read()) - b0) / ((Date.now() - t0) / 1000);
}

/** `bench spice_background_bytes_per_s`: see the top of this file. */
export async function spiceBackground(): Promise<void> {
  const r = await spiceRig();
  try {
    await r.page.click(guestCard(r.spice));
    await waitActive(r.page, r.spice);
    await r.page.waitForTimeout(3000);
    const foreground = await bytesPerSecond(r.page, keyOf(r.spice), 10_000);
    await r.page.click(guestCard(r.vnc));
    await waitActive(r.page, r.vnc);
    await r.page.waitForFunction(
      (k) =>
        (window as unknown as { virtswitch: { debugInfo(): Consoles } }).virtswitch
          .debugInfo()
          .consoles.some((c) => c.key === k && c.held),
      keyOf(r.spice),
    );
    await r.page.waitForTimeout(3000);
    const background = await bytesPerSecond(r.page, keyOf(r.spice), 10_000);
    report('spice_background_bytes_per_s', background, 'B/s');
    report('spice_foreground_idle_bytes_per_s', foreground, 'B/s');
  } finally {
    await r.close();
  }
}
