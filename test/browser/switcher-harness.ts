/**
 * The switcher's browser rig: real guests, the app, the serve shell, and Debian's Chromium
 * driving the real UI through playwright-core.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { App } from '../../main/app/api.js';
import { startServeShell, type ServeShell } from '../../main/serve/server.js';
import { strokeFor } from '../../renderer/src/input/type-text.js';
import { CHROMIUM_ARGS, chromiumPath } from '../rig/chromium.js';
import { SYSTEM_URI, TestRig, type GuestOptions, type TestGuest } from '../rig/guests.js';

export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');

export interface SwitcherRig {
  rig: TestRig;
  app: App;
  shell: ServeShell;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export async function startSwitcherRig(guests: GuestOptions[], viewport = { width: 1360, height: 820 }): Promise<SwitcherRig & { guests: TestGuest[] }> {
  const rig = await TestRig.start();
  const dir = mkdtempSync(join(tmpdir(), 'vs-switcher-'));
  const defined: TestGuest[] = [];
  for (const g of guests) defined.push(await rig.define(g));
  const app = new App({ configDir: dir, uris: [SYSTEM_URI] });
  app.start();
  const shell = await startServeShell({ app, host: '127.0.0.1', port: 0, staticDir: join(process.cwd(), 'dist', 'renderer') });
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
  const page = await browser.newPage({ viewport });
  // tsx names functions it compiles; give page.evaluate's copies the helper they expect.
  await page.addInitScript('window.__name = (f) => f');
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    rig,
    app,
    shell,
    browser,
    page,
    guests: defined,
    close: async () => {
      await browser.close().catch(() => undefined);
      await shell.close();
      await app.close();
      await rig.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Types text as a person does on a US keyboard: shifted characters with Shift held. */
export async function typeAsPerson(page: Page, text: string): Promise<void> {
  for (const ch of text) {
    const s = strokeFor(ch);
    if (!s) throw new Error(`can't type ${JSON.stringify(ch)}`);
    await page.keyboard.press(s.shift ? `Shift+${s.code}` : s.code);
  }
}

export const guestCard = (g: TestGuest): string => `[data-testid="guest"][data-uuid="${g.uuid}"]`;

/** Waits until the stage says this guest owns keyboard, video and mouse, and its screen is live. */
export async function waitActive(page: Page, g: TestGuest): Promise<void> {
  try {
    await page.waitForFunction(
      (uuid) => {
        const stage = document.querySelector('[data-testid="stage"]') as HTMLElement | null;
        const c = document.querySelector('.console.active canvas') as HTMLCanvasElement | null;
        return stage?.dataset.activeUuid === uuid && c !== null && c.width > 0 && document.activeElement === c;
      },
      g.uuid,
      { timeout: 60_000 },
    );
  } catch (e) {
    const why = await page.evaluate(() => {
      const stage = document.querySelector('[data-testid="stage"]') as HTMLElement | null;
      const c = document.querySelector('.console.active canvas') as HTMLCanvasElement | null;
      const a = document.activeElement;
      return `stage=${stage?.dataset.activeName} canvas=${c ? `${c.width}x${c.height}` : 'none'} focus=${a?.tagName}.${a?.className}`;
    });
    throw new Error(`${g.name} did not become the active guest with a live, focused screen: ${why}`, { cause: e });
  }
}
