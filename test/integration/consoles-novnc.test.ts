/**
 * noVNC 1.7 in Debian's Chromium draws a real guest's screen through the serve shell: a small
 * harness page (test/browser/console-harness, served by the shell itself so that its Origin is
 * the shell's own) connects RFB to the console WebSocket. The canvas takes the guest's VGA text
 * size, 720x400, and shows lit text pixels; a PNG of it goes to test-results/. After the guest is
 * powered off and started again, a new RFB on a new channel draws again: the renderer's
 * reconnection, done by hand.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../rig/chromium.js';
import type { TestGuest, TestRig } from '../rig/guests.js';
import { useRig } from '../rig/suite.js';
import { buildConsoleHarness } from '../browser/console-harness/build.js';
import type { OpenResult, Pixels } from '../browser/console-harness/harness.js';
import { HOST, consoleEvents, consoleUrl, serve, waitFor, waitModel, type Served } from './serve-helpers.js';

describe('consoles: noVNC in Chromium draws a guest through the serve shell', () => {
  let rig: TestRig;
  let g: TestGuest;
  let s: Served;
  let dir: string;
  let browser: Browser;
  let page: Page;

  const pixels = (): Promise<Pixels> => page.evaluate(() => window.harness.pixels());

  useRig(async (r, defer) => {
    rig = r;
    g = await rig.define({ name: 'novnc' });
    dir = mkdtempSync(join(tmpdir(), 'vs-harness-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    await buildConsoleHarness(dir);
    s = await serve({ staticDir: dir });
    defer(() => s.close());
    browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
    defer(() => browser.close());
    page = await browser.newPage({ viewport: { width: 820, height: 520 } });
    await waitModel(s, g, 'running');
    await rig.waitForBoot(g);
  });

  it("draws the guest's boot screen: 720x400 with lit text pixels", async (t) => {
    await page.goto(`${s.shell.origin}/#url=${encodeURIComponent(consoleUrl(s.shell, g))}`);
    // noVNC's module has a top-level await: the page's load event does not wait for it.
    await page.waitForFunction(() => window.harnessFirst !== undefined, undefined, { timeout: 20_000 });
    const first = (await page.evaluate(() => window.harnessFirst!)) as OpenResult;
    assert.ok(first.ok, first.error);
    assert.ok(first.firstFrameMs! >= first.connectMs!, 'the frame comes after the handshake');
    // QEMU may send the first frame at its initial mode; the text console is 720x400.
    const shown = await waitFor(
      'the 720x400 text screen with text on it',
      async () => {
        const p = await pixels();
        return p.width === 720 && p.height === 400 && p.lit > 500 ? p : undefined;
      },
      20_000,
    );
    assert.ok(shown.colours >= 1);
    // Mostly black: a text console, not noise.
    assert.ok(shown.lit < 720 * 400 * 0.5, `${shown.lit} lit pixels`);
    mkdirSync('test-results', { recursive: true });
    await page.locator('#screen canvas').screenshot({ path: join('test-results', 'consoles-novnc-boot.png') });

    // What noVNC shows is what QEMU has: compare with libvirt's screenshot of the same screen
    // (the blinking cursor may differ between the two moments).
    const shot = (await s.app.session().invoke('guest.screenshot', { host: HOST, uuid: g.uuid })) as {
      mime: string;
      base64: string;
    };
    const cmp = await page.evaluate((url) => window.harness.compare(url), `data:${shot.mime};base64,${shot.base64}`);
    assert.deepEqual([cmp.imageWidth, cmp.imageHeight, cmp.width, cmp.height], [720, 400, 720, 400]);
    assert.ok(cmp.same > 0.99, `${(100 * cmp.same).toFixed(2)} % of pixels match QEMU's own screenshot`);
    assert.ok(cmp.litSame > 0.95, `${(100 * cmp.litSame).toFixed(2)} % of text pixels match QEMU's own screenshot`);
    t.diagnostic(
      `noVNC vs QEMU's screenshot: ${(100 * cmp.same).toFixed(2)} % of all pixels, ${(100 * cmp.litSame).toFixed(2)} % of text pixels match`,
    );
    assert.equal(consoleEvents(s, g).at(-1)?.status, 'connected');
  });

  it('draws again on a new channel after the guest is powered off and started', async () => {
    await s.app.session().invoke('guest.poweroff', { host: HOST, uuid: g.uuid });
    await waitFor(
      'noVNC to see the disconnect',
      async () => (await page.evaluate(() => window.harness.status())) === 'disconnected',
      30_000,
    );
    await waitFor(
      'the console to be reported disconnected',
      () => consoleEvents(s, g).at(-1)?.status === 'disconnected',
    );
    await waitModel(s, g, 'shutoff');
    const from = rig.serial(g).length;
    await s.app.session().invoke('guest.start', { host: HOST, uuid: g.uuid });
    await waitModel(s, g, 'running');
    // What the renderer does when the guest runs again: a new RFB on a new channel.
    const again = (await page.evaluate((url) => window.harness.open(url), consoleUrl(s.shell, g))) as OpenResult;
    assert.ok(again.ok, again.error);
    await rig.waitForBoot(g, from);
    await waitFor(
      'text on the screen again',
      async () => {
        const p = await pixels();
        return p.width === 720 && p.height === 400 && p.lit > 500;
      },
      30_000,
    );
    await page.locator('#screen canvas').screenshot({ path: join('test-results', 'consoles-novnc-restarted.png') });
    await page.evaluate(() => window.harness.close());
    await waitFor('the console to be reported closed', () => consoleEvents(s, g).at(-1)?.status === 'disconnected');
  });
});
