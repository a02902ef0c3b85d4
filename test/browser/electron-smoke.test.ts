/**
 * The desktop app for real, through Playwright's `_electron`: it starts, shows the app from
 * app://, exposes only the preload's named methods, keeps Node out of the page, enforces its CSP
 * and navigation rules, answers commands over IPC, and catches hotkeys before the page sees them.
 *
 * Needs an Electron binary (node_modules/electron/dist, or ELECTRON_OVERRIDE_DIST_PATH) and a
 * display; where either is missing the suite is skipped with one line saying which. It drives
 * the unpackaged app: a packaged one has the Node inspector fused off, which Playwright needs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { waitFor } from '../rig/wait.js';

const repo = resolve(import.meta.dirname, '..', '..');

function electronBinary(): string | undefined {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) return existsSync(join(override, 'electron')) ? join(override, 'electron') : undefined;
  const pathFile = join(repo, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const bin = join(repo, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : undefined;
}

const binary = electronBinary();
const skip = !binary
  ? 'no Electron binary on this machine (node_modules/electron/dist is absent; set ELECTRON_OVERRIDE_DIST_PATH to use one)'
  : !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
    ? 'no display for Electron (DISPLAY/WAYLAND_DISPLAY unset; run under xvfb-run)'
    : false;

describe('desktop app (Electron)', { skip }, () => {
  let app: ElectronApplication;
  let page: Page;
  let configDir: string;

  before(async () => {
    if (!existsSync(join(repo, 'dist', 'main', 'electron.cjs'))) {
      const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repo, stdio: 'inherit' });
      assert.equal(r.status, 0, 'the build failed');
    }
    configDir = mkdtempSync(join(tmpdir(), 'vs-electron-'));
    app = await _electron.launch({
      executablePath: binary!,
      args: [repo, '--config-dir', configDir, '--connect', 'test:///default'],
      env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 60_000,
    });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  after(async () => {
    await app?.close();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  it('shows the app from app://, with no Node in the page', async () => {
    assert.equal(page.url(), 'app://virtswitch/index.html');
    // No Node in the page, a secure context, and no <webview> element to be had.
    const globals = await page.evaluate(() => [
      typeof (globalThis as Record<string, unknown>).require,
      typeof (globalThis as Record<string, unknown>).process,
      window.isSecureContext,
      document.createElement('webview') instanceof HTMLUnknownElement,
    ]);
    assert.deepEqual(globals, ['undefined', 'undefined', true, true]);
  });

  it('exposes only the named methods of the preload', async () => {
    const keys = await page.evaluate(() =>
      Object.keys((window as unknown as { virtswitchDesktop: object }).virtswitchDesktop).sort(),
    );
    assert.deepEqual(keys, [
      'captureHotkeys',
      'invoke',
      'launchOptions',
      'onHotkey',
      'onMenuCommand',
      'openConsole',
      'setActiveGuest',
      'subscribe',
    ]);
  });

  it('enforces its CSP: no eval, no network', async () => {
    const r = await page.evaluate(async () => {
      let evalResult = 'ran';
      try {
        (0, eval)('1');
      } catch (e) {
        evalResult = (e as Error).name;
      }
      let fetchResult = 'fetched';
      try {
        await fetch('https://example.com/');
      } catch (e) {
        fetchResult = (e as Error).name;
      }
      return { evalResult, fetchResult };
    });
    assert.deepEqual(r, { evalResult: 'EvalError', fetchResult: 'TypeError' });
  });

  it('stays on its page and opens no windows', async () => {
    const opened = await page.evaluate(() => window.open('https://example.com/') === null);
    assert.equal(opened, true);
    // The main process logs each refusal: waiting for it proves the navigation was tried and
    // stopped, rather than not yet begun.
    let stderr = '';
    app.process().stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await page.evaluate(() => {
      location.href = 'https://example.com/';
    });
    await waitFor('the navigation to be refused', () =>
      /refused (frame )?navigation to https:\/\/example\.com\//.test(stderr),
    );
    assert.equal(page.url(), 'app://virtswitch/index.html');
    assert.equal(app.windows().length, 1);
  });

  it('answers commands and launch options over IPC', async () => {
    const r = await page.evaluate(async () => {
      const d = (
        window as unknown as {
          virtswitchDesktop: {
            invoke(
              c: string,
              p: unknown,
            ): Promise<{ ok: boolean; result?: { hosts: { uri: string }[] }; error?: { code: string } }>;
            launchOptions(): Promise<unknown>;
          };
        }
      ).virtswitchDesktop;
      const state = await d.invoke('state.get', {});
      const bad = await d.invoke('guest.start', { host: 'x', uuid: 'not-a-uuid' });
      return { hosts: state.result?.hosts.map((h) => h.uri), bad: bad.error?.code, launch: await d.launchOptions() };
    });
    assert.deepEqual(r, {
      hosts: ['test:///default'],
      bad: 'invalid-input',
      launch: { fullscreen: false, kiosk: false },
    });
  });

  it('the renderer starts on the Electron bridge', async () => {
    await page.waitForSelector('[data-testid="stage"]', { timeout: 10_000 });
  });

  it('catches a hotkey before the page sees it, and lets other keys through', async () => {
    await page.evaluate(() => {
      const w = window as unknown as {
        seen: string[];
        hotkeys: string[];
        virtswitchDesktop: { onHotkey(cb: (a: string) => void): void };
      };
      w.seen = [];
      w.hotkeys = [];
      window.addEventListener('keydown', (e) => w.seen.push(e.code), true);
      w.virtswitchDesktop.onHotkey((a) => w.hotkeys.push(a));
    });
    await app.evaluate(({ BrowserWindow }) => {
      const wc = BrowserWindow.getAllWindows()[0]!.webContents;
      wc.focus();
      wc.sendInputEvent({ type: 'keyDown', keyCode: 'PageDown', modifiers: ['control', 'alt'] });
      wc.sendInputEvent({ type: 'keyUp', keyCode: 'PageDown', modifiers: ['control', 'alt'] });
      wc.sendInputEvent({ type: 'keyDown', keyCode: 'A' });
      wc.sendInputEvent({ type: 'keyUp', keyCode: 'A' });
    });
    await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.includes('KeyA'));
    const r = await page.evaluate(() => {
      const w = window as unknown as { seen: string[]; hotkeys: string[] };
      return { seen: w.seen, hotkeys: w.hotkeys };
    });
    assert.deepEqual(r.hotkeys, ['next']);
    assert.ok(!r.seen.includes('PageDown'), `the page saw ${r.seen.join(', ')}`);
  });
});
