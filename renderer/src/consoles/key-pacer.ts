/**
 * Key events for a QEMU VNC display, sent no closer together than QEMU types them into the guest.
 * QEMU's VNC server follows each key event with a 10 ms pause (its `key-delay-ms`) on the guest's
 * clock, and keeps faster events in a queue of its own. That queue is QEMU's state, not the
 * guest's: when the guest pauses to move to another host, whatever is still queued is never
 * typed, and past 1024 queued events QEMU drops new ones. Pacing here keeps the backlog on this
 * side, where a move can carry it over to the new display.
 */

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
