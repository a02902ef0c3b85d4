/**
 * Text as key presses on a US layout (what QEMU's scancodes mean to a guest set up the usual
 * way), for "type the clipboard" into guests without a clipboard agent. Pure.
 */

export interface KeyStroke {
  code: string;
  keysym: number;
  shift: boolean;
}

const XK_RETURN = 0xff0d;
const XK_TAB = 0xff09;
export const XK_SHIFT_L = 0xffe1;

const UNSHIFTED: Record<string, string> = {
  '`': 'Backquote',
  '-': 'Minus',
  '=': 'Equal',
  '[': 'BracketLeft',
  ']': 'BracketRight',
  '\\': 'Backslash',
  ';': 'Semicolon',
  "'": 'Quote',
  ',': 'Comma',
  '.': 'Period',
  '/': 'Slash',
  ' ': 'Space',
};
const SHIFTED: Record<string, string> = {
  '~': 'Backquote',
  _: 'Minus',
  '+': 'Equal',
  '{': 'BracketLeft',
  '}': 'BracketRight',
  '|': 'Backslash',
  ':': 'Semicolon',
  '"': 'Quote',
  '<': 'Comma',
  '>': 'Period',
  '?': 'Slash',
  '!': 'Digit1',
  '@': 'Digit2',
  '#': 'Digit3',
  $: 'Digit4',
  '%': 'Digit5',
  '^': 'Digit6',
  '&': 'Digit7',
  '*': 'Digit8',
  '(': 'Digit9',
  ')': 'Digit0',
};

/** One character as a keystroke, or undefined for what a US keyboard cannot type. */
export function strokeFor(ch: string): KeyStroke | undefined {
  if (ch === '\n' || ch === '\r') return { code: 'Enter', keysym: XK_RETURN, shift: false };
  if (ch === '\t') return { code: 'Tab', keysym: XK_TAB, shift: false };
  const c = ch.charCodeAt(0);
  if (ch >= 'a' && ch <= 'z') return { code: `Key${ch.toUpperCase()}`, keysym: c, shift: false };
  if (ch >= 'A' && ch <= 'Z') return { code: `Key${ch}`, keysym: c, shift: true };
  if (ch >= '0' && ch <= '9') return { code: `Digit${ch}`, keysym: c, shift: false };
  if (UNSHIFTED[ch]) return { code: UNSHIFTED[ch], keysym: c, shift: false };
  if (SHIFTED[ch]) return { code: SHIFTED[ch], keysym: c, shift: true };
  return undefined;
}

/** The strokes for a text, and the characters that were left out. */
export function strokesFor(text: string): { strokes: KeyStroke[]; skipped: string[] } {
  const strokes: KeyStroke[] = [];
  const skipped: string[] = [];
  const normal = text.replace(/\r\n/g, '\n');
  for (const ch of normal) {
    const s = strokeFor(ch);
    if (s) strokes.push(s);
    else if (!skipped.includes(ch)) skipped.push(ch);
  }
  return { strokes, skipped };
}
