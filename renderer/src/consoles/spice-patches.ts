/**
 * Two changes to spice-html5's display channel, for a page that holds several SPICE sessions and
 * routes the keyboard itself:
 *  - it finds a session's screen canvas by a document-wide id that every session shares
 *    ("spice_surface_0"), so closing one session's surface removed another's; here each
 *    session removes its own canvas;
 *  - it hooks its keyboard handlers (legacy keyCodes, modifier state shared by every session) and
 *    focus-follows-mouse onto the canvas; here the session is told about its canvas instead and
 *    the console hooks what it wants (see SpiceConsole).
 */
import { SpiceDisplayConn } from '@spice-project/spice-html5/src/display.js';

interface Surface {
  canvas: HTMLCanvasElement;
  surface_id: number;
}

interface DisplayConn {
  parent: { onprimary?: (canvas: HTMLCanvasElement | undefined) => void };
  primary_surface?: number;
  surfaces?: Surface[];
  unhook_events(): void;
}

let applied = false;

export function patchSpiceDisplay(): void {
  if (applied) return;
  applied = true;
  const proto = SpiceDisplayConn.prototype;
  proto['hook_events'] = function (this: DisplayConn): void {
    const s = this.primary_surface !== undefined ? this.surfaces?.[this.primary_surface] : undefined;
    if (!s) return;
    (s.canvas as HTMLCanvasElement & { sc?: unknown }).sc = this.parent;
    this.parent.onprimary?.(s.canvas);
  };
  proto['unhook_events'] = function (this: DisplayConn): void {
    if (this.primary_surface !== undefined) this.parent.onprimary?.(undefined);
  };
  proto['delete_surface'] = function (this: DisplayConn, surfaceId: number): void {
    const s = this.surfaces?.[surfaceId];
    if (this.primary_surface === surfaceId) {
      this.unhook_events();
      this.primary_surface = undefined;
      s?.canvas.remove();
    }
    if (this.surfaces) delete this.surfaces[surfaceId];
  };
}
