/**
 * What the console pool does when a console's connection drops. A SPICE display lets one viewer in
 * at a time, and a new viewer's session replaces the old one: a SPICE console that had its session
 * and lost it while its guest still runs was most likely pushed out by another viewer (another
 * virtswitch, virt-manager, remote-viewer). Reconnecting in the background would take the display
 * back from that viewer, which would take it back in turn, for ever; so such a console waits for
 * the user (a switch to it, or the stage's button). A QEMU reboot keeps its SPICE server, so a
 * reboot drops no session; a guest that stops leaves the pool's wanted set. VNC displays let
 * several viewers share them, and a console that never got its session (the display not up yet)
 * keeps trying with backoff.
 */
import type { ScreenConsole } from './screen-console.js';

export type AfterDrop = 'retry' | 'wait-for-user' | 'none';

export interface DropFacts {
  kind: ScreenConsole['kind'];
  /** This session had reached the guest's screen before it dropped. */
  hadSession: boolean;
  /** The guest runs and the pool keeps a console for it. */
  wanted: boolean;
  /** The guest is moving between hosts: the console waits for the new host's display. */
  moving: boolean;
}

/** What the stage says over a SPICE console that waits for the user. */
export const SPICE_TAKEN_REASON =
  'Another viewer most likely took this SPICE display (SPICE lets one viewer in at a time)';

export function afterDrop(f: DropFacts): AfterDrop {
  if (!f.wanted || f.moving) return 'none';
  if (f.kind === 'spice' && f.hadSession) return 'wait-for-user';
  return 'retry';
}
