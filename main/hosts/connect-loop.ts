/**
 * Keeps trying to connect until it works: after each failure it waits longer (a backoff), a
 * failure that trying again cannot fix (a bad URI, refused credentials) ends it, and `retry()`
 * cuts the wait short.
 */
import { backoffDelay, type Backoff } from '../../common/backoff.js';

export interface ConnectSteps {
  /** One attempt; resolves once connected. */
  attempt(): Promise<void>;
  /** A failure that trying again cannot fix. */
  isPermanent(e: unknown): boolean;
  connected(): void;
  /** The attempt failed; `retryAt` (ms since the epoch) is when the next one starts, if one will. */
  failed(e: unknown, retryAt: number | undefined): void;
}

export class ConnectLoop {
  private running = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly steps: ConnectSteps,
    private readonly backoff: Backoff,
  ) {}

  /** Tries until connected, unless it already is trying (or was closed). */
  async run(): Promise<void> {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      await this.untilConnected();
    } finally {
      this.running = false;
    }
  }

  private async untilConnected(): Promise<void> {
    for (let failures = 0; !this.closed; failures++) {
      try {
        await this.steps.attempt();
        this.steps.connected();
        return;
      } catch (e) {
        if (this.closed) return;
        const permanent = this.steps.isPermanent(e);
        const delay = backoffDelay(this.backoff, failures);
        this.steps.failed(e, permanent ? undefined : Date.now() + delay);
        if (permanent) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, delay);
        });
        this.wake = undefined;
      }
    }
  }

  /** Tries again now: ends the wait, or starts over after a failure that had ended the loop. */
  retry(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    if (this.wake) this.wake();
    else void this.run();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }
}
