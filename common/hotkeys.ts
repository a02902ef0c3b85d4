/**
 * Hotkey bindings matched on physical keys (KeyboardEvent.code), so they work on any layout.
 * A binding is "Ctrl+Alt+Digit1" (modifiers, then one key) or "ScrollLock*2" (a double tap
 * within 500 ms). Pure logic shared by the renderer and the Electron main process.
 */
import { DEFAULT_HOTKEYS, HOTKEY_ACTIONS, type HotkeyAction } from './contract.js';

export interface KeyInput {
  type: 'keydown' | 'keyup';
  code: string;
  ctrlKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
  repeat?: boolean;
}

export interface Binding {
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
  meta: boolean;
  code: string;
  /** 2 for a double tap; 1 for a chord. */
  taps: 1 | 2;
}

export const DOUBLE_TAP_MS = 500;

const MODIFIER_NAMES: Record<string, keyof Pick<Binding, 'ctrl' | 'alt' | 'shift' | 'meta'>> = {
  ctrl: 'ctrl',
  control: 'ctrl',
  alt: 'alt',
  shift: 'shift',
  meta: 'meta',
  super: 'meta',
  cmd: 'meta',
};

/** The codes of the modifier keys themselves. */
export const MODIFIER_CODES = new Set([
  'ControlLeft',
  'ControlRight',
  'AltLeft',
  'AltRight',
  'ShiftLeft',
  'ShiftRight',
  'MetaLeft',
  'MetaRight',
]);

const CODE =
  /^(Key[A-Z]|Digit[0-9]|F([1-9]|1[0-9]|2[0-4])|Numpad[0-9A-Za-z]+|Arrow(Up|Down|Left|Right)|Page(Up|Down)|Home|End|Insert|Delete|Backspace|Tab|Enter|Escape|Space|Backquote|Minus|Equal|BracketLeft|BracketRight|Backslash|Semicolon|Quote|Comma|Period|Slash|ScrollLock|Pause|PrintScreen|CapsLock|NumLock|ContextMenu|IntlBackslash)$/;

export class HotkeyParseError extends Error {}

export function parseBinding(text: string): Binding {
  const s = text.trim();
  const tap = /^([A-Za-z0-9]+)\*2$/.exec(s);
  if (tap) {
    const code = tap[1]!;
    if (!CODE.test(code) && !MODIFIER_CODES.has(code)) throw new HotkeyParseError(`unknown key "${code}"`);
    return { ctrl: false, alt: false, shift: false, meta: false, code, taps: 2 };
  }
  const parts = s
    .split('+')
    .map((p) => p.trim())
    .filter(Boolean);
  const code = parts.pop();
  if (!code) throw new HotkeyParseError('empty binding');
  if (!CODE.test(code))
    throw new HotkeyParseError(`unknown key "${code}" (use KeyboardEvent.code names such as KeyF, Digit1, PageDown)`);
  const b: Binding = { ctrl: false, alt: false, shift: false, meta: false, code, taps: 1 };
  for (const p of parts) {
    const m = MODIFIER_NAMES[p.toLowerCase()];
    if (!m) throw new HotkeyParseError(`unknown modifier "${p}"`);
    b[m] = true;
  }
  if (!b.ctrl && !b.alt && !b.meta && !/^(F\d+|ScrollLock|Pause)$/.test(code)) {
    throw new HotkeyParseError(
      'a chord needs Ctrl, Alt or Meta (or an F-key, ScrollLock or Pause), or it would steal typing from the guest',
    );
  }
  return b;
}

export function formatBinding(b: Binding): string {
  if (b.taps === 2) return `${b.code}*2`;
  return [b.ctrl && 'Ctrl', b.alt && 'Alt', b.shift && 'Shift', b.meta && 'Meta', b.code].filter(Boolean).join('+');
}

/** A person-readable label: "Ctrl+Alt+1", "Scroll Lock twice". */
export function describeBinding(text: string): string {
  let b: Binding;
  try {
    b = parseBinding(text);
  } catch {
    return text;
  }
  const key = b.code
    .replace(/^Key/, '')
    .replace(/^Digit/, '')
    .replace(/^Arrow/, '')
    .replace('Backquote', '`')
    .replace(/([a-z])([A-Z])/g, '$1 $2');
  if (b.taps === 2) return `${key} twice`;
  return [b.ctrl && 'Ctrl', b.alt && 'Alt', b.shift && 'Shift', b.meta && 'Meta', key].filter(Boolean).join('+');
}

/**
 * Matches key events against the bindings. Stateful only for double taps. `match` returns the
 * action a keydown triggers, or undefined; `isBound` tells whether a keydown belongs to a hotkey
 * (the first tap of a double tap included), so the caller can keep it away from the guest. The
 * caller keeps the matching key-up away too — only for a key-down it kept away, or a plain "1"
 * typed into a guest would lose its release and stay held down there.
 */
export class HotkeyMatcher {
  private bindings: [HotkeyAction, Binding][] = [];
  private lastTap: { code: string; at: number } | undefined;

  constructor(hotkeys: Record<HotkeyAction, string>) {
    this.setBindings(hotkeys);
  }

  setBindings(hotkeys: Record<HotkeyAction, string>): void {
    this.bindings = [];
    for (const action of HOTKEY_ACTIONS) {
      const text = hotkeys[action];
      if (!text) continue;
      try {
        this.bindings.push([action, parseBinding(text)]);
      } catch {
        // An unparsable binding is off; settings validation reports it when it is set.
      }
    }
  }

  /** Returns the action for this keydown, if any. `now` is a timestamp in ms. */
  match(e: KeyInput, now: number): HotkeyAction | undefined {
    if (e.type !== 'keydown') return undefined;
    for (const [action, b] of this.bindings) {
      if (b.taps === 2) {
        if (e.code !== b.code || e.repeat || e.ctrlKey || e.altKey || e.metaKey) continue;
        const prev = this.lastTap;
        if (prev && prev.code === e.code && now - prev.at <= DOUBLE_TAP_MS) {
          this.lastTap = undefined;
          return action;
        }
        this.lastTap = { code: e.code, at: now };
        return undefined;
      }
      if (
        e.code === b.code &&
        e.ctrlKey === b.ctrl &&
        e.altKey === b.alt &&
        e.shiftKey === b.shift &&
        e.metaKey === b.meta
      ) {
        return action;
      }
    }
    return undefined;
  }

  /** True for a keydown that is part of a binding and must not reach the guest. */
  isBound(e: KeyInput): boolean {
    if (e.type !== 'keydown') return false;
    for (const [, b] of this.bindings) {
      if (e.code !== b.code) continue;
      if (b.taps === 2) return true;
      if (e.ctrlKey === b.ctrl && e.altKey === b.alt && e.shiftKey === b.shift && e.metaKey === b.meta) return true;
    }
    return false;
  }
}

/** Validates a whole hotkey map: every binding parses and no two actions share one. */
export function validateHotkeys(hotkeys: Record<string, string>): string | undefined {
  const seen = new Map<string, string>();
  for (const [action, text] of Object.entries(hotkeys)) {
    let b: Binding;
    try {
      b = parseBinding(text);
    } catch (e) {
      return `${action}: ${(e as Error).message}`;
    }
    const norm = formatBinding(b);
    const other = seen.get(norm);
    if (other) return `${action} and ${other} are both bound to ${norm}`;
    seen.set(norm, action);
  }
  return undefined;
}

/** Second choices for actions added after users had picked their keys, tried in order. */
const SPARE_BINDINGS: Partial<Record<HotkeyAction, readonly string[]>> = {
  palette: ['Ctrl+Alt+Shift+KeyP', 'Ctrl+Alt+Space', 'Ctrl+Alt+Shift+Space'],
  details: ['Ctrl+Alt+Shift+KeyD', 'Ctrl+Alt+KeyI', 'Ctrl+Alt+Shift+KeyI'],
};

/**
 * The user's bindings with every action they never set taken from the defaults, unless a default
 * is already one of theirs: then a spare that is free (else the clash stays for validation to
 * report). An upgrade that adds an action never turns a working settings file into a broken one.
 */
export function withDefaultHotkeys(stored: Partial<Record<HotkeyAction, string>>): Record<HotkeyAction, string> {
  const norm = (text: string): string => {
    try {
      return formatBinding(parseBinding(text));
    } catch {
      return text;
    }
  };
  const taken = new Set(
    Object.values(stored)
      .filter((v): v is string => typeof v === 'string')
      .map(norm),
  );
  const out = { ...DEFAULT_HOTKEYS, ...stored };
  for (const action of HOTKEY_ACTIONS) {
    if (typeof stored[action] === 'string') continue;
    const choice = [DEFAULT_HOTKEYS[action], ...(SPARE_BINDINGS[action] ?? [])].find((b) => !taken.has(norm(b)));
    if (choice) out[action] = choice;
    taken.add(norm(out[action]));
  }
  return out;
}
