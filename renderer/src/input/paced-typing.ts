/**
 * Key strokes typed into a guest one at a time, a few ms apart: a burst of key events all at once
 * overruns the guest's keyboard buffer and drops characters.
 */
import { strokesFor, XK_SHIFT_L, type KeyStroke } from './type-text.js';

/** What the strokes are typed into (a console). */
export interface KeySink {
  sendKey(keysym: number, code: string, down: boolean): void;
}

/** The pause between two strokes, in ms. */
export const STROKE_GAP_MS = 8;

/** Types the strokes, each a press and release (inside Shift when it needs it), STROKE_GAP_MS apart. */
export function typePaced(sink: KeySink, strokes: readonly KeyStroke[], gapMs = STROKE_GAP_MS): void {
  let i = 0;
  const next = (): void => {
    const s = strokes[i++];
    if (!s) return;
    if (s.shift) sink.sendKey(XK_SHIFT_L, 'ShiftLeft', true);
    sink.sendKey(s.keysym, s.code, true);
    sink.sendKey(s.keysym, s.code, false);
    if (s.shift) sink.sendKey(XK_SHIFT_L, 'ShiftLeft', false);
    setTimeout(next, gapMs);
  };
  next();
}

/**
 * Types text into a console as key presses and gives it the focus; returns the characters a US
 * keyboard can't type, or undefined when there is no console to type into.
 */
export function typeText(
  c: (KeySink & { focus(): void }) | undefined,
  text: string,
): { skipped: string[] } | undefined {
  if (!c) return undefined;
  const { strokes, skipped } = strokesFor(text);
  typePaced(c, strokes);
  c.focus();
  return { skipped };
}
