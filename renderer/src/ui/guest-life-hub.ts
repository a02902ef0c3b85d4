/**
 * Where the guest-life dialogs (New guest, Storage, Clone, Delete with storage) are opened from
 * anywhere in the UI (the strip's footer and host menus, the toolbar, guest actions), once the
 * app has said which bridge and model they work on and how a new guest is made active.
 */
import { type Bridge, type GuestInfo, type GuestRef } from '../../../common/contract.js';
import type { Store } from '../state/store.js';
import { h } from './dom.js';
import { cloneDialog, deleteGuestDialog } from './guest-life.js';
import { NewGuestDialog } from './new-guest.js';
import { storageDialog } from './storage-view.js';
import { hostDetailsDialog } from './host-details.js';

type Fail = (e: unknown, title?: string) => void;

interface Life {
  bridge: Bridge;
  store: Store;
  switchTo: (key: string) => void;
  fail: Fail;
}

let life: Life | undefined;

export function setGuestLife(bridge: Bridge, store: Store, switchTo: (key: string) => void, fail: Fail): void {
  life = { bridge, store, switchTo, fail };
  // The desktop app's New Guest… (Ctrl+N) comes as a menu command.
  bridge.onMenuCommand?.((c) => {
    if (c.kind === 'new-guest') openNewGuest();
  });
}

/** Makes a guest just made the active one as soon as the model knows it. */
function activate(ref: GuestRef): void {
  const l = life;
  if (!l) return;
  // The page knows a guest by its UUID (it stays the same guest when it moves between hosts).
  const key = ref.uuid;
  const until = Date.now() + 30_000;
  const tryNow = (): void => {
    if (l.store.guest(key)) l.switchTo(key);
    else if (Date.now() < until) window.setTimeout(tryNow, 100);
  };
  tryNow();
}

/** The New guest dialog, on `host` or the first connected one. */
export function openNewGuest(host?: string): void {
  if (life) new NewGuestDialog(life.bridge, life.store.hosts, activate, life.fail).open(host);
}

const menus = new Map<string, HTMLElement>();

/** A host's menu (New guest, Storage), made once per host so that it stays open across re-renders. */
export function hostMenuFor(uri: string, label: string): HTMLElement {
  let menu = menus.get(uri);
  if (menu) return menu;
  const entry = (text: string, run: () => void): HTMLElement =>
    h(
      'button',
      {
        type: 'button',
        role: 'menuitem',
        onclick: (ev: Event) => {
          (ev.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
          run();
        },
      },
      text,
    );
  menu = h(
    'details',
    { className: 'host-menu' },
    h('summary', { 'aria-label': `Menu of ${label}`, title: 'Host menu' }, '⋯'),
    h(
      'div',
      { role: 'menu' },
      entry('New guest', () => openNewGuest(uri)),
      entry('Storage', () => openStorage(uri)),
      entry('Host details', () => life && hostDetailsDialog(life.bridge, uri, label)),
    ),
  );
  menus.set(uri, menu);
  return menu;
}

export function openStorage(host: string): void {
  if (life) storageDialog(life.bridge, host, life.fail);
}

export function openClone(g: GuestInfo): void {
  if (life) cloneDialog(life.bridge, g, activate, life.fail);
}

export function openDelete(g: GuestInfo): Promise<void> {
  return life ? deleteGuestDialog(life.bridge, g, life.fail) : Promise.resolve();
}
