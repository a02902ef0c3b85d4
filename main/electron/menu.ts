/**
 * The application menu and the tray menu, as templates built from the app's state (pure, so
 * tests read them without Electron). Every pick becomes a MenuCommand for the renderer, which
 * acts on the active guest. There are no reload or developer-tools items: Electron's default
 * menu binds Ctrl+R and Ctrl+Shift+I, and this one replaces it.
 */
import type { MenuItemConstructorOptions } from 'electron';
import {
  guestKey,
  type AppState,
  type GuestAction,
  type GuestInfo,
  type GuestRef,
  type GuestStateName,
  type HotkeyAction,
  type MenuCommand,
} from '../../common/contract.js';
import { describeBinding, parseBinding } from '../../common/hotkeys.js';
import { switcherOrder } from '../../common/order.js';

export interface MenuModel {
  state: AppState;
  /** The guest that owns the keyboard, as the renderer last said. */
  active: GuestRef | null;
  kiosk: boolean;
}

export interface MenuActions {
  send(command: MenuCommand): void;
  showWindow(): void;
  quit(): void;
}

interface GuestActionItem {
  action: GuestAction;
  label: string;
  accelerator?: string;
  /** The states in which libvirt accepts the action. */
  when: readonly GuestStateName[];
}

const ACTIVE: readonly GuestStateName[] = ['running', 'blocked', 'paused', 'shutdown', 'pmsuspended', 'crashed'];
const ANY: readonly GuestStateName[] = [...ACTIVE, 'shutoff', 'nostate'];

/**
 * The VM actions in menu order. Destructive ones (reset, force off, delete) open the renderer's
 * confirmation, and carry no accelerator, so no slip of the fingers starts one.
 */
export const GUEST_ACTION_ITEMS: readonly (GuestActionItem | 'separator')[] = [
  { action: 'start', label: 'Start', accelerator: 'CmdOrCtrl+Shift+S', when: ['shutoff', 'crashed'] },
  { action: 'shutdown', label: 'Shut Down', accelerator: 'CmdOrCtrl+Shift+D', when: ['running', 'blocked'] },
  { action: 'reboot', label: 'Reboot', accelerator: 'CmdOrCtrl+Shift+R', when: ['running', 'blocked'] },
  { action: 'reset', label: 'Reset…', when: ['running', 'blocked', 'paused'] },
  { action: 'poweroff', label: 'Force Off…', when: ACTIVE },
  'separator',
  { action: 'pause', label: 'Pause', accelerator: 'CmdOrCtrl+Shift+P', when: ['running', 'blocked'] },
  { action: 'resume', label: 'Resume', accelerator: 'CmdOrCtrl+Shift+U', when: ['paused'] },
  { action: 'save', label: 'Save State', accelerator: 'CmdOrCtrl+Shift+M', when: ['running', 'blocked', 'paused'] },
  'separator',
  { action: 'snapshot', label: 'Take Snapshot…', accelerator: 'CmdOrCtrl+Shift+T', when: ANY },
];

/** Whether the menu offers an action for this guest now (a busy guest is offered nothing). */
export function guestActionEnabled(action: GuestAction, guest: GuestInfo | undefined): boolean {
  if (!guest || guest.busy) return false;
  if (action === 'delete') return true;
  const item = GUEST_ACTION_ITEMS.find((i): i is GuestActionItem => i !== 'separator' && i.action === action);
  return !!item && item.when.includes(guest.state);
}

const KEY_NAMES: Record<string, string> = {
  ArrowUp: 'Up',
  ArrowDown: 'Down',
  ArrowLeft: 'Left',
  ArrowRight: 'Right',
  Backquote: '`',
  Minus: '-',
  Equal: '=',
  BracketLeft: '[',
  BracketRight: ']',
  Backslash: '\\',
  Semicolon: ';',
  Quote: "'",
  Comma: ',',
  Period: '.',
  Slash: '/',
  ScrollLock: 'Scrolllock',
  CapsLock: 'Capslock',
  NumLock: 'Numlock',
  Enter: 'Enter',
};

/**
 * A hotkey binding in Electron's accelerator syntax, to show beside a menu item (it is never
 * registered: the main process catches hotkeys itself). Undefined for a double tap, which no
 * accelerator can say.
 */
export function toAccelerator(binding: string): string | undefined {
  let b;
  try {
    b = parseBinding(binding);
  } catch {
    return undefined;
  }
  if (b.taps === 2) return undefined;
  const c = b.code;
  const key =
    KEY_NAMES[c] ??
    (/^Key[A-Z]$/.test(c)
      ? c.slice(3)
      : /^Digit\d$/.test(c)
        ? c.slice(5)
        : /^Numpad\d$/.test(c)
          ? `num${c.slice(6)}`
          : /^(F\d+|PageUp|PageDown|Home|End|Insert|Delete|Backspace|Tab|Space|Escape|PrintScreen)$/.test(c)
            ? c
            : undefined);
  if (!key) return undefined;
  return [b.ctrl && 'Ctrl', b.alt && 'Alt', b.shift && 'Shift', b.meta && 'Super', key].filter(Boolean).join('+');
}

/** A menu item for a hotkey action: its binding shown (never registered), or named in its label. */
function hotkeyItem(
  label: string,
  action: HotkeyAction,
  model: MenuModel,
  actions: MenuActions,
): MenuItemConstructorOptions {
  const binding = model.state.settings.hotkeys[action];
  const accelerator = binding ? toAccelerator(binding) : undefined;
  return {
    label: accelerator || !binding ? label : `${label} (${describeBinding(binding)})`,
    ...(accelerator ? { accelerator, registerAccelerator: false } : {}),
    click: () => actions.send({ kind: 'hotkey', action }),
  };
}

const STATE_WORDS: Partial<Record<GuestStateName, string>> = {
  shutoff: 'shut off',
  paused: 'paused',
  crashed: 'crashed',
  pmsuspended: 'suspended',
  shutdown: 'shutting down',
};

function guestLabel(g: GuestInfo): string {
  const words = STATE_WORDS[g.state];
  return words ? `${g.name} (${words})` : g.name;
}

function ordered(state: AppState): GuestInfo[] {
  return switcherOrder(state.hosts, state.guests, state.settings.order);
}

function activeGuest(model: MenuModel): GuestInfo | undefined {
  const a = model.active;
  return a ? model.state.guests.find((g) => g.host === a.host && g.uuid === a.uuid) : undefined;
}

type Send = (command: MenuCommand) => () => void;

/** Machine: the VM actions for the active guest, its panels, and delete. */
function machineMenu(active: GuestInfo | undefined, send: Send): MenuItemConstructorOptions[] {
  const machine: MenuItemConstructorOptions[] = GUEST_ACTION_ITEMS.map((i) =>
    i === 'separator'
      ? { type: 'separator' as const }
      : {
          id: `guest.${i.action}`,
          label: i.label,
          ...(i.accelerator ? { accelerator: i.accelerator } : {}),
          enabled: guestActionEnabled(i.action, active),
          click: send({ kind: 'guest-action', action: i.action }),
        },
  );
  machine.push(
    { label: 'Snapshots…', enabled: !!active, click: send({ kind: 'open', panel: 'snapshots' }) },
    { label: 'Resources…', enabled: !!active, click: send({ kind: 'open', panel: 'resources' }) },
    { label: 'Move to host…', enabled: !!active, click: send({ kind: 'open', panel: 'move' }) },
    {
      label: 'Send Keys…',
      accelerator: 'CmdOrCtrl+Shift+K',
      enabled: !!active,
      click: send({ kind: 'open', panel: 'send-keys' }),
    },
    { type: 'separator' },
    {
      id: 'guest.delete',
      label: 'Delete…',
      enabled: guestActionEnabled('delete', active),
      click: send({ kind: 'guest-action', action: 'delete' }),
    },
  );
  return machine;
}

/** Guests: every guest in switcher order, the active one checked, the first nine with their slot hotkey. */
function guestsMenu(model: MenuModel, active: GuestInfo | undefined, send: Send): MenuItemConstructorOptions[] {
  const guests = ordered(model.state);
  if (!guests.length) return [{ label: 'No guests yet', enabled: false }];
  return guests.map((g, i) => {
    const binding = i < 9 ? model.state.settings.hotkeys[`slot${i + 1}` as HotkeyAction] : undefined;
    const accelerator = binding ? toAccelerator(binding) : undefined;
    return {
      id: `switch.${guestKey(g)}`,
      label: guestLabel(g),
      type: 'radio' as const,
      checked: !!active && guestKey(active) === guestKey(g),
      ...(accelerator ? { accelerator, registerAccelerator: false } : {}),
      click: send({ kind: 'switch', guest: { host: g.host, uuid: g.uuid } }),
    };
  });
}

/** The app's own menu: hosts, settings, and quit (which a kiosk is not left by). */
function appMenu(model: MenuModel, actions: MenuActions, send: Send): MenuItemConstructorOptions[] {
  const file: MenuItemConstructorOptions[] = [
    { label: 'New Guest…', accelerator: 'CmdOrCtrl+N', click: send({ kind: 'new-guest' }) },
    { label: 'Hosts…', accelerator: 'CmdOrCtrl+Shift+H', click: send({ kind: 'open', panel: 'hosts' }) },
    { label: 'Settings…', accelerator: 'CmdOrCtrl+,', click: send({ kind: 'open', panel: 'settings' }) },
  ];
  if (!model.kiosk)
    file.push({ type: 'separator' }, { label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() });
  return file;
}

const EDIT_MENU: MenuItemConstructorOptions[] = [
  { role: 'undo' },
  { role: 'redo' },
  { type: 'separator' },
  { role: 'cut' },
  { role: 'copy' },
  { role: 'paste' },
  { role: 'selectAll' },
];

export function applicationMenu(model: MenuModel, actions: MenuActions): MenuItemConstructorOptions[] {
  const active = activeGuest(model);
  const send: Send = (command) => () => actions.send(command);
  return [
    { label: '&virtswitch', submenu: appMenu(model, actions, send) },
    { label: '&Edit', submenu: EDIT_MENU.map((i) => ({ ...i })) },
    { label: '&Machine', submenu: machineMenu(active, send) },
    {
      label: '&View',
      submenu: [
        hotkeyItem('Next Guest', 'next', model, actions),
        hotkeyItem('Previous Guest', 'previous', model, actions),
        hotkeyItem('Last Guest', 'last', model, actions),
        hotkeyItem('Guest Picker', 'osd', model, actions),
        hotkeyItem('Action Palette', 'palette', model, actions),
        hotkeyItem('Details', 'details', model, actions),
        { type: 'separator' },
        hotkeyItem('Fullscreen', 'fullscreen', model, actions),
      ],
    },
    { label: '&Guests', submenu: guestsMenu(model, active, send) },
    { label: '&Help', submenu: [{ role: 'about' }] },
  ];
}

const RUNNING: ReadonlySet<GuestStateName> = new Set(['running', 'blocked', 'paused']);

/** The tray's menu: the running guests (a pick switches to one), then show and quit. */
export function trayMenu(model: MenuModel, actions: MenuActions): MenuItemConstructorOptions[] {
  const running = ordered(model.state).filter((g) => RUNNING.has(g.state));
  const active = activeGuest(model);
  const items: MenuItemConstructorOptions[] = running.length
    ? running.map((g) => ({
        label: guestLabel(g),
        type: 'radio' as const,
        checked: !!active && guestKey(active) === guestKey(g),
        click: () => {
          actions.showWindow();
          actions.send({ kind: 'switch', guest: { host: g.host, uuid: g.uuid } });
        },
      }))
    : [{ label: 'No running guests', enabled: false }];
  return [
    ...items,
    { type: 'separator' },
    { label: 'Show virtswitch', click: () => actions.showWindow() },
    ...(model.kiosk ? [] : [{ label: 'Quit virtswitch', click: () => actions.quit() }]),
  ];
}

/** The tray's tooltip. */
export function trayTooltip(state: AppState): string {
  const n = state.guests.filter((g) => RUNNING.has(g.state)).length;
  return `virtswitch — ${n === 0 ? 'no guests running' : n === 1 ? '1 guest running' : `${n} guests running`}`;
}
