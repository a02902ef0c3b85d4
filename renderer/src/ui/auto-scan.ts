/**
 * Auto-scan: the switcher steps to the next running guest every few seconds, like a KVM switch
 * cycling its ports, until the user touches the keyboard or the mouse.
 */
export interface AutoScanHooks {
  /** Moves on to the next guest. */
  step(): void;
  /** The dwell on each guest, in ms (read at each start, so a new setting applies to the next scan). */
  intervalMs(): number;
  /** The scan started or stopped. */
  changed(on: boolean): void;
}

export class AutoScan {
  private timer: number | undefined;

  constructor(private readonly hooks: AutoScanHooks) {}

  get on(): boolean {
    return this.timer !== undefined;
  }

  toggle(): void {
    if (this.on) this.stop();
    else this.start();
  }

  start(): void {
    if (this.on) return;
    this.timer = window.setInterval(() => this.hooks.step(), this.hooks.intervalMs());
    this.hooks.changed(true);
  }

  stop(): void {
    if (!this.on) return;
    window.clearInterval(this.timer);
    this.timer = undefined;
    this.hooks.changed(false);
  }
}
