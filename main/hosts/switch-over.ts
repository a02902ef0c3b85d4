/**
 * When a live move is about to switch over. QEMU pauses the guest on the source as soon as the
 * memory left fits in the allowed downtime, and drops input that reaches a paused guest's display;
 * keys typed in the moment before the pause would be lost. So the console holds keys (and types
 * them on the target after the handover) from shortly before: when, at the pace seen since the
 * last poll, the memory left would be sent within LEAD_MS, and from the start until the pace is
 * known; a hold goes on through polls that look further away, for HOLD_MAX_MS. A move that does not converge would hold them for ever, so a hold lasts HOLD_MAX_MS
 * at most and then lets them through to the source for one poll before it may start again. Pure.
 */

/** Ahead of the pause by this much at least: two polls, so one late poll still comes in time. */
export const LEAD_MS = 1000;
export const HOLD_MAX_MS = 3000;

export interface PassSample {
  /** ms */
  at: number;
  /** Bytes of memory left to send (libvirt's memory_remaining). */
  remaining: number;
  /** Bytes sent so far. */
  processed: number;
  /** The transfer rate libvirt reports, bytes per second (memory_bps). */
  bps: number;
}

export class SwitchOverWatch {
  private prev: PassSample | undefined;
  private holdSince: number | undefined;

  /** Before the first figures: hold, since a small guest may switch over before the first poll. */
  start(at: number): boolean {
    this.holdSince = at;
    return true;
  }

  /** A poll's figures; true while keys should be held for the target. */
  update(s: PassSample): boolean {
    const prev = this.prev;
    this.prev = s;
    // The fall of what is left counts pages QEMU skips as zero too, which the sending rate does not.
    const fell =
      prev && s.at > prev.at && s.remaining < prev.remaining
        ? (prev.remaining - s.remaining) / ((s.at - prev.at) / 1000)
        : 0;
    const pace = Math.max(fell, s.bps);
    if (pace <= 0 && s.remaining > 0) return this.holdSince !== undefined;
    const near = s.remaining === 0 || (s.remaining / pace) * 1000 < LEAD_MS;
    if (near) this.holdSince ??= s.at;
    if (this.holdSince === undefined) return false;
    // A hold goes on through polls that look further away (the pause may come just after one),
    // up to HOLD_MAX_MS; one whose end keeps looking near, twice that (a move that does not converge).
    const held = s.at - this.holdSince;
    if (held >= (near ? 2 * HOLD_MAX_MS : HOLD_MAX_MS)) {
      this.holdSince = undefined;
      return false;
    }
    return true;
  }
}
