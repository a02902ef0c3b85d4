/**
 * The window's security settings and guards (main/electron/security.ts): web preferences,
 * navigation, new windows, <webview>, permissions.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { HandlerDetails, WindowOpenHandlerResponse } from 'electron';
import {
  ALLOWED_PERMISSIONS,
  BLOCKED_REQUEST_PATTERNS,
  decidePermissionCheck,
  decidePermissionRequest,
  guardContents,
  webPreferences,
  windowOptions,
} from '../../main/electron/security.js';

describe('web preferences', () => {
  const prefs = webPreferences('/app/dist/preload/preload.cjs', { devTools: false });

  it('isolated, sandboxed, no Node, no webview, web security on', () => {
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInWorker, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.allowRunningInsecureContent, false);
    assert.equal(prefs.experimentalFeatures, false);
    assert.equal(prefs.enableBlinkFeatures, undefined);
    assert.equal(prefs.navigateOnDragDrop, false);
    assert.equal(prefs.spellcheck, false, 'the spell checker would download dictionaries');
    assert.equal(prefs.preload, '/app/dist/preload/preload.cjs');
    assert.equal(prefs.devTools, false);
  });

  it('the window: hidden until painted; fullscreen and kiosk from the command line', () => {
    const plain = windowOptions({ preloadPath: '/p.cjs', devTools: true, fullscreen: false, kiosk: false });
    assert.equal(plain.show, false);
    assert.equal(plain.fullscreen, false);
    assert.equal(plain.kiosk, false);
    assert.deepEqual(plain.webPreferences, webPreferences('/p.cjs', { devTools: true }));
    assert.equal(
      windowOptions({ preloadPath: '/p.cjs', devTools: false, fullscreen: true, kiosk: false }).fullscreen,
      true,
    );
    const kiosk = windowOptions({ preloadPath: '/p.cjs', devTools: false, fullscreen: false, kiosk: true });
    assert.equal(kiosk.kiosk, true);
    assert.equal(kiosk.fullscreen, true);
    assert.equal(kiosk.autoHideMenuBar, true);
  });
});

/** A webContents with the events the guards hook. */
class FakeGuarded extends EventEmitter {
  openHandler: ((d: HandlerDetails) => WindowOpenHandlerResponse) | undefined;
  setWindowOpenHandler(h: (d: HandlerDetails) => WindowOpenHandlerResponse): void {
    this.openHandler = h;
  }
  /** Emits `event` the way Electron does; true when a listener prevented it. */
  fire(event: string, url?: string): boolean {
    let prevented = false;
    this.emit(event, { url, preventDefault: () => (prevented = true) });
    return prevented;
  }
}

describe('navigation, windows and webviews', () => {
  const wc = new FakeGuarded();
  const logged: string[] = [];
  guardContents(wc, (l) => logged.push(l));

  it('navigation stays within the app', () => {
    for (const ev of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      assert.equal(wc.fire(ev, 'app://virtswitch/index.html'), false, `${ev} within the app`);
      for (const url of [
        'https://example.com/',
        'http://127.0.0.1:8080/',
        'file:///etc/passwd',
        'app://evil/index.html',
        'javascript:alert(1)',
        'data:text/html,hi',
        'chrome://gpu',
      ]) {
        assert.equal(wc.fire(ev, url), true, `${ev} to ${url}`);
      }
    }
    assert.ok(logged.some((l) => l.startsWith('refused navigation to https://example.com/')));
  });

  it('no <webview>, ever', () => {
    assert.equal(wc.fire('will-attach-webview'), true);
  });

  it('no new windows, not even for the app', () => {
    for (const url of ['https://example.com/', 'app://virtswitch/index.html', 'about:blank']) {
      assert.deepEqual(wc.openHandler?.({ url } as HandlerDetails), { action: 'deny' });
    }
  });
});

describe('permissions', () => {
  const app = 'app://virtswitch/index.html';

  it('grants only keyboard lock, fullscreen and clipboard write, to our page', () => {
    assert.deepEqual([...ALLOWED_PERMISSIONS].sort(), ['clipboard-sanitized-write', 'fullscreen', 'keyboardLock']);
    for (const p of ALLOWED_PERMISSIONS) assert.equal(decidePermissionRequest(true, p, app), true, p);
    for (const p of [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'clipboard-read',
      'pointerLock',
      'display-capture',
      'hid',
      'serial',
      'usb',
      'midiSysex',
      'fileSystem',
      'unknown',
    ]) {
      assert.equal(decidePermissionRequest(true, p, app), false, p);
    }
  });

  it('refuses other windows and other origins, even for allowed permissions', () => {
    assert.equal(decidePermissionRequest(false, 'keyboardLock', app), false);
    assert.equal(decidePermissionRequest(true, 'keyboardLock', 'https://example.com/'), false);
    assert.equal(decidePermissionRequest(true, 'fullscreen', undefined), false);
    assert.equal(decidePermissionRequest(true, 'fullscreen', 'file:///x.html'), false);
  });

  it('checks (synchronous) follow the same rule, by origin', () => {
    assert.equal(decidePermissionCheck(true, 'keyboardLock', 'app://virtswitch'), true);
    assert.equal(decidePermissionCheck(true, 'media', 'app://virtswitch'), false);
    assert.equal(decidePermissionCheck(true, 'fullscreen', 'https://example.com'), false);
    assert.equal(decidePermissionCheck(false, 'fullscreen', 'app://virtswitch'), false);
  });

  it('the session cancels every network and file request', () => {
    for (const s of ['http', 'https', 'ws', 'wss', 'file'])
      assert.ok(BLOCKED_REQUEST_PATTERNS.includes(`${s}://*/*`), s);
  });
});
