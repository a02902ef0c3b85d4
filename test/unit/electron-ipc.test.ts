/**
 * The main process's IPC (main/electron/ipc.ts): messages from anything but our page's main
 * frame are refused, input is validated, commands reach the app, consoles go out over ports.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { App } from '../../main/app/api.js';
import type { AppEvent, AppState } from '../../common/contract.js';
import { CHANNELS } from '../../common/desktop-ipc.js';
import { DesktopIpc, whyRefused } from '../../main/electron/ipc.js';
import { ElectronConsoleChannel } from '../../renderer/src/bridge/electron.js';
import {
  FakeContents,
  FakeIpcMain,
  fakePortPair,
  mainFrame,
  settle,
  subFrame,
  type FakeIpcEvent,
} from './electron-fakes.js';
import { assertInvalid, emptyState, HOST, setup, UUID, VNC_REQUEST, type Answer } from './electron-ipc-setup.js';

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
      const refused = {
        ok: false,
        error: { code: 'access-denied', message: `refused: ${whyRefused(ev, t.contents)}` },
      };
      assert.deepEqual(await t.ipcMain.invoke(CHANNELS.invoke, ev, { command: 'state.get', params: {} }), refused);
      assert.deepEqual(await t.ipcMain.invoke(CHANNELS.openConsole, ev, VNC_REQUEST), refused);
      assert.deepEqual(await t.ipcMain.invoke(CHANNELS.subscribe, ev), refused);
      assert.deepEqual(await t.ipcMain.invoke(CHANNELS.launchOptions, ev), refused);
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
    const command = (name: string, params: unknown) => t.ask(CHANNELS.invoke, { command: name, params });
    assert.deepEqual(await command('hosts.add', { uri: HOST }), { ok: true, result: { echoed: { uri: HOST } } });
    assert.deepEqual(await command('guest.start', { host: HOST, uuid: UUID }), {
      ok: false,
      error: { code: 'invalid-state', message: 'web1 is already running', host: HOST, guest: 'web1' },
    });
    assert.deepEqual(await command('boom', {}), { ok: false, error: { code: 'internal', message: 'kaput' } });
  });

  it('a bad envelope is refused before the app sees it', async () => {
    const t = setup();
    const bad = [
      undefined,
      null,
      'state.get',
      42,
      [],
      { command: 'state.get', params: {}, extra: 1 },
      { command: '', params: {} },
      { command: 7, params: {} },
      { command: 'x'.repeat(65), params: {} },
    ];
    await assertInvalid(t.ask, CHANNELS.invoke, bad, /^Bad command envelope: /);
    const two = await t.ask(CHANNELS.invoke, { command: 'state.get', params: {} }, 'more');
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
    const ask = (channel: string, arg: unknown) => ipcMain.invoke(channel, ev, arg) as Promise<Answer>;
    const command = (name: string, params: unknown) => ask(CHANNELS.invoke, { command: name, params });
    try {
      assert.equal((await command('shell.exec', { cmd: 'id' })).error.code, 'invalid-input');
      const badUuid = await command('guest.start', { host: HOST, uuid: '../../etc' });
      assert.equal(badUuid.error.code, 'invalid-input');
      assert.match(badUuid.error.message, /uuid/);
      assert.equal((await command('guest.start', { host: HOST, uuid: UUID, evil: true })).error.code, 'invalid-input');
      const state = await command('state.get', {});
      assert.equal(state.ok, true);
      assert.deepEqual((state.result as AppState).hosts, []);
      const console = await ask(CHANNELS.openConsole, { ...VNC_REQUEST, host: 'qemu:///nowhere' });
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
    assert.deepEqual(await t.ask(CHANNELS.subscribe), { ok: true, result: null });
    t.app.emit('event', ev);
    assert.deepEqual(t.contents.sentOn(CHANNELS.app), [
      { type: 'state', state: t.app.current },
      { type: 'event', event: ev },
    ]);
  });

  it('launch options come from the command line', async () => {
    const t = setup();
    assert.deepEqual(await t.ask(CHANNELS.launchOptions), {
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
    assert.deepEqual(await t.ask(CHANNELS.openConsole, VNC_REQUEST), { ok: true, result: null });
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
      { ...VNC_REQUEST, kind: 'rdp' },
      { ...VNC_REQUEST, uuid: 'not-a-uuid' },
      { ...VNC_REQUEST, id: 'short' },
      { ...VNC_REQUEST, id: '../../../../x' },
      { ...VNC_REQUEST, host: '' },
      { ...VNC_REQUEST, port: 5900 },
      { host: HOST, uuid: UUID, kind: 'vnc' },
      null,
      'vnc',
    ];
    await assertInvalid(t.ask, CHANNELS.openConsole, bad, /^Bad console request: /);
    assert.deepEqual(t.app.sessions[0]!.consoles, []);
    assert.deepEqual(t.contents.posted, []);
  });

  it("the app's refusal comes back as the page's error", async () => {
    const t = setup();
    const r = await t.ask(CHANNELS.openConsole, {
      ...VNC_REQUEST,
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
    await t.ask(CHANNELS.subscribe);
    t.ipcMain.send(CHANNELS.activeGuest, t.ok, { guest: { host: HOST, uuid: UUID }, consoleFocused: true });
    t.ipcMain.send(CHANNELS.captureHotkeys, t.ok, false);
    t.ipc.pageLeaving();
    assert.equal(t.contents.ignoreMenuShortcuts, false);
    assert.deepEqual(t.capture, [false, true]);
    // Whatever the order of the reload and the new page's first messages, it gets the state, then events.
    await t.ask(CHANNELS.subscribe);
    t.app.emit('event', { type: 'host-removed', uri: HOST });
    assert.deepEqual(
      t.contents.sentOn(CHANNELS.app).map((m) => (m as { type: string }).type),
      ['state', 'state', 'event'],
    );
    assert.equal(t.app.sessions.length, 1, 'one session for the window');
  });

  it("a crashed page's consoles are closed", async () => {
    const t = setup();
    await t.ask(CHANNELS.openConsole, VNC_REQUEST);
    const stream = t.app.sessions[0]!.consoles[0]!;
    t.contents.setIgnoreMenuShortcuts(true);
    t.ipc.pageGone('the page crashed');
    assert.equal(stream.destroyed, true);
    assert.equal(t.ipc.openConsoles, 0);
    assert.equal(t.contents.ignoreMenuShortcuts, false);
  });

  it('a console whose page closed its port (it was replaced, or closed it) is closed', async () => {
    const t = setup();
    await t.ask(CHANNELS.openConsole, VNC_REQUEST);
    t.pages[0]!.close();
    await settle();
    assert.equal(t.app.sessions[0]!.consoles[0]!.destroyed, true);
    assert.equal(t.ipc.openConsoles, 0);
  });

  it('dispose removes every handler and closes everything', async () => {
    const t = setup();
    await t.ask(CHANNELS.openConsole, VNC_REQUEST);
    t.ipc.dispose();
    assert.equal(t.ipcMain.handlers.size, 0);
    assert.ok([...t.ipcMain.listeners.values()].every((s) => s.size === 0));
    assert.equal(t.app.sessions[0]!.consoles[0]!.destroyed, true);
    assert.equal(t.app.sessions[0]!.closed, true);
    assert.equal(t.app.listenerCount('event'), 0);
  });
});
