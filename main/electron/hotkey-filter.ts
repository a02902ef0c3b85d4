/**
 * Hotkeys caught in the main process, from webContents' `before-input-event`: it fires before the
 * page sees a key, whatever element has focus, so a hotkey works over a focused console and never
 * reaches the guest. A caught key is prevented (the page, and so the guest, never sees it, nor the
 * menu) and its action goes to the renderer, which does the switching.
 */
import type { HotkeyAction } from '../../common/contract.js';
import { HotkeyMatcher, type KeyInput } from '../../common/hotkeys.js';

/** The fields of Electron's `Input` the filter reads. */
export interface InputLike {
  type: string;
  code: string;
  control: boolean;
  alt: boolean;
  shift: boolean;
  meta: boolean;
  isAutoRepeat: boolean;
  isComposing: boolean;
}

export class HotkeyFilter {
  private readonly matcher: HotkeyMatcher;
  /** Codes whose key-down was kept from the page: their key-up is kept from it too, and only theirs. */
  private readonly swallowed = new Set<string>();
  private capturing = true;

  constructor(
    hotkeys: Record<HotkeyAction, string>,
    private readonly onHotkey: (action: HotkeyAction) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.matcher = new HotkeyMatcher(hotkeys);
  }

  setHotkeys(hotkeys: Record<HotkeyAction, string>): void {
    this.matcher.setBindings(hotkeys);
  }

  /** Off while the page records a new hotkey in a field, so the field gets the keys as typed. */
  setCapturing(on: boolean): void {
    this.capturing = on;
  }

  /** The `before-input-event` listener. */
  handle(event: { preventDefault(): void }, input: InputLike): void {
    if (input.type === 'keyUp') {
      // Only the key-ups of swallowed key-downs: any other key-up must reach the guest, or a key
      // pressed there would stay down.
      if (this.swallowed.delete(input.code)) event.preventDefault();
      return;
    }
    if (input.type !== 'keyDown' || !this.capturing || input.isComposing) return;
    const key: KeyInput = {
      type: 'keydown',
      code: input.code,
      ctrlKey: input.control,
      altKey: input.alt,
      shiftKey: input.shift,
      metaKey: input.meta,
      repeat: input.isAutoRepeat,
    };
    const action = this.matcher.match(key, this.now());
    if (!action && !this.matcher.isBound(key)) return;
    event.preventDefault();
    this.swallowed.add(input.code);
    // A held chord acts once: auto-repeat of a switch or of fullscreen would flicker.
    if (action && !input.isAutoRepeat) this.onHotkey(action);
  }
}
