/**
 * The "moving…" mark over a console while its guest moves between hosts. From the start of a live
 * move the keys typed are kept, not sent (see console-keys.ts), so the screen does not answer them:
 * the mark says how many wait and that they will be typed, so the user is not typing blind.
 */

/** The mark's words while `presses` key presses are kept. */
export function movingMarkText(presses: number): string {
  if (presses <= 0) return 'moving…';
  return `moving… — ${presses} ${presses === 1 ? 'key' : 'keys'} will be typed when the move ends`;
}

export class MovingMark {
  readonly element: HTMLDivElement;

  constructor() {
    this.element = document.createElement('div');
    this.element.className = 'moving-mark';
    this.element.setAttribute('role', 'status');
    this.element.hidden = true;
  }

  /** Keys are kept (`presses` of them so far), or not (undefined: the mark goes). */
  show(presses: number | undefined): void {
    this.element.hidden = presses === undefined;
    const text = presses === undefined ? '' : movingMarkText(presses);
    if (this.element.textContent !== text) this.element.textContent = text;
  }
}
