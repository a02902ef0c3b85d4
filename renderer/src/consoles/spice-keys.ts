/**
 * KeyboardEvent.code → the PC scancodes SPICE's inputs channel carries (set 1, as QEMU takes
 * them), so typing is layout-independent like the VNC consoles' extended key events. spice-html5
 * maps the legacy `keyCode` instead (layout-dependent) and keeps modifier state shared by every
 * session in the page, so the app sends keys itself. Pure: no DOM.
 */
import { LINUX_KEYCODES } from '../../../common/keycodes.js';

/** Keys whose set-1 scancode is not their Linux keycode: 0xE0-prefixed ones, and the keypad. */
const SCANCODES: Readonly<Record<string, number>> = {
  ControlRight: 0xe01d,
  PrintScreen: 0xe037,
  SysRq: 0xe037,
  AltRight: 0xe038,
  Home: 0xe047,
  ArrowUp: 0xe048,
  PageUp: 0xe049,
  ArrowLeft: 0xe04b,
  ArrowRight: 0xe04d,
  End: 0xe04f,
  ArrowDown: 0xe050,
  PageDown: 0xe051,
  Insert: 0xe052,
  Delete: 0xe053,
  MetaLeft: 0xe05b,
  MetaRight: 0xe05c,
  ContextMenu: 0xe05d,
  NumpadEnter: 0xe01c,
  NumpadDivide: 0xe035,
  Numpad7: 0x47,
  Numpad8: 0x48,
  Numpad9: 0x49,
  NumpadSubtract: 0x4a,
  Numpad4: 0x4b,
  Numpad5: 0x4c,
  Numpad6: 0x4d,
  NumpadAdd: 0x4e,
  Numpad1: 0x4f,
  Numpad2: 0x50,
  Numpad3: 0x51,
  Numpad0: 0x52,
  NumpadDecimal: 0x53,
  IntlBackslash: 0x56,
};

/** The set-1 scancode of a key (0xE0xx for extended keys), or undefined for keys PCs lack. */
export function scancodeOf(code: string): number | undefined {
  const own = SCANCODES[code];
  if (own !== undefined) return own;
  const linux = LINUX_KEYCODES[code];
  // Below 89, Linux keycodes are the set-1 scancodes (the PC/AT keyboard they were made from).
  return linux !== undefined && linux < 89 ? linux : undefined;
}

/**
 * The 32-bit value of SPICE's KEY_DOWN / KEY_UP messages: the scancode's bytes in the order the
 * keyboard sends them, little-endian (0xE0 first for extended keys), with bit 7 of the last byte
 * set on release.
 */
export function spiceKeyValue(scancode: number, down: boolean): number {
  const release = down ? 0 : 0x80;
  if (scancode < 0x100) return scancode | release;
  return 0xe0 | (((scancode & 0xff) | release) << 8);
}
