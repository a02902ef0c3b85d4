/**
 * A console's last picture, kept on the stage while its guest moves between hosts: a copy of the
 * old display's canvas (under the console's "moving…" mark) that takes the keyboard focus (so keys typed meanwhile
 * reach the console, not the page) until the new display has drawn its first frame.
 */

export class LastFrame {
  readonly element: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  constructor(
    from: HTMLCanvasElement,
    label: string,
    /** When the old display last sent anything (performance.now()). */
    readonly lastDataAt: number,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = from.width;
    this.canvas.height = from.height;
    this.canvas.tabIndex = -1;
    this.canvas.className = 'last-frame-canvas';
    this.canvas.setAttribute('aria-label', label);
    this.canvas.getContext('2d')?.drawImage(from, 0, 0);
    this.element = document.createElement('div');
    this.element.className = 'last-frame';
    this.element.append(this.canvas);
  }

  focus(): void {
    this.canvas.focus({ preventScroll: true });
  }

  remove(): void {
    this.element.remove();
  }
}

/** Whether noVNC has drawn on `canvas` yet: its middle pixel is no longer transparent. */
export function hasFrame(canvas: HTMLCanvasElement | null): boolean {
  if (!canvas || canvas.width === 0 || canvas.height === 0) return false;
  const ctx = canvas.getContext('2d');
  if (!ctx) return false;
  return ctx.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data[3]! > 0;
}
