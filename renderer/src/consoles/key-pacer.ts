/**
 * Key events for a QEMU VNC display, sent no closer together than QEMU types them into the guest.
 * QEMU's VNC server follows each key event with a 10 ms pause (its `key-delay-ms`) on the guest's
 * clock, and keeps faster events in a queue of its own. That queue is QEMU's state, not the
 * guest's: when the guest pauses to move to another host, whatever is still queued is never
 * typed, and past 1024 queued events QEMU drops new ones. Pacing here keeps the backlog on this
 * side, where a move can carry it over to the new display.
 */

import type RFB from '@novnc/novnc';
import type { KeyRecord } from '../input/handover.js';

/** The gap between two key events sent to a display, in ms (QEMU's default key delay is 10). */
export const KEY_EVENT_GAP_MS = 12;

export interface PacedKey {
  keysym: number;
  code: string | null;
  down: boolean;
}

export class KeyPacer {
  private queue: PacedKey[] = [];
  private lastSentAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (k: PacedKey) => void,
    private readonly gapMs = KEY_EVENT_GAP_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Sends the key event now if the last one is far enough back, else after those still waiting. */
  push(k: PacedKey): void {
    this.queue.push(k);
    this.pump();
  }

  /** The events not sent yet, in order; they will not be sent. */
  take(): PacedKey[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    const q = this.queue;
    this.queue = [];
    return q;
  }

  get pending(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const wait = this.lastSentAt + this.gapMs - this.now();
      if (wait > 0) {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      // A timer that fired late does not slow the rate: the next gap counts from when this one was due.
      const due = this.lastSentAt + this.gapMs;
      const now = this.now();
      this.lastSentAt = now - due < this.gapMs ? due : now;
      this.send(this.queue.shift()!);
    }
  }
}

export interface PaceHooks {
  /** An event went to the display. */
  sent(k: PacedKey): void;
  /** Whether the console keeps the event instead (there is no display for it now). */
  keep(k: PacedKey): boolean;
}

/**
 * Routes `rfb`'s key events (noVNC's keyboard and every caller of sendKey) through a pacer. Whether
 * an event goes to the guest is decided when it is typed: view-only drops it then, as noVNC does.
 */
export function paceKeys(rfb: RFB, hooks: PaceHooks): KeyPacer {
  const send = rfb.sendKey.bind(rfb);
  const pacer = new KeyPacer((k) => {
    hooks.sent(k);
    const viewOnly = rfb.viewOnly;
    rfb.viewOnly = false;
    send(k.keysym, k.code, k.down);
    rfb.viewOnly = viewOnly;
  });
  rfb.sendKey = (keysym, code, down) => {
    if (rfb.viewOnly) return;
    const events: PacedKey[] =
      down === undefined ? [true, false].map((d) => ({ keysym, code, down: d })) : [{ keysym, code, down }];
    for (const k of events) if (!hooks.keep(k)) pacer.push(k);
  };
  return pacer;
}

/** A key event that never reached a display, kept for the next one as it was to be sent. */
export function pacedRecord(k: PacedKey): KeyRecord {
  return { type: k.down ? 'keydown' : 'keyup', code: k.code ?? '', key: '', keysym: k.keysym };
}
