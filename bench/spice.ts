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
import type { TestGuest } from '../test/rig/guests.js';
import { percentile, report } from './report.js';

const SAMPLES = Number(process.env.BENCH_SPICE_FRAMES ?? 20);

interface Consoles {
  consoles: { key: string; status: string; bytesIn: number; held: boolean }[];
}

/** The page keys consoles by guest UUID (a guest keeps its console when it moves between hosts). */
const keyOf = (g: TestGuest): string => g.uuid;

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

/** SPICE channel types, as the link message names them. */
const CHANNEL_NAMES: Record<number, string> = { 1: 'main', 2: 'display', 3: 'inputs', 4: 'cursor' };

/** What each channel of the console's SPICE session has received so far, and which session it is. */
function channelBytes(page: Page, key: string): Promise<{ session: string; bytes: Record<string, number> }> {
  return page.evaluate(
    ({ k, names }) => {
      type Socket = { parent?: { type?: number }; channel: { bytesIn: number } };
      const c = (
        window as unknown as {
          virtswitch: { pool: { get(k: string): { uri?: string; sockets?: Socket[] } | undefined } };
        }
      ).virtswitch.pool.get(k);
      const bytes: Record<string, number> = {};
      for (const s of c?.sockets ?? []) {
        const name = names[s.parent?.type ?? 0] ?? 'other';
        bytes[name] = (bytes[name] ?? 0) + s.channel.bytesIn;
      }
      return { session: c?.uri ?? '', bytes };
    },
    { k: key, names: CHANNEL_NAMES },
  );
}

/**
 * Bytes per second each SPICE channel of the console receives over `ms`, and in all. A window in
 * which the session started again (SPICE lets one viewer in at a time: another viewer of the same
 * guest takes the display over, and the console reconnects) counts a whole new screen; it is
 * measured again, up to 3 times, and the number of such restarts is returned too.
 */
async function spiceBytesPerSecond(
  page: Page,
  key: string,
  ms: number,
): Promise<{ total: number; byChannel: Record<string, number>; restarts: number }> {
  let restarts = 0;
  for (;;) {
    const a = await channelBytes(page, key);
    const t0 = Date.now();
    await page.waitForTimeout(ms);
    const b = await channelBytes(page, key);
    const s = (Date.now() - t0) / 1000;
    if (a.session !== b.session && restarts < 3) {
      restarts++;
      continue;
    }
    const byChannel: Record<string, number> = {};
    for (const [name, n] of Object.entries(b.bytes)) byChannel[name] = (n - (a.bytes[name] ?? 0)) / s;
    return { total: Object.values(byChannel).reduce((x, y) => x + y, 0), byChannel, restarts };
  }
}

/** `bench spice_background_bytes_per_s`: see the top of this file. */
export async function spiceBackground(): Promise<void> {
  const r = await spiceRig();
  try {
    await r.page.click(guestCard(r.spice));
    await waitActive(r.page, r.spice);
    await r.page.waitForTimeout(3000);
    const foreground = await spiceBytesPerSecond(r.page, keyOf(r.spice), 10_000);
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
    const background = await spiceBytesPerSecond(r.page, keyOf(r.spice), 20_000);
    report('spice_background_bytes_per_s', background.total, 'B/s');
    for (const [name, v] of Object.entries(background.byChannel))
      report(`spice_background_${name}_bytes_per_s`, v, 'B/s');
    report('spice_background_session_restarts', background.restarts + foreground.restarts, 'count');
    report('spice_foreground_idle_bytes_per_s', foreground.total, 'B/s');
  } finally {
    await r.close();
  }
}
