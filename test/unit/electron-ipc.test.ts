/**
 * The main process's IPC (main/electron/ipc.ts): messages from anything but our page's main
 * frame are refused, input is validated, commands reach the app, consoles go out over ports.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { App } from '../../main/app/api.js';
import { DEFAULT_SETTINGS, type AppEvent, type AppState } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { CHANNELS } from '../../common/desktop-ipc.js';
import { DesktopIpc, whyRefused, type AppLike, type SessionLike } from '../../main/electron/ipc.js';
import { ElectronConsoleChannel } from '../../renderer/src/bridge/electron.js';
import {
  FakeContents,
  FakeIpcMain,
  fakePortPair,
  mainFrame,
  settle,
  subFrame,
  type FakeIpcEvent,
  type FakePagePort,
} from './electron-fakes.js';

const UUID = '6f1c7a52-3a3e-4f5e-9d55-1b2a3c4d5e6f';
const HOST = 'qemu:///system';

const emptyState = (): AppState => ({ hosts: [], guests: [], consoles: [], settings: DEFAULT_SETTINGS });

class FakeSession implements SessionLike {
  invoked: [unknown, unknown][] = [];
  consoles: Duplex[] = [];
  closed = false;
  async invoke(name: unknown, params: unknown): Promise<unknown> {
    this.invoked.push([name, params]);
    if (name === 'guest.start')
      throw new ApiError('invalid-state', 'web1 is already running', { host: HOST, guest: 'web1' });
    if (name === 'boom') throw new Error('kaput');
    return { echoed: params };
  }
  async openConsole(ref: unknown, kind: unknown): Promise<Duplex> {
    if ((ref as { uuid: string }).uuid !== UUID)
      throw new ApiError('no-such-guest', `No guest with UUID ${(ref as { uuid: string }).uuid}`);
    void kind;
    const d = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
    this.consoles.push(d);
    return d;
  }
  close(): void {
    this.closed = true;
  }
}

class FakeApp extends EventEmitter implements AppLike {
  sessions: FakeSession[] = [];
  current = emptyState();
  session(): FakeSession {
    const s = new FakeSession();
    this.sessions.push(s);
    return s;
  }
  state(): AppState {
    return this.current;
  }
}

function setup() {
  const ipcMain = new FakeIpcMain();
  const frame = mainFrame();
  const contents = new FakeContents(1, frame);
  const app = new FakeApp();
  const pages: FakePagePort[] = [];
  const logged: string[] = [];
  const active: unknown[] = [];
  const capture: boolean[] = [];
  const ipc = new DesktopIpc({
    ipcMain,
    app,
    contents,
    launchOptions: { domain: 'web1', fullscreen: true, kiosk: false },
    createChannel: () => {
      const { main, page } = fakePortPair();
      pages.push(page);
      return { port1: main, port2: page };
    },
    onActiveGuest: (g, focused) => active.push([g, focused]),
    onCaptureHotkeys: (on) => capture.push(on),
    log: (l) => logged.push(l),
  });
  const ok: FakeIpcEvent = { sender: { id: 1 }, senderFrame: frame };
  return { ipcMain, contents, app, ipc, ok, frame, pages, logged, active, capture };
}

describe('IPC sender checks', () => {
  const frame = mainFrame();
  const contents = { id: 1, mainFrame: frame };

  it('accepts the main frame of our window showing the app', () => {
    assert.equal(whyRefused({ sender: { id: 1 }, senderFrame: frame }, contents), undefined);
  });

  it('refuses subframes, other windows, foreign pages and vanished frames', () => {
    assert.equal(whyRefused({ sender: { id: 1 }, senderFrame: subFrame(frame) }, contents), 'not from the main frame');
    assert.equal(
      whyRefused({ sender: { id: 1 }, senderFrame: { ...frame, routingId: 99 } }, contents),
      'not from the main frame',
    );
    assert.equal(whyRefused({ sender: { id: 2 }, senderFrame: frame }, contents), 'not from the app window');
    assert.equal(whyRefused({ sender: { id: 1 }, senderFrame: null }, contents), 'from a frame that is gone');
    assert.equal(
      whyRefused({ sender: { id: 1 }, senderFrame: { ...frame, detached: true } }, contents),
      'from a frame that is gone',
    );
    for (const url of [
      'https://evil.example/',
      'file:///home/me/x.html',
      'app://evil/index.html',
      'about:blank',
      'data:text/html,x',
    ]) {
      assert.equal(
        whyRefused({ sender: { id: 1 }, senderFrame: { ...frame, url } }, { id: 1, mainFrame: { ...frame, url } }),
        "not from the app's own page",
        url,
      );
    }
  });

  it('every invoke channel refuses a wrong frame before touching the app', async () => {
    const t = setup();
    const bad: FakeIpcEvent[] = [
      { sender: { id: 1 }, senderFrame: subFrame(t.frame) },
      { sender: { id: 1 }, senderFrame: { ...t.frame, url: 'https://evil.example/' } },
      { sender: { id: 2 }, senderFrame: t.frame },
      { sender: { id: 1 }, senderFrame: null },
    ];
    for (const ev of bad) {
      assert.deepEqual(await t.ipcMain.invoke(CHANNELS.invoke, ev, { command: 'state.get', params: {} }), {
        ok: false,
        error: { code: 'access-denied', message: `refused: ${whyRefused(ev, t.contents)}` },
      });
      assert.equal(
        (
          (await t.ipcMain.invoke(CHANNELS.openConsole, ev, {
            id: 'abcdef123456',
            host: HOST,
            uuid: UUID,
            kind: 'vnc',
          })) as { ok: boolean }
        ).ok,
        false,
      );
      assert.equal(((await t.ipcMain.invoke(CHANNELS.subscribe, ev)) as { ok: boolean }).ok, false);
      assert.equal(((await t.ipcMain.invoke(CHANNELS.launchOptions, ev)) as { ok: boolean }).ok, false);
      t.ipcMain.send(CHANNELS.activeGuest, ev, { guest: null, consoleFocused: true });
      t.ipcMain.send(CHANNELS.captureHotkeys, ev, false);
    }
    assert.deepEqual(t.app.sessions[0]!.invoked, []);
    assert.deepEqual(t.app.sessions[0]!.consoles, []);
    assert.deepEqual(t.contents.sent, [], 'nothing was sent to the page');
    assert.equal(t.contents.ignoreMenuShortcuts, false);
    assert.deepEqual(t.active, []);
    assert.deepEqual(t.capture, []);
    assert.ok(t.logged.every((l) => l.startsWith('refused virtswitch:')));
  });
});

describe('IPC commands and events', () => {
  it('a command reaches the app session; its result or its ApiError comes back whole', async () => {
    const t = setup();
    assert.deepEqual(await t.ipcMain.invoke(CHANNELS.invoke, t.ok, { command: 'hosts.add', params: { uri: HOST } }), {
      ok: true,
      result: { echoed: { uri: HOST } },
    });
    assert.deepEqual(
      await t.ipcMain.invoke(CHANNELS.invoke, t.ok, { command: 'guest.start', params: { host: HOST, uuid: UUID } }),
      {
        ok: false,
        error: { code: 'invalid-state', message: 'web1 is already running', host: HOST, guest: 'web1' },
      },
    );
    assert.deepEqual(await t.ipcMain.invoke(CHANNELS.invoke, t.ok, { command: 'boom', params: {} }), {
      ok: false,
      error: { code: 'internal', message: 'kaput' },
    });
  });

  it('a bad envelope is refused before the app sees it', async () => {
    const t = setup();
    for (const bad of [
      undefined,
      null,
      'state.get',
      42,
      [],
      { command: 'state.get', params: {}, extra: 1 },
      { command: '', params: {} },
      { command: 7, params: {} },
      { command: 'x'.repeat(65), params: {} },
    ]) {
      const r = (await t.ipcMain.invoke(CHANNELS.invoke, t.ok, bad)) as {
        ok: boolean;
        error: { code: string; message: string };
      };
      assert.equal(r.ok, false, JSON.stringify(bad));
      assert.equal(r.error.code, 'invalid-input');
      assert.match(r.error.message, /^Bad command envelope: /);
    }
    const two = (await t.ipcMain.invoke(CHANNELS.invoke, t.ok, { command: 'state.get', params: {} }, 'more')) as {
      ok: boolean;
    };
    assert.equal(two.ok, false);
    assert.deepEqual(t.app.sessions[0]!.invoked, []);
  });

  it('with the real App: unknown commands and bad parameters are refused by its schemas', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-ipc-'));
    const app = new App({ configDir: dir, uris: [] });
    const ipcMain = new FakeIpcMain();
    const frame = mainFrame();
    const ipc = new DesktopIpc({
      ipcMain,
      app,
      contents: new FakeContents(1, frame),
      launchOptions: { fullscreen: false, kiosk: false },
      createChannel: () => ({ port1: fakePortPair().main, port2: null }),
    });
    const ev = { sender: { id: 1 }, senderFrame: frame };
    try {
      const unknown = (await ipcMain.invoke(CHANNELS.invoke, ev, { command: 'shell.exec', params: { cmd: 'id' } })) as {
        ok: false;
        error: { code: string };
      };
      assert.equal(unknown.error.code, 'invalid-input');
      const badUuid = (await ipcMain.invoke(CHANNELS.invoke, ev, {
        command: 'guest.start',
        params: { host: HOST, uuid: '../../etc' },
      })) as { ok: false; error: { code: string; message: string } };
      assert.equal(badUuid.error.code, 'invalid-input');
      assert.match(badUuid.error.message, /uuid/);
      const extra = (await ipcMain.invoke(CHANNELS.invoke, ev, {
        command: 'guest.start',
        params: { host: HOST, uuid: UUID, evil: true },
      })) as { ok: false; error: { code: string } };
      assert.equal(extra.error.code, 'invalid-input');
      const state = (await ipcMain.invoke(CHANNELS.invoke, ev, { command: 'state.get', params: {} })) as {
        ok: true;
        result: AppState;
      };
      assert.equal(state.ok, true);
      assert.deepEqual(state.result.hosts, []);
      const console = (await ipcMain.invoke(CHANNELS.openConsole, ev, {
        id: 'abcdef123456',
        host: 'qemu:///nowhere',
        uuid: UUID,
        kind: 'vnc',
      })) as { ok: false; error: { code: string } };
      assert.equal(console.ok, false);
      assert.equal(console.error.code, 'no-such-host');
    } finally {
      ipc.dispose();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('subscribe: the whole state first, then every event, on one channel', async () => {
    const t = setup();
    const ev: AppEvent = { type: 'host-removed', uri: HOST };
    t.app.emit('event', ev);
    assert.deepEqual(t.contents.sentOn(CHANNELS.app), [], 'no events before the page asks');
    t.app.current = { ...emptyState(), hosts: [{ uri: HOST, status: 'connected' }] };
    assert.deepEqual(await t.ipcMain.invoke(CHANNELS.subscribe, t.ok), { ok: true, result: null });
    t.app.emit('event', ev);
    assert.deepEqual(t.contents.sentOn(CHANNELS.app), [
      { type: 'state', state: t.app.current },
      { type: 'event', event: ev },
    ]);
  });

  it('launch options come from the command line', async () => {
    const t = setup();
    assert.deepEqual(await t.ipcMain.invoke(CHANNELS.launchOptions, t.ok), {
      ok: true,
      result: { domain: 'web1', fullscreen: true, kiosk: false },
    });
  });

  it('the active guest turns menu shortcuts off while a console has the keyboard', () => {
    const t = setup();
    t.ipcMain.send(CHANNELS.activeGuest, t.ok, { guest: { host: HOST, uuid: UUID }, consoleFocused: true });
    assert.equal(t.contents.ignoreMenuShortcuts, true);
    t.ipcMain.send(CHANNELS.activeGuest, t.ok, { guest: null, consoleFocused: false });
    assert.equal(t.contents.ignoreMenuShortcuts, false);
    assert.deepEqual(t.active, [
      [{ host: HOST, uuid: UUID }, true],
      [null, false],
    ]);
    // Bad input is dropped.
    for (const bad of [
      { guest: { host: HOST, uuid: 'x' }, consoleFocused: true },
      { guest: null },
      { guest: null, consoleFocused: 'yes' },
      'x',
    ]) {
      t.ipcMain.send(CHANNELS.activeGuest, t.ok, bad);
    }
    assert.equal(t.active.length, 2);
    assert.equal(t.contents.ignoreMenuShortcuts, false);
  });

  it('hotkey capture on and off, booleans only', () => {
    const t = setup();
    t.ipcMain.send(CHANNELS.captureHotkeys, t.ok, false);
    t.ipcMain.send(CHANNELS.captureHotkeys, t.ok, 'false');
    t.ipcMain.send(CHANNELS.captureHotkeys, t.ok, true);
    assert.deepEqual(t.capture, [false, true]);
  });

  it('hotkeys and menu picks go to the page', () => {
    const t = setup();
    t.ipc.sendHotkey('next');
    t.ipc.sendMenuCommand({ kind: 'guest-action', action: 'reboot' });
    assert.deepEqual(t.contents.sentOn(CHANNELS.hotkey), ['next']);
    assert.deepEqual(t.contents.sentOn(CHANNELS.menu), [{ kind: 'guest-action', action: 'reboot' }]);
  });
});

describe('IPC consoles', () => {
  it('a console request is validated, opened, and its port posted to the page with its id', async () => {
    const t = setup();
    assert.deepEqual(
      await t.ipcMain.invoke(CHANNELS.openConsole, t.ok, { id: 'c0ffee00-1234', host: HOST, uuid: UUID, kind: 'vnc' }),
      { ok: true, result: null },
    );
    assert.equal(t.contents.posted.length, 1);
    assert.equal(t.contents.posted[0]!.channel, CHANNELS.consolePort);
    assert.deepEqual(t.contents.posted[0]!.message, { id: 'c0ffee00-1234' });
    assert.deepEqual(t.contents.posted[0]!.transfer, [t.pages[0]]);
    assert.equal(t.ipc.openConsoles, 1);

    // Bytes flow from the app's stream to a page channel on that port.
    const channel = new ElectronConsoleChannel();
    const got: string[] = [];
    channel.onmessage = (e) => got.push(Buffer.from(e.data as ArrayBuffer).toString());
    channel.attach(t.pages[0]!);
    t.app.sessions[0]!.consoles[0]!.push('screen bytes');
    await settle();
    assert.deepEqual(got, ['screen bytes']);
  });

  it('bad console requests are refused before the app sees them', async () => {
    const t = setup();
    const bad = [
      { id: 'c0ffee00-1234', host: HOST, uuid: UUID, kind: 'spice' },
      { id: 'c0ffee00-1234', host: HOST, uuid: 'not-a-uuid', kind: 'vnc' },
      { id: 'short', host: HOST, uuid: UUID, kind: 'vnc' },
      { id: '../../../../x', host: HOST, uuid: UUID, kind: 'vnc' },
      { id: 'c0ffee00-1234', host: '', uuid: UUID, kind: 'vnc' },
      { id: 'c0ffee00-1234', host: HOST, uuid: UUID, kind: 'vnc', port: 5900 },
      { host: HOST, uuid: UUID, kind: 'vnc' },
      null,
      'vnc',
    ];
    for (const req of bad) {
      const r = (await t.ipcMain.invoke(CHANNELS.openConsole, t.ok, req)) as {
        ok: boolean;
        error: { code: string; message: string };
      };
      assert.equal(r.ok, false, JSON.stringify(req));
      assert.equal(r.error.code, 'invalid-input');
      assert.match(r.error.message, /^Bad console request: /);
    }
    assert.deepEqual(t.app.sessions[0]!.consoles, []);
    assert.deepEqual(t.contents.posted, []);
  });

  it("the app's refusal comes back as the page's error", async () => {
    const t = setup();
    const r = await t.ipcMain.invoke(CHANNELS.openConsole, t.ok, {
      id: 'c0ffee00-1234',
      host: HOST,
      uuid: '00000000-0000-0000-0000-000000000000',
      kind: 'serial',
    });
    assert.deepEqual(r, {
      ok: false,
      error: { code: 'no-such-guest', message: 'No guest with UUID 00000000-0000-0000-0000-000000000000' },
    });
  });

  it('a page about to be replaced gets the keyboard defaults back; the new page subscribes afresh', async () => {
    const t = setup();
    await t.ipcMain.invoke(CHANNELS.subscribe, t.ok);
    t.ipcMain.send(CHANNELS.activeGuest, t.ok, { guest: { host: HOST, uuid: UUID }, consoleFocused: true });
    t.ipcMain.send(CHANNELS.captureHotkeys, t.ok, false);
    t.ipc.pageLeaving();
    assert.equal(t.contents.ignoreMenuShortcuts, false);
    assert.deepEqual(t.capture, [false, true]);
    // Whatever the order of the reload and the new page's first messages, it gets the state, then events.
    await t.ipcMain.invoke(CHANNELS.subscribe, t.ok);
    t.app.emit('event', { type: 'host-removed', uri: HOST });
    assert.deepEqual(
      t.contents.sentOn(CHANNELS.app).map((m) => (m as { type: string }).type),
      ['state', 'state', 'event'],
    );
    assert.equal(t.app.sessions.length, 1, 'one session for the window');
  });

  it("a crashed page's consoles are closed", async () => {
    const t = setup();
    await t.ipcMain.invoke(CHANNELS.openConsole, t.ok, { id: 'c0ffee00-1234', host: HOST, uuid: UUID, kind: 'vnc' });
    const stream = t.app.sessions[0]!.consoles[0]!;
    t.contents.setIgnoreMenuShortcuts(true);
    t.ipc.pageGone('the page crashed');
    assert.equal(stream.destroyed, true);
    assert.equal(t.ipc.openConsoles, 0);
    assert.equal(t.contents.ignoreMenuShortcuts, false);
  });

  it('a console whose page closed its port (it was replaced, or closed it) is closed', async () => {
    const t = setup();
    await t.ipcMain.invoke(CHANNELS.openConsole, t.ok, { id: 'c0ffee00-1234', host: HOST, uuid: UUID, kind: 'vnc' });
    t.pages[0]!.close();
    await settle();
    assert.equal(t.app.sessions[0]!.consoles[0]!.destroyed, true);
    assert.equal(t.ipc.openConsoles, 0);
  });

  it('dispose removes every handler and closes everything', async () => {
    const t = setup();
    await t.ipcMain.invoke(CHANNELS.openConsole, t.ok, { id: 'c0ffee00-1234', host: HOST, uuid: UUID, kind: 'vnc' });
    t.ipc.dispose();
    assert.equal(t.ipcMain.handlers.size, 0);
    assert.ok([...t.ipcMain.listeners.values()].every((s) => s.size === 0));
    assert.equal(t.app.sessions[0]!.consoles[0]!.destroyed, true);
    assert.equal(t.app.sessions[0]!.closed, true);
    assert.equal(t.app.listenerCount('event'), 0);
  });
});
