/**
 * The preload's API (main/electron-preload/preload-api.ts) over a fake ipcRenderer, and the renderer's
 * Electron bridge (renderer/src/bridge/electron.ts) over that API: named methods only, callbacks
 * that see data and never an IPC event, console ports handed on by id.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, type AppState, type HotkeyAction, type MenuCommand } from '../../common/contract.js';
import {
  CHANNELS,
  DESKTOP_API_NAME as MAIN_API_NAME,
  type AppMessage,
  type ConsolePortMessage,
} from '../../common/desktop-ipc.js';
import { PAGE_SEND_WINDOW } from '../../main/electron/console-relay.js';
import { createDesktopApi } from '../../main/electron-preload/preload-api.js';
import type { ElectronConsoleChannel } from '../../renderer/src/bridge/electron.js';
import {
  CONSOLE_SEND_WINDOW,
  DESKTOP_API_NAME as PAGE_API_NAME,
  ElectronBridge,
  ElectronBridgeError,
  electronBridge,
  type DesktopApi as PageDesktopApi,
  type PortWindow,
} from '../../renderer/src/bridge/electron.js';
import { FakeIpcRenderer, fakePortPair, settle } from './electron-fakes.js';

const UUID = '6f1c7a52-3a3e-4f5e-9d55-1b2a3c4d5e6f';
const HOST = 'qemu:///system';
const state: AppState = { hosts: [], guests: [], consoles: [], settings: DEFAULT_SETTINGS };

function preload() {
  const ipc = new FakeIpcRenderer();
  const posted: { message: ConsolePortMessage; ports: { close(): void; closed?: boolean }[] }[] = [];
  const api = createDesktopApi(
    ipc,
    (message, ports: { close(): void }[]) => posted.push({ message, ports }),
    () => '',
  );
  return { ipc, api, posted };
}

const port = () => {
  const p = { closed: false, close: () => (p.closed = true) };
  return p;
};

describe('preload API', () => {
  it('exposes exactly the named methods', () => {
    const { api } = preload();
    assert.deepEqual(Object.keys(api).sort(), [
      'captureHotkeys',
      'invoke',
      'launchOptions',
      'onHotkey',
      'onMenuCommand',
      'openConsole',
      'saveVolume',
      'setActiveGuest',
      'subscribe',
      'uploadFile',
    ]);
    for (const v of Object.values(api)) assert.equal(typeof v, 'function');
    assert.equal(MAIN_API_NAME, PAGE_API_NAME);
    assert.equal(PAGE_SEND_WINDOW, CONSOLE_SEND_WINDOW);
  });

  it('each method uses its own channel with arguments it shapes', async () => {
    const { api, ipc } = preload();
    await api.invoke('guest.start', { host: HOST, uuid: UUID });
    await api.openConsole('c0ffee00-1234', { host: HOST, uuid: UUID, extra: 'dropped' } as never, 'vnc');
    api.setActiveGuest({ host: HOST, uuid: UUID, name: 'dropped' } as never, true);
    api.setActiveGuest(null, false);
    api.captureHotkeys(false);
    assert.deepEqual(ipc.invoked, [
      [CHANNELS.invoke, [{ command: 'guest.start', params: { host: HOST, uuid: UUID } }]],
      [CHANNELS.openConsole, [{ id: 'c0ffee00-1234', host: HOST, uuid: UUID, kind: 'vnc' }]],
    ]);
    assert.deepEqual(ipc.sent, [
      [CHANNELS.activeGuest, [{ guest: { host: HOST, uuid: UUID }, consoleFocused: true }]],
      [CHANNELS.activeGuest, [{ guest: null, consoleFocused: false }]],
      [CHANNELS.captureHotkeys, [false]],
    ]);
  });

  it('launch options unwrap their outcome', async () => {
    const { api, ipc } = preload();
    ipc.answers.set(CHANNELS.launchOptions, { ok: true, result: { domain: 'db', fullscreen: false, kiosk: true } });
    assert.deepEqual(await api.launchOptions(), { domain: 'db', fullscreen: false, kiosk: true });
    ipc.answers.set(CHANNELS.launchOptions, {
      ok: false,
      error: { code: 'access-denied', message: 'refused: not from the main frame' },
    });
    await assert.rejects(api.launchOptions(), /refused/);
  });

  it('callbacks receive the data only, never the IPC event; unsubscribing stops them', () => {
    const { api, ipc } = preload();
    const seen: unknown[][] = [];
    const offHotkey = api.onHotkey((...args: unknown[]) => seen.push(args));
    api.onMenuCommand((...args: unknown[]) => seen.push(args));
    api.subscribe((...args: unknown[]) => seen.push(args));
    assert.deepEqual(ipc.invoked, [[CHANNELS.subscribe, []]], 'subscribing asks main for the state, after listening');
    ipc.fromMain(CHANNELS.hotkey, 'next' satisfies HotkeyAction);
    ipc.fromMain(CHANNELS.menu, { kind: 'hotkey', action: 'osd' } satisfies MenuCommand);
    ipc.fromMain(CHANNELS.app, { type: 'state', state } satisfies AppMessage);
    offHotkey();
    ipc.fromMain(CHANNELS.hotkey, 'previous');
    assert.deepEqual(seen, [['next'], [{ kind: 'hotkey', action: 'osd' }], [{ type: 'state', state }]]);
  });

  it('hands a console port to the page with its id; anything odd is closed', () => {
    const { ipc, posted } = preload();
    const p = port();
    ipc.fromMain(CHANNELS.consolePort, { id: 'c0ffee00-1234' }, [p]);
    assert.deepEqual(posted, [{ message: { virtswitch: 'console-port', id: 'c0ffee00-1234' }, ports: [p] }]);
    const odd = [port(), port(), port(), port()];
    ipc.fromMain(CHANNELS.consolePort, { id: 42 }, [odd[0]]);
    ipc.fromMain(CHANNELS.consolePort, null, [odd[1]]);
    ipc.fromMain(CHANNELS.consolePort, { id: 'c0ffee00-9999' }, [odd[2], odd[3]]);
    ipc.fromMain(CHANNELS.consolePort, { id: 'c0ffee00-9999' }, []);
    assert.equal(posted.length, 1);
    assert.ok(odd.every((x) => x.closed));
  });
});

/** A page window: message listeners, and a way to post as the preload (or someone else) would. */
class FakeWindow implements PortWindow {
  private readonly listeners: ((ev: MessageEvent) => void)[] = [];
  addEventListener(_type: 'message', listener: (ev: MessageEvent) => void): void {
    this.listeners.push(listener);
  }
  deliver(data: unknown, ports: unknown[], source: unknown = this): void {
    for (const l of this.listeners) l({ data, ports, source } as unknown as MessageEvent);
  }
}

/** A DesktopApi as the preload would expose it, driven by the test. */
function fakeDesktop() {
  const calls: unknown[][] = [];
  let appListener: ((m: AppMessage) => void) | undefined;
  let consoleOutcome: Promise<unknown> = Promise.resolve({ ok: true, result: null });
  const desktop: PageDesktopApi = {
    invoke: async (command, params) => {
      calls.push(['invoke', command, params]);
      if (command === 'guest.reset')
        return {
          ok: false,
          error: { code: 'invalid-state', message: 'web1 is not running', host: HOST, guest: 'web1' },
        };
      if (command === 'explode') throw new Error('IPC broke');
      return { ok: true, result: { done: command } };
    },
    subscribe: (l) => {
      calls.push(['subscribe']);
      appListener = l;
      return () => undefined;
    },
    openConsole: (id, ref, kind) => {
      calls.push(['openConsole', id, ref, kind]);
      return consoleOutcome as ReturnType<PageDesktopApi['openConsole']>;
    },
    launchOptions: async () => ({ fullscreen: false, kiosk: false }),
    onHotkey: (l) => (calls.push(['onHotkey', l]), () => undefined),
    onMenuCommand: (l) => (calls.push(['onMenuCommand', l]), () => undefined),
    setActiveGuest: (ref, focused) => void calls.push(['setActiveGuest', ref, focused]),
    captureHotkeys: (on) => void calls.push(['captureHotkeys', on]),
    uploadFile: async () => ({ ok: true, result: { job: 'j' } }),
    saveVolume: async () => ({ ok: true, result: null }),
  };
  return {
    desktop,
    calls,
    emit: (m: AppMessage) => appListener?.(m),
    setConsoleOutcome: (p: Promise<unknown>) => (consoleOutcome = p),
  };
}

describe('the renderer’s Electron bridge', () => {
  it('is absent outside Electron', () => {
    assert.equal(electronBridge(), undefined);
  });

  it('invoke: results, and the API’s errors with code, host and guest', async () => {
    const d = fakeDesktop();
    const bridge = new ElectronBridge(d.desktop, new FakeWindow());
    assert.equal(bridge.kind, 'electron');
    assert.deepEqual(await bridge.invoke('state.get', {}), { done: 'state.get' });
    await assert.rejects(bridge.invoke('guest.reset', { host: HOST, uuid: UUID }), (e: unknown) => {
      assert.ok(e instanceof ElectronBridgeError);
      assert.equal(e.name, 'BridgeError');
      assert.equal(e.code, 'invalid-state');
      assert.equal(e.message, 'web1 is not running');
      assert.equal(e.host, HOST);
      assert.equal(e.guest, 'web1');
      return true;
    });
    await assert.rejects(bridge.invoke('explode' as never, {} as never), {
      name: 'BridgeError',
      code: 'internal',
      message: 'IPC broke',
    });
  });

  it('subscribe: state then events; later subscribers get the last state at once; one IPC subscription', () => {
    const d = fakeDesktop();
    const bridge = new ElectronBridge(d.desktop, new FakeWindow());
    const a: unknown[] = [];
    bridge.subscribe(
      (s) => a.push(['state', s]),
      (e) => a.push(['event', e]),
    );
    d.emit({ type: 'state', state });
    d.emit({ type: 'event', event: { type: 'host-removed', uri: HOST } });
    const b: unknown[] = [];
    const off = bridge.subscribe(
      (s) => b.push(['state', s]),
      (e) => b.push(['event', e]),
    );
    off();
    d.emit({ type: 'event', event: { type: 'host-removed', uri: 'x' } });
    assert.deepEqual(a, [
      ['state', state],
      ['event', { type: 'host-removed', uri: HOST }],
      ['event', { type: 'host-removed', uri: 'x' }],
    ]);
    assert.deepEqual(b, [['state', state]]);
    assert.equal(d.calls.filter((c) => c[0] === 'subscribe').length, 1);
  });

  it('desktop hooks pass straight through', () => {
    const d = fakeDesktop();
    const bridge = new ElectronBridge(d.desktop, new FakeWindow());
    const cb = (): void => undefined;
    bridge.onHotkey(cb);
    bridge.onMenuCommand(cb);
    bridge.setActiveGuest({ host: HOST, uuid: UUID, name: 'web1' } as never, true);
    bridge.captureHotkeys(false);
    assert.deepEqual(d.calls, [
      ['onHotkey', cb],
      ['onMenuCommand', cb],
      ['setActiveGuest', { host: HOST, uuid: UUID }, true],
      ['captureHotkeys', false],
    ]);
  });

  it('openConsole: CONNECTING, then OPEN when its port arrives from this window with its id', async () => {
    const d = fakeDesktop();
    const win = new FakeWindow();
    const bridge = new ElectronBridge(d.desktop, win);
    const ch = bridge.openConsole({ host: HOST, uuid: UUID }, 'vnc') as ElectronConsoleChannel;
    assert.equal(ch.readyState, 0);
    let opened = 0;
    ch.onopen = () => opened++;
    const [, id, ref, kind] = d.calls.find((c) => c[0] === 'openConsole')!;
    assert.match(id as string, /^[0-9a-f-]{36}$/);
    assert.deepEqual(ref, { host: HOST, uuid: UUID });
    assert.equal(kind, 'vnc');

    // Someone else's message, or a port for an id never asked for: ignored, and such a port closed.
    const stranger = fakePortPair().page;
    win.deliver({ virtswitch: 'console-port', id }, [stranger], { other: 'window' });
    const unasked = fakePortPair();
    win.deliver({ virtswitch: 'console-port', id: 'c0ffee00-0000' }, [unasked.page]);
    assert.equal(unasked.page.closed, true);
    assert.equal(ch.readyState, 0);

    const { page, main } = fakePortPair();
    win.deliver({ virtswitch: 'console-port', id }, [page]);
    assert.equal(ch.readyState, 1);
    assert.equal(opened, 1);
    const atMain: unknown[] = [];
    main.on('message', (e: { data: unknown }) => atMain.push(e.data));
    main.start();
    ch.send('hi');
    await settle();
    assert.equal(atMain.length, 1);
    assert.equal(Buffer.from(atMain[0] as ArrayBuffer).toString(), 'hi');
    // The same id twice: the second port is not taken.
    const again = fakePortPair().page;
    win.deliver({ virtswitch: 'console-port', id }, [again]);
    assert.equal(again.closed, true);
  });

  it('openConsole: a refusal closes the channel with the reason', async () => {
    const d = fakeDesktop();
    d.setConsoleOutcome(
      Promise.resolve({
        ok: false,
        error: { code: 'invalid-state', message: 'web1 is not running (it is shutoff); start it to see its console' },
      }),
    );
    const bridge = new ElectronBridge(d.desktop, new FakeWindow());
    const ch = bridge.openConsole({ host: HOST, uuid: UUID }, 'serial');
    const closes: unknown[] = [];
    ch.onclose = (e) => closes.push(e);
    await settle(1);
    assert.equal(ch.readyState, 3);
    assert.deepEqual(closes, [
      { code: 1006, reason: 'web1 is not running (it is shutoff); start it to see its console', wasClean: false },
    ]);
  });
});
