/**
 * Cold start for the switcher bench: `node dist/main/serve.cjs` spawned → the URL printed → the
 * page opened → the first non-black frame on the stage, with the milestones between (so the
 * figure says where the time goes). The guests must be running already, and the browser (a fresh
 * one each time, with an empty profile and cache) has started before the server does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../test/rig/chromium.js';
import { SYSTEM_URI } from '../test/rig/guests.js';

/** Milestones, each in ms since the process was spawned. */
export interface ColdStart {
  /** The server printed its URL. */
  url: number;
  /** The page's navigation began. */
  navigation: number;
  /** app.js arrived (its response ended). */
  bundleLoaded: number;
  /** The bundle ran: the switcher exists. */
  scriptRan: number;
  /** The first guest is listed in the page's model. */
  listed: number;
  /** The active guest's console is connected. */
  consoleConnected: number;
  /** The first non-black frame of the active guest is on the stage. */
  total: number;
}

/** Runs in the page from its first moment: notes when each milestone is first seen, every frame. */
const MILESTONES = `
  window.__cold = {};
  (() => {
    const mark = (k) => { if (!(k in window.__cold)) window.__cold[k] = performance.now(); };
    const poll = () => {
      const v = window.virtswitch;
      if (v) {
        mark('scriptRan');
        if (v.store.guests.size) mark('listed');
        const info = v.debugInfo();
        if (info.consoles.some((c) => c.key === info.active && c.status === 'connected')) mark('consoleConnected');
      }
      if (!('consoleConnected' in window.__cold)) requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  })();
`;

/** How long a freshly launched browser is left to finish starting before the server is. */
const BROWSER_SETTLE_MS = 1500;

/** One cold start of the serve shell at `serve` (its renderer beside it, as in dist/). */
export async function coldStart(serve = 'dist/main/serve.cjs'): Promise<ColdStart> {
  const config = mkdtempSync(join(tmpdir(), 'vs-cold-'));
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
  const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
  await page.addInitScript(MILESTONES);
  // The user's browser is already up when they start virtswitch: a browser launched a moment ago is
  // still starting its own processes, which on 2 cores took ~100-150 ms from the server and the page.
  await new Promise((r) => setTimeout(r, BROWSER_SETTLE_MS));
  const t0 = performance.now();
  const epoch0 = performance.timeOrigin + t0;
  const child = spawn(process.execPath, [serve, '--port', '0', '--connect', SYSTEM_URI, '--config-dir', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
    });
    const urlMs = performance.now() - t0;
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction(
      () => {
        const c = document.querySelector('.console.active canvas') as HTMLCanvasElement | null;
        if (!c || c.width === 0) return false;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 64) if (d[i]! > 40 || d[i + 1]! > 40 || d[i + 2]! > 40) return true;
        return false;
      },
      undefined,
      { timeout: 60_000, polling: 'raf' },
    );
    const total = performance.now() - t0;
    const seen = await page.evaluate(() => {
      const w = window as unknown as { __cold: Record<string, number> };
      const app = performance.getEntriesByType('resource').find((e) => e.name.includes('/app.js')) as
        PerformanceResourceTiming | undefined;
      return { ...w.__cold, bundleLoaded: app?.responseEnd ?? NaN, origin: performance.timeOrigin };
    });
    // Page times are since its own time origin; shift them onto the spawn's clock.
    const shift = seen.origin - epoch0;
    const at = (k: string): number => (seen as Record<string, number>)[k]! + shift;
    return {
      url: urlMs,
      navigation: shift,
      bundleLoaded: at('bundleLoaded'),
      scriptRan: at('scriptRan'),
      listed: at('listed'),
      consoleConnected: at('consoleConnected'),
      total,
    };
  } finally {
    child.kill('SIGTERM');
    await browser.close();
    rmSync(config, { recursive: true, force: true });
  }
}

/** A bare `node` started and printing a line, timed the same way as the server's start (a reference for the machine's speed). */
export function nodeStart(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', 'console.log(1)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve(performance.now() - t0));
    child.on('error', reject);
  });
}
