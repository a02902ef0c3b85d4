/**
 * The composition root (main/electron/main.ts), bundled as the build bundles it and run against
 * a fake `electron` module: the order of start-up (scheme and sandbox before ready, one instance),
 * the window it makes and loads, and that every guard, handler and hook is actually wired.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES, CONTENT_SECURITY_POLICY } from '../../main/electron/app-protocol.js';
import { CHANNELS } from '../../common/desktop-ipc.js';
import { DESKTOP_USAGE } from '../../main/electron/args.js';
import { BLOCKED_REQUEST_PATTERNS, webPreferences } from '../../main/electron/security.js';
import { keyInput, settle } from './electron-fakes.js';
import { createFakeElectron, fakeEvent } from './electron-fake-module.js';

const repo = resolve(import.meta.dirname, '..', '..');
let bundle: string;
let tmp: string;

before(async () => {
  const r = await build({
    entryPoints: [join(repo, 'main/electron/main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
    external: ['electron', 'bufferutil', 'utf-8-validate'],
  });
  bundle = r.outputFiles[0]!.text;
  tmp = mkdtempSync(join(tmpdir(), 'vs-main-'));
});

after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the bundled main process with `argv` (after the executable) and the fake Electron. */
function runMain(argv: string[], opts: { lock?: boolean } = {}) {
  const fake = createFakeElectron({ appData: join(tmp, 'appdata'), ...opts });
  const out: string[] = [];
  const err: string[] = [];
  const fakeConsole = {
    ...console,
    log: (...a: unknown[]) => out.push(a.join(' ')),
    error: (...a: unknown[]) => err.push(a.join(' ')),
  };
  // A development run: `electron APP_DIR …`.
  const proc = Object.create(process, {
    argv: { value: ['/usr/bin/electron', repo, ...argv] },
    defaultApp: { value: true },
  }) as NodeJS.Process;
  const dir = join(repo, 'dist', 'main');
  const realRequire = createRequire(join(dir, 'electron.cjs'));
  const module = { exports: {} };
  const run = new Function('require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', bundle) as (
    ...a: unknown[]
  ) => void;
  run(
    (id: string) => (id === 'electron' ? fake.electron : realRequire(id)),
    module,
    module.exports,
    dir,
    join(dir, 'electron.cjs'),
    proc,
    fakeConsole,
  );
  return { ...fake, out, err };
}

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
};

/** Quits as Electron would: will-quit, which the app holds until its hosts are closed. */
async function quit(m: ReturnType<typeof runMain>): Promise<void> {
  const e = fakeEvent();
  m.electron.app.emit('will-quit', e);
  assert.equal(e.defaultPrevented, true, 'quitting waits for the hosts to close');
  await until(() => m.rec.quits > 0, 'the quit after closing');
}

describe('the main process, wired (fake electron)', () => {
  it('a bad flag: one clear line, exit status 2, nothing started', async () => {
    const m = runMain(['--bogus']);
    m.ready();
    await settle(1);
    assert.deepEqual(m.err, ['virtswitch: unknown option "--bogus" (see --help)']);
    assert.equal(m.rec.exitCode, 2);
    assert.equal(m.windows.length, 0);
    assert.equal(m.rec.schemes, undefined);
  });

  it('--help prints the usage and exits 0', () => {
    const m = runMain(['--help']);
    assert.deepEqual(m.out, [DESKTOP_USAGE]);
    assert.equal(m.rec.exitCode, 0);
  });

  it('a second instance hands over its --domain and quits', () => {
    const m = runMain(['--domain', 'web1'], { lock: false });
    assert.deepEqual(m.rec.lockData, { domain: 'web1' });
    assert.equal(m.rec.quits, 1);
    assert.equal(m.rec.schemes, undefined);
  });

  it('starts: scheme, sandbox and one instance before ready; then one guarded window on app://', async () => {
    const configDir = join(tmp, 'config');
    // A host that refuses at once: the shell is under test, not libvirt.
    const m = runMain(['--config-dir', configDir, '--connect', 'qemu+tcp://127.0.0.1:1/system', '--domain', 'web1']);
    assert.deepEqual(m.log, [
      'setPath userData',
      'requestSingleInstanceLock',
      'registerSchemesAsPrivileged',
      'enableSandbox',
    ]);
    assert.equal(m.electron.app.getPath('userData'), join(configDir, 'chromium-profile'));
    assert.deepEqual(m.rec.schemes, [APP_SCHEME_PRIVILEGES]);
    assert.equal(m.windows.length, 0);
    m.ready();
    await settle(1);

    // The window.
    assert.equal(m.windows.length, 1);
    const win = m.windows[0]!;
    const wc = win.webContents;
    assert.deepEqual(
      win.options.webPreferences,
      webPreferences(join(repo, 'dist', 'preload', 'preload.cjs'), { devTools: true }),
    );
    assert.equal(win.options.show, false);
    assert.equal(win.loadedUrl, APP_ENTRY_URL);
    win.emit('ready-to-show');
    assert.equal(win.shown, 1);

    // Its guards (through web-contents-created).
    const nav = fakeEvent({ url: 'https://example.com/' });
    wc.emit('will-navigate', nav);
    assert.equal(nav.defaultPrevented, true);
    const webview = fakeEvent();
    wc.emit('will-attach-webview', webview);
    assert.equal(webview.defaultPrevented, true);
    assert.deepEqual(wc.openHandler?.({ url: 'https://example.com/' }), { action: 'deny' });

    // The session: permissions, devices, spell checker, network.
    const ask = (contents: unknown, p: string, url = 'app://virtswitch/index.html'): boolean => {
      let granted: boolean | undefined;
      m.rec.permissionRequest!(contents, p, (ok) => (granted = ok), { requestingUrl: url });
      return granted!;
    };
    assert.equal(ask(wc, 'keyboardLock'), true);
    assert.equal(ask(wc, 'fullscreen'), true);
    assert.equal(ask(wc, 'media'), false);
    assert.equal(ask({ id: 99 }, 'keyboardLock'), false);
    assert.equal(ask(wc, 'keyboardLock', 'https://example.com/'), false);
    assert.equal(m.rec.permissionCheck!(wc, 'clipboard-sanitized-write', 'app://virtswitch'), true);
    assert.equal(m.rec.permissionCheck!(null, 'clipboard-sanitized-write', 'app://virtswitch'), false);
    assert.equal(m.rec.devicePermission!(), false);
    assert.equal(m.rec.spellChecker, false);
    assert.deepEqual(m.rec.blocked?.filter.urls, BLOCKED_REQUEST_PATTERNS);
    let cancelled: boolean | undefined;
    m.rec.blocked!.listener({ url: 'https://example.com/' }, (r) => (cancelled = r.cancel));
    assert.equal(cancelled, true);

    // The app:// handler, serving the built renderer.
    const res = await m.rec.protocolHandlers.get('app')!(new Request(APP_ENTRY_URL));
    assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    if (existsSync(join(repo, 'dist', 'renderer', 'index.html'))) assert.equal(res.status, 200);

    // IPC, answering only our page.
    for (const ch of [
      CHANNELS.invoke,
      CHANNELS.subscribe,
      CHANNELS.openConsole,
      CHANNELS.launchOptions,
      CHANNELS.uploadFile,
      CHANNELS.saveVolume,
    ])
      assert.ok(m.electron.ipcMain.handlers.has(ch), ch);
    const ok = { sender: { id: wc.id }, senderFrame: wc.mainFrame };
    assert.deepEqual(await m.electron.ipcMain.invoke(CHANNELS.launchOptions, ok), {
      ok: true,
      result: { domain: 'web1', fullscreen: false, kiosk: false },
    });
    const state = (await m.electron.ipcMain.invoke(CHANNELS.invoke, ok, { command: 'state.get', params: {} })) as {
      ok: true;
      result: { hosts: { uri: string }[] };
    };
    assert.deepEqual(
      state.result.hosts.map((h) => h.uri),
      ['qemu+tcp://127.0.0.1:1/system'],
    );

    // Transfers: a path that is not a full one is refused; a volume on a host that is not
    // reachable is refused in words before any save dialog opens.
    const upload = (await m.electron.ipcMain.invoke(CHANNELS.uploadFile, ok, { params: {}, path: 'x.iso' })) as {
      ok: boolean;
      error: { code: string };
    };
    assert.deepEqual([upload.ok, upload.error.code], [false, 'invalid-input']);
    const volume = { host: 'qemu+tcp://127.0.0.1:1/system', pool: 'default', name: 'disk.qcow2' };
    const save = (await m.electron.ipcMain.invoke(CHANNELS.saveVolume, ok, volume)) as { ok: boolean };
    assert.equal(save.ok, false);
    assert.deepEqual(m.rec.saveDialogs, []);

    // Hotkeys in before-input-event.
    const key = fakeEvent();
    wc.emit('before-input-event', key, keyInput('keyDown', 'PageDown', { control: true, alt: true }));
    assert.equal(key.defaultPrevented, true);
    assert.deepEqual(
      wc.sent.filter(([c]) => c === CHANNELS.hotkey),
      [[CHANNELS.hotkey, 'next']],
    );
    const plain = fakeEvent();
    wc.emit('before-input-event', plain, keyInput('keyDown', 'KeyA', { key: 'a' }));
    assert.equal(plain.defaultPrevented, false);
    // The action palette's chord, pressed while a console has focus, goes the same way.
    m.electron.ipcMain.send(CHANNELS.activeGuest, ok, { guest: null, consoleFocused: true });
    const palette = fakeEvent();
    wc.emit('before-input-event', palette, keyInput('keyDown', 'KeyP', { control: true, alt: true }));
    assert.equal(palette.defaultPrevented, true);
    const paletteUp = fakeEvent();
    wc.emit('before-input-event', paletteUp, keyInput('keyUp', 'KeyP', { control: true, alt: true }));
    assert.equal(paletteUp.defaultPrevented, true);
    assert.deepEqual(
      wc.sent.filter(([c]) => c === CHANNELS.hotkey),
      [
        [CHANNELS.hotkey, 'next'],
        [CHANNELS.hotkey, 'palette'],
      ],
    );

    // Menu shortcuts follow the console's focus; a navigation puts them back.
    m.electron.ipcMain.send(CHANNELS.activeGuest, ok, { guest: null, consoleFocused: true });
    assert.equal(wc.ignoreMenuShortcuts, true);
    wc.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false, url: APP_ENTRY_URL });
    assert.equal(wc.ignoreMenuShortcuts, false);

    // The application menu and the tray.
    await until(() => m.rec.appMenu !== undefined && m.rec.trays[0]?.menu !== undefined, 'the menus');
    assert.deepEqual(
      m.rec.appMenu!.template.map((t) => t.label),
      ['&virtswitch', '&Edit', '&Machine', '&View', '&Guests', '&Help'],
    );
    assert.match(m.rec.trays[0]!.tooltip ?? '', /^virtswitch — /);

    // A second launch brings the window forward.
    m.electron.app.emit('second-instance', fakeEvent(), [], '/', { domain: 'web1' });
    assert.equal(win.shown, 2);

    // A crashed page is reloaded.
    wc.emit('render-process-gone', fakeEvent(), { reason: 'crashed', exitCode: 139 });
    assert.equal(wc.reloads, 1);

    await quit(m);
    assert.equal(m.rec.trays[0]!.destroyed, true);
    assert.equal(m.electron.ipcMain.handlers.size, 0, 'the IPC handlers are gone');
  });

  it('--kiosk: a fullscreen kiosk window, no tray', async () => {
    const m = runMain(['--config-dir', join(tmp, 'kiosk'), '--connect', 'qemu+tcp://127.0.0.1:1/system', '--kiosk']);
    m.ready();
    await settle(1);
    const win = m.windows[0]!;
    assert.equal(win.options.kiosk, true);
    assert.equal(win.options.fullscreen, true);
    assert.equal(m.rec.trays.length, 0);
    await quit(m);
  });
});
