/**
 * The switch's keyboard: every key event passes here first (a capture listener on the window,
 * before noVNC's own listeners on its canvas). Hotkeys are taken and never reach any guest;
 * while the on-screen picker is open it takes every key; everything else goes on to the focused
 * console, and the keys it holds down are tracked so a switch can release them there.
 */
import type { HotkeyAction } from '../../../common/contract.js';
import { HotkeyMatcher, type KeyInput } from '../../../common/hotkeys.js';

export interface KeyEventLike extends KeyInput {
  preventDefault(): void;
  stopImmediatePropagation(): void;
  /** Whether the event is headed for a guest console (its canvas has focus). */
  toConsole: boolean;
}

export interface KeyboardHooks {
  hotkey(action: HotkeyAction): void;
  /** While it returns true for an event, the picker (OSD) has it. */
  modalKey(e: KeyEventLike): boolean;
  /** Any key at all (auto-scan stops at the first one). */
  anyInput(): void;
}

export class KeyboardRouter {
  /** Codes pressed on the active console and not yet released there. */
  private readonly held = new Set<string>();
  /** Codes whose key-down was kept from the guests: their key-up is kept away too. */
  private readonly swallowed = new Set<string>();
  private readonly matcher: HotkeyMatcher;

  constructor(
    hotkeys: Record<HotkeyAction, string>,
    private readonly hooks: KeyboardHooks,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.matcher = new HotkeyMatcher(hotkeys);
  }

  setHotkeys(hotkeys: Record<HotkeyAction, string>): void {
    this.matcher.setBindings(hotkeys);
  }

  /** The keys the old guest still has down; they are released there on a switch. */
  takeHeld(): string[] {
    const codes = [...this.held];
    this.held.clear();
    return codes;
  }

  handle(e: KeyEventLike): void {
    this.hooks.anyInput();
    const swallow = (): void => {
      e.preventDefault();
      e.stopImmediatePropagation();
    };
    if (e.type === 'keyup' && this.swallowed.delete(e.code)) {
      swallow();
      return;
    }
    if (this.hooks.modalKey(e)) {
      if (e.type === 'keydown') this.swallowed.add(e.code);
      swallow();
      return;
    }
    const action = this.matcher.match(e, this.now());
    if (action || this.matcher.isBound(e)) {
      this.swallowed.add(e.code);
      swallow();
      if (action) this.hooks.hotkey(action);
      return;
    }
    if (!e.toConsole) return;
    if (e.type === 'keydown') this.held.add(e.code);
    else this.held.delete(e.code);
  }
}

/** Wires the router to a window: capture-phase listeners, so they run before noVNC's. */
export function attachKeyboard(
  win: Window,
  router: KeyboardRouter,
  isConsoleTarget: (t: EventTarget | null) => boolean,
  /** Targets that want raw keys, hotkeys included (the field where a new hotkey is pressed). */
  bypass: (t: EventTarget | null) => boolean = () => false,
): () => void {
  const listener = (ev: KeyboardEvent): void => {
    if (!ev.isTrusted) return; // our own synthetic key-ups, sent to release keys, pass straight on
    if (bypass(ev.target)) return;
    const e: KeyEventLike = {
      type: ev.type === 'keydown' ? 'keydown' : 'keyup',
      code: ev.code,
      ctrlKey: ev.ctrlKey,
      altKey: ev.altKey,
      shiftKey: ev.shiftKey,
      metaKey: ev.metaKey,
      repeat: ev.repeat,
      toConsole: isConsoleTarget(ev.target),
      preventDefault: () => ev.preventDefault(),
      stopImmediatePropagation: () => ev.stopImmediatePropagation(),
    };
    router.handle(e);
  };
  win.addEventListener('keydown', listener, true);
  win.addEventListener('keyup', listener, true);
  return () => {
    win.removeEventListener('keydown', listener, true);
    win.removeEventListener('keyup', listener, true);
  };
}
