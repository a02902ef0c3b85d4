/**
 * The switcher bench's figures at scale: thumbnail age with many guests, a plain
 * noVNC page holding the same consoles (the memory peer), 500 guests on ten test-driver hosts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Page } from 'playwright-core';
import { startScaleSwitcher } from '../test/browser/scale-harness.js';
import { CHROMIUM_ARGS, chromiumPath } from '../test/rig/chromium.js';
import { run as exec } from '../test/rig/exec.js';
import { SYSTEM_URI, type TestGuest } from '../test/rig/guests.js';

/** The oldest any of `keys`' background thumbnails got, sampled every 100 ms for `ms`, in seconds. */
export async function thumbnailAgeMax(page: Page, ms: number, keys: readonly string[]): Promise<number> {
  return page.evaluate(
    async ({ span, keys }) => {
      type Info = { active?: string; consoles: { key: string; status: string; thumbAsOf: number }[] };
      const w = window as unknown as { virtswitch: { debugInfo(): Info } };
      let worst = 0;
      const end = performance.now() + span;
      while (performance.now() < end) {
        const info = w.virtswitch.debugInfo();
        for (const c of info.consoles)
          if (c.status === 'connected' && c.key !== info.active && keys.includes(c.key))
            worst = Math.max(worst, performance.now() - (c.thumbAsOf || 0));
        await new Promise((r) => setTimeout(r, 100));
      }
      return worst / 1000;
    },
    { span: ms, keys },
  );
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
    // Over http: Chromium refuses module scripts from file:// pages (and noVNC 1.7 must stay a module).
    const server = createServer((req, res) => {
      const file = req.url?.startsWith('/peer.js') ? 'peer.js' : 'index.html';
      res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/html' });
      res.end(readFileSync(join(dir, file)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
      await page.goto(`http://127.0.0.1:${port}/#${urls.join('&')}`);
      await page.waitForFunction(
        (n) => (window as unknown as { peerConnected: number }).peerConnected >= n,
        guests.length,
        { timeout: 60_000 },
      );
      await page.waitForTimeout(3000);
      return rss(browserPid());
    } finally {
      await browser.close();
      server.close();
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
