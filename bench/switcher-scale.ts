/**
 * The switcher bench's figures at scale and at start: thumbnail age with many guests, a plain
 * noVNC page holding the same consoles (the memory peer), 500 guests on ten test-driver hosts,
 * and cold start (process start → first guest frame on the stage) through the serve shell.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Page } from 'playwright-core';
import { startScaleSwitcher } from '../test/browser/scale-harness.js';
import { CHROMIUM_ARGS, chromiumPath } from '../test/rig/chromium.js';
import { run as exec } from '../test/rig/exec.js';
import { SYSTEM_URI, type TestGuest } from '../test/rig/guests.js';

/** The oldest any background thumbnail got, sampled every 100 ms for `ms`, in seconds. */
export async function thumbnailAgeMax(page: Page, ms: number): Promise<number> {
  return page.evaluate(async (span) => {
    type Info = { active?: string; consoles: { key: string; status: string; thumbAsOf: number }[] };
    const w = window as unknown as { virtswitch: { debugInfo(): Info } };
    let worst = 0;
    const end = performance.now() + span;
    while (performance.now() < end) {
      const info = w.virtswitch.debugInfo();
      for (const c of info.consoles)
        if (c.status === 'connected' && c.key !== info.active)
          worst = Math.max(worst, performance.now() - (c.thumbAsOf || 0));
      await new Promise((r) => setTimeout(r, 100));
    }
    return worst / 1000;
  }, ms);
}

const PEER_SCRIPT = `
import RFB from '@novnc/novnc';
const urls = new URLSearchParams(location.hash.slice(1)).getAll('url');
window.peerConnected = 0;
for (const url of urls) {
  const el = document.createElement('div');
  el.style.cssText = 'width:800px;height:500px';
  document.body.append(el);
  const rfb = new RFB(el, url, { shared: true });
  rfb.scaleViewport = true;
  rfb.addEventListener('connect', () => window.peerConnected++);
}
`;

/**
 * A plain noVNC page (noVNC alone, bundled, one RFB per guest straight to QEMU's own WebSocket)
 * holding `guests`' consoles, in a browser of its own; returns its renderers' RSS once all are up.
 */
export async function novncPeerMemoryMb(
  guests: readonly TestGuest[],
  rss: (browserPid: number) => number,
  browserPid: () => number,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'vs-peer-'));
  try {
    writeFileSync(join(dir, 'peer.ts'), PEER_SCRIPT);
    await build({
      entryPoints: [join(dir, 'peer.ts')],
      outfile: join(dir, 'peer.js'),
      bundle: true,
      format: 'esm',
      target: 'chrome120',
      nodePaths: [join(process.cwd(), 'node_modules')],
      logLevel: 'error',
    });
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><meta charset="utf-8"><script type="module" src="peer.js"></script>',
    );
    const urls: string[] = [];
    for (const g of guests) {
      const xml = (await exec('virsh', ['-c', SYSTEM_URI, 'dumpxml', g.name])).stdout;
      const port = /websocket='(\d+)'/.exec(xml)?.[1];
      if (!port) throw new Error(`${g.name} has no VNC WebSocket`);
      urls.push(`url=${encodeURIComponent(`ws://127.0.0.1:${port}`)}`);
    }
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
      await page.goto(`file://${dir}/index.html#${urls.join('&')}`);
      await page.waitForFunction(
        (n) => (window as unknown as { peerConnected: number }).peerConnected >= n,
        guests.length,
        {
          timeout: 60_000,
        },
      );
      await page.waitForTimeout(3000);
      return rss(browserPid());
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 500 guests on ten test hosts: page load → every test host's guests listed; then renderer memory. */
export async function scale500(
  rss: (browserPid: number) => number,
  browserPid: () => number,
): Promise<{ readyMs: number; memoryMb: number }> {
  const r = await startScaleSwitcher();
  try {
    await r.page.waitForTimeout(2000); // the app has connected to every host
    await r.page.goto(r.shell.url);
    const readyMs = await r.page.evaluate(async () => {
      type W = { virtswitch?: { store: { guests: Map<string, { host: string }> } } };
      const w = window as unknown as W;
      for (;;) {
        const guests = w.virtswitch ? [...w.virtswitch.store.guests.values()] : [];
        const listed = guests.filter((g) => g.host.includes('/rack-')).length;
        if (listed >= 500 && document.querySelector('[data-testid="guest"]')) return performance.now();
        await new Promise((res) => requestAnimationFrame(() => res(undefined)));
      }
    });
    await r.page.$eval('.host-groups', (el) => el.scrollTo(0, el.scrollHeight / 2));
    await r.page.waitForTimeout(2000);
    return { readyMs, memoryMb: rss(browserPid()) };
  } finally {
    await r.close();
  }
}

/**
 * Cold start: `node dist/main/serve.cjs` spawned → the URL printed → the page opened → the first
 * non-black frame on the stage. The guests must be running already.
 */
export async function coldStartMs(): Promise<{ totalMs: number; urlMs: number }> {
  const config = mkdtempSync(join(tmpdir(), 'vs-cold-'));
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
  const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['dist/main/serve.cjs', '--port', '0', '--connect', SYSTEM_URI, '--config-dir', config],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
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
    await page.goto(url);
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
    return { totalMs: performance.now() - t0, urlMs };
  } finally {
    child.kill('SIGTERM');
    await browser.close();
    rmSync(config, { recursive: true, force: true });
  }
}
