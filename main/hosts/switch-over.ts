/**
 * When a live move is about to switch over. QEMU pauses the guest on the source as soon as the
 * memory left fits in the allowed downtime, and drops input that reaches a paused guest's display;
 * keys typed in the moment before the pause would be lost. So the console holds keys (and types
 * them on the target after the handover) from shortly before: when, at the pace seen since the
 * last poll, the memory left would be sent within LEAD_MS, and from the start until the pace is
 * known; a hold begun on a near end goes on until the switch-over. A move that does not converge would hold them for ever, so a hold lasts HOLD_MAX_MS
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
  /** The hold began because the pace was not known yet (a small guest may be sent before it is). */
  private blind = false;

  /** Before the first figures: hold, since a small guest may switch over before the first poll. */
  start(at: number): boolean {
    this.holdSince = at;
    this.blind = true;
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
    // A hold begun on a near end outlasts a poll that looks further away (the pause may come just
    // after it); one begun blind ends as soon as the end is known to be far.
    if (!near && (this.holdSince === undefined || this.blind)) {
      this.holdSince = undefined;
      this.blind = false;
      return false;
    }
    if (near && this.blind) this.blind = false;
    this.holdSince ??= s.at;
    if (s.at - this.holdSince >= HOLD_MAX_MS) {
      this.holdSince = undefined;
      return false;
    }
    return true;
  }
}
