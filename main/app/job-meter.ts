/**
 * How far a transfer job got, and how fast: bytes done, the speed over the last few seconds, and
 * a job event at most every 200 ms (a fast local transfer would otherwise flood the page).
 */
import type { JobInfo } from '../../common/storage-contract.js';

export class JobMeter {
  /** Recent (time, bytes) samples for the speed. */
  private readonly samples: [number, number][] = [[Date.now(), 0]];
  private lastEmit = 0;

  constructor(
    readonly info: JobInfo,
    private readonly emit: (job: JobInfo) => void,
  ) {}

  progress(bytes: number): void {
    const now = Date.now();
    this.info.done = bytes;
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > 3000) this.samples.shift();
    const [t0, b0] = this.samples[0]!;
    if (now > t0) this.info.rate = Math.round(((bytes - b0) * 1000) / (now - t0));
    if (now - this.lastEmit >= 200) {
      this.lastEmit = now;
      this.publish();
    }
  }

  publish(): void {
    this.emit({ ...this.info });
  }
}
