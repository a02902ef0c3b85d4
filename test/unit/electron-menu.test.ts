/**
 * The application menu, the tray menu, notifications and the switcher order the menu lists
 * guests in (main/electron/menu.ts, notifier.ts, guest-order.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import {
  DEFAULT_SETTINGS,
  type AppState,
  type GuestInfo,
  type GuestStateName,
  type HostInfo,
  type MenuCommand,
} from '../../common/contract.js';
import { switcherOrder } from '../../common/order.js';
import { guestInfo } from '../fixtures/guest-info.js';
import {
  applicationMenu,
  guestActionEnabled,
  toAccelerator,
  trayMenu,
  trayTooltip,
  type MenuActions,
  type MenuModel,
} from '../../main/electron/menu.js';
import { Notifier, type NoticeContent } from '../../main/electron/notifier.js';

const HOST = 'qemu:///system';
function guest(name: string, state: GuestStateName, host = HOST, extra: Partial<GuestInfo> = {}): GuestInfo {
  return guestInfo({ name, state, host, ...extra });
}

const web = guest('web1', 'running');
const db = guest('db', 'shutoff');
const app2 = guest('app2', 'paused');
const state: AppState = {
  hosts: [{ uri: HOST, status: 'connected' }],
  guests: [web, db, app2],
  consoles: [],
  settings: DEFAULT_SETTINGS,
};

function actions() {
  const sent: MenuCommand[] = [];
  let shown = 0;
  let quit = 0;
  const a: MenuActions = { send: (c) => sent.push(c), showWindow: () => shown++, quit: () => quit++ };
  return { a, sent, shown: () => shown, quit: () => quit };
}

const submenu = (menu: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions[] =>
  menu.find((m) => m.label?.replace('&', '') === label)!.submenu as MenuItemConstructorOptions[];
const item = (items: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions => {
  const found = items.find((i) => i.label === label || i.label?.startsWith(`${label} (`));
  assert.ok(found, `no item ${label}`);
  return found;
};
const click = (i: MenuItemConstructorOptions): void => (i.click as () => void)();
const allItems = (menu: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] =>
  menu.flatMap((m) => [m, ...allItems((m.submenu as MenuItemConstructorOptions[]) ?? [])]);

describe('application menu', () => {
  it('the VM actions with their accelerators, acting on the active guest', () => {
    const t = actions();
    const menu = applicationMenu({ state, active: web, kiosk: false }, t.a);
    const machine = submenu(menu, 'Machine');
    const expected: [string, string | undefined, boolean][] = [
      ['Start', 'CmdOrCtrl+Shift+S', false],
      ['Shut Down', 'CmdOrCtrl+Shift+D', true],
      ['Reboot', 'CmdOrCtrl+Shift+R', true],
      ['Reset…', undefined, true],
      ['Force Off…', undefined, true],
      ['Pause', 'CmdOrCtrl+Shift+P', true],
      ['Resume', 'CmdOrCtrl+Shift+U', false],
      ['Save State', 'CmdOrCtrl+Shift+M', true],
      ['Take Snapshot…', 'CmdOrCtrl+Shift+T', true],
      ['Delete…', undefined, true],
    ];
    for (const [label, accelerator, enabled] of expected) {
      const i = item(machine, label);
      assert.equal(i.accelerator, accelerator, label);
      assert.equal(i.enabled, enabled, label);
    }
    click(item(machine, 'Reboot'));
    click(item(machine, 'Send Keys…'));
    click(item(machine, 'Move to host…'));
    assert.deepEqual(t.sent, [
      { kind: 'guest-action', action: 'reboot' },
      { kind: 'open', panel: 'send-keys' },
      { kind: 'open', panel: 'move' },
    ]);
  });

  it('actions follow the active guest’s state; nothing is offered without one, or while it is busy', () => {
    assert.equal(guestActionEnabled('start', db), true);
    assert.equal(guestActionEnabled('shutdown', db), false);
    assert.equal(guestActionEnabled('resume', app2), true);
    assert.equal(guestActionEnabled('pause', app2), false);
    assert.equal(guestActionEnabled('start', guest('c', 'crashed')), true);
    assert.equal(guestActionEnabled('reboot', { ...web, busy: 'saving' }), false);
    const machine = submenu(applicationMenu({ state, active: null, kiosk: false }, actions().a), 'Machine');
    assert.ok(machine.filter((i) => i.type !== 'separator').every((i) => i.enabled === false));
  });

  it('no reload or developer tools (the default menu’s Ctrl+R and Ctrl+Shift+I are gone)', () => {
    const items = allItems(applicationMenu({ state, active: web, kiosk: false }, actions().a));
    for (const role of ['reload', 'forceReload', 'toggleDevTools'])
      assert.ok(!items.some((i) => i.role === role), role);
    assert.ok(!items.some((i) => /^(CmdOrCtrl|Ctrl)\+(R|Shift\+I)$/.test(String(i.accelerator))));
  });

  it('hotkeys are shown beside their items but never registered (before-input-event catches them)', () => {
    const t = actions();
    const view = submenu(applicationMenu({ state, active: web, kiosk: false }, t.a), 'View');
    const next = item(view, 'Next Guest');
    assert.equal(next.accelerator, 'Ctrl+Alt+PageDown');
    assert.equal(next.registerAccelerator, false);
    const picker = item(view, 'Guest Picker');
    assert.equal(picker.label, 'Guest Picker (Scroll Lock twice)');
    assert.equal(picker.accelerator, undefined);
    const palette = item(view, 'Action Palette');
    assert.equal(palette.accelerator, 'Ctrl+Alt+P');
    assert.equal(palette.registerAccelerator, false);
    assert.equal(item(view, 'Details').accelerator, 'Ctrl+Alt+D');
    click(item(view, 'Fullscreen'));
    click(palette);
    click(item(view, 'Details'));
    assert.deepEqual(t.sent, [
      { kind: 'hotkey', action: 'fullscreen' },
      { kind: 'hotkey', action: 'palette' },
      { kind: 'hotkey', action: 'details' },
    ]);
  });

  it('the Guests menu lists every guest in switcher order, with its slot hotkey; a pick switches', () => {
    const t = actions();
    const guests = submenu(applicationMenu({ state, active: web, kiosk: false }, t.a), 'Guests');
    assert.deepEqual(
      guests.map((g) => [g.label, g.accelerator, g.registerAccelerator, g.checked]),
      [
        ['app2 (paused)', 'Ctrl+Alt+1', false, false],
        ['db (shut off)', 'Ctrl+Alt+2', false, false],
        ['web1', 'Ctrl+Alt+3', false, true],
      ],
    );
    click(guests[1]!);
    assert.deepEqual(t.sent, [{ kind: 'switch', guest: { host: HOST, uuid: db.uuid } }]);
  });

  it('a kiosk has no Quit', () => {
    const file = (kiosk: boolean) => submenu(applicationMenu({ state, active: web, kiosk }, actions().a), 'virtswitch');
    assert.ok(file(false).some((i) => i.label === 'Quit'));
    assert.ok(!file(true).some((i) => i.label === 'Quit'));
  });

  it('New Guest… (Ctrl+N) opens the New guest dialog', () => {
    const t = actions();
    const i = item(submenu(applicationMenu({ state, active: web, kiosk: false }, t.a), 'virtswitch'), 'New Guest…');
    assert.equal(i.accelerator, 'CmdOrCtrl+N');
    click(i);
    assert.deepEqual(t.sent, [{ kind: 'new-guest' }]);
  });

  it('accelerators from bindings', () => {
    assert.equal(toAccelerator('Ctrl+Alt+Digit1'), 'Ctrl+Alt+1');
    assert.equal(toAccelerator('Ctrl+Alt+KeyF'), 'Ctrl+Alt+F');
    assert.equal(toAccelerator('Ctrl+Alt+Backquote'), 'Ctrl+Alt+`');
    assert.equal(toAccelerator('Ctrl+Alt+Shift+ArrowLeft'), 'Ctrl+Alt+Shift+Left');
    assert.equal(toAccelerator('Meta+F12'), 'Super+F12');
    assert.equal(toAccelerator('ScrollLock*2'), undefined);
    assert.equal(toAccelerator('nonsense'), undefined);
  });
});

describe('tray menu', () => {
  it('lists the running guests; a pick shows the window and switches', () => {
    const t = actions();
    const model: MenuModel = { state, active: app2, kiosk: false };
    const menu = trayMenu(model, t.a);
    assert.deepEqual(
      menu.filter((i) => i.type === 'radio').map((i) => [i.label, i.checked]),
      [
        ['app2 (paused)', true],
        ['web1', false],
      ],
    );
    click(menu.find((i) => i.label === 'web1')!);
    assert.equal(t.shown(), 1);
    assert.deepEqual(t.sent, [{ kind: 'switch', guest: { host: HOST, uuid: web.uuid } }]);
    click(menu.find((i) => i.label === 'Quit virtswitch')!);
    assert.equal(t.quit(), 1);
    assert.equal(trayTooltip(state), 'virtswitch — 2 guests running');
  });

  it('says when nothing runs', () => {
    const menu = trayMenu({ state: { ...state, guests: [db] }, active: null, kiosk: false }, actions().a);
    assert.deepEqual(menu[0], { label: 'No running guests', enabled: false });
  });
});

describe('notifications', () => {
  function watch(initial: AppState = state) {
    const shown: NoticeContent[] = [];
    return { notifier: new Notifier(initial, (n) => shown.push(n)), shown };
  }

  it('a guest that crashes, once', () => {
    const w = watch();
    w.notifier.onEvent({ type: 'guest', guest: { ...web, state: 'crashed', reason: 'panicked' } });
    w.notifier.onEvent({ type: 'guest', guest: { ...web, state: 'crashed', reason: 'panicked' } });
    assert.deepEqual(w.shown, [
      {
        title: 'web1 crashed',
        body: `The guest on ${HOST} stopped unexpectedly (panicked).`,
        guest: { host: HOST, uuid: web.uuid },
      },
    ]);
  });

  it('not for a guest that was already crashed, or that shuts off normally', () => {
    const crashed = guest('old', 'crashed');
    const w = watch({ ...state, guests: [...state.guests, crashed] });
    w.notifier.onEvent({ type: 'guest', guest: crashed });
    w.notifier.onEvent({ type: 'guest', guest: { ...web, state: 'shutoff' } });
    w.notifier.onEvent({ type: 'guest', guest: guest('new', 'crashed') });
    assert.deepEqual(w.shown, []);
  });

  it('a host that drops: once per drop, not for every retry', () => {
    const w = watch();
    const h = (status: HostInfo['status'], error?: string): void =>
      w.notifier.onEvent({ type: 'host', host: { uri: HOST, status, ...(error ? { error } : {}) } });
    h('reconnecting', 'the connection was closed');
    h('reconnecting', 'the connection was closed');
    h('failed', 'no route to host');
    h('connected');
    h('failed', 'libvirtd stopped');
    assert.deepEqual(
      w.shown.map((s) => [s.title, s.body]),
      [
        [`Lost the connection to ${HOST}`, 'Reconnecting: the connection was closed'],
        [`Lost the connection to ${HOST}`, 'Gave up: libvirtd stopped'],
      ],
    );
  });

  it('a host that cannot be reached at all', () => {
    const w = watch({ ...state, hosts: [{ uri: 'qemu+ssh://lab/system', status: 'connecting' }] });
    w.notifier.onEvent({
      type: 'host',
      host: {
        uri: 'qemu+ssh://lab/system',
        status: 'failed',
        error: 'ssh: connect to host lab port 22: Connection refused',
      },
    });
    assert.equal(w.shown[0]?.title, 'Cannot connect to qemu+ssh://lab/system');
  });
});

describe('switcher order', () => {
  const hosts: HostInfo[] = [
    { uri: 'b', status: 'connected' },
    { uri: 'a', status: 'connected' },
  ];
  const gs = [
    guest('zeta', 'running', 'a'),
    guest('alpha', 'running', 'a'),
    guest('vm10', 'running', 'b'),
    guest('vm2', 'running', 'b'),
    guest('orphan', 'running', 'c'),
    guest('mid', 'running', 'b'),
  ];

  it('hosts in the order added, guests by name (numbers as numbers), the user’s order on top', () => {
    assert.deepEqual(
      switcherOrder(hosts, gs, []).map((g) => g.name),
      ['mid', 'vm2', 'vm10', 'alpha', 'zeta', 'orphan'],
    );
    const vm10 = gs.find((g) => g.name === 'vm10')!;
    const mid = gs.find((g) => g.name === 'mid')!;
    // vm10 and mid keep the user's order; vm2, never placed, goes before the first placed guest
    // whose name sorts after its own (vm10).
    assert.deepEqual(
      switcherOrder(hosts, gs, [vm10.uuid, mid.uuid]).map((g) => g.name),
      ['vm2', 'vm10', 'mid', 'alpha', 'zeta', 'orphan'],
    );
  });
});
