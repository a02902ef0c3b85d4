/**
 * KeyboardEvent.code → Linux input keycodes (include/uapi/linux/input-event-codes.h), for
 * libvirt's send-key with the LINUX codeset: the send-keys menu works even with no console open.
 */
const LETTERS = 'QWERTYUIOP'
  .split('')
  .map((c, i) => [`Key${c}`, 16 + i] as const)
  .concat('ASDFGHJKL'.split('').map((c, i) => [`Key${c}`, 30 + i] as const))
  .concat('ZXCVBNM'.split('').map((c, i) => [`Key${c}`, 44 + i] as const));

export const LINUX_KEYCODES: Readonly<Record<string, number>> = {
  Escape: 1,
  Digit1: 2,
  Digit2: 3,
  Digit3: 4,
  Digit4: 5,
  Digit5: 6,
  Digit6: 7,
  Digit7: 8,
  Digit8: 9,
  Digit9: 10,
  Digit0: 11,
  Minus: 12,
  Equal: 13,
  Backspace: 14,
  Tab: 15,
  BracketLeft: 26,
  BracketRight: 27,
  Enter: 28,
  ControlLeft: 29,
  Semicolon: 39,
  Quote: 40,
  Backquote: 41,
  ShiftLeft: 42,
  Backslash: 43,
  Comma: 51,
  Period: 52,
  Slash: 53,
  ShiftRight: 54,
  NumpadMultiply: 55,
  AltLeft: 56,
  Space: 57,
  CapsLock: 58,
  F1: 59,
  F2: 60,
  F3: 61,
  F4: 62,
  F5: 63,
  F6: 64,
  F7: 65,
  F8: 66,
  F9: 67,
  F10: 68,
  NumLock: 69,
  ScrollLock: 70,
  F11: 87,
  F12: 88,
  ControlRight: 97,
  PrintScreen: 99,
  AltRight: 100,
  Home: 102,
  ArrowUp: 103,
  PageUp: 104,
  ArrowLeft: 105,
  ArrowRight: 106,
  End: 107,
  ArrowDown: 108,
  PageDown: 109,
  Insert: 110,
  Delete: 111,
  Pause: 119,
  MetaLeft: 125,
  MetaRight: 126,
  ContextMenu: 127,
  /** Alt+SysRq is Alt+PrintScreen on PC keyboards; KEY_SYSRQ is the same key. */
  SysRq: 99,
  ...Object.fromEntries(LETTERS),
};

/** The send-keys menu: what people reach for when a key combination can't be typed. */
export const SEND_KEY_COMBOS: readonly { label: string; keys: readonly string[] }[] = [
  { label: 'Ctrl+Alt+Del', keys: ['ControlLeft', 'AltLeft', 'Delete'] },
  { label: 'Ctrl+Alt+Backspace', keys: ['ControlLeft', 'AltLeft', 'Backspace'] },
  ...Array.from({ length: 12 }, (_, i) => ({
    label: `Ctrl+Alt+F${i + 1}`,
    keys: ['ControlLeft', 'AltLeft', `F${i + 1}`],
  })),
  { label: 'Alt+SysRq', keys: ['AltLeft', 'SysRq'] },
  { label: 'PrintScreen', keys: ['PrintScreen'] },
];
