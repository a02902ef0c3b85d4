/** Small shared helpers of the libvirt wire client's integration tests. */
import type { LibvirtClient } from '../../main/libvirt/index.js';
import { waitFor } from '../rig/wait.js';

export { waitFor };
export { within } from '../rig/wait.js';

export interface Lifecycle {
  uuid: string;
  event: number;
  detail: number;
  at: number;
}

/** Collects lifecycle events for every domain; `next` waits for a matching one not yet taken. */
export class EventLog {
  readonly events: Lifecycle[] = [];
  reboots: { uuid: string; at: number }[] = [];
  private taken = 0;

  static async attach(
    client: LibvirtClient,
    opts: { persistent?: boolean } = {},
  ): Promise<EventLog & { remove(): Promise<void> }> {
    const log = new EventLog();
    const a = await client.subscribe(
      'lifecycle',
      (b) => log.events.push({ uuid: b.dom.uuid, event: b.event, detail: b.detail, at: performance.now() }),
      opts,
    );
    const b = await client.subscribe(
      'reboot',
      (r) => log.reboots.push({ uuid: r.dom.uuid, at: performance.now() }),
      opts,
    );
    return Object.assign(log, {
      remove: async (): Promise<void> => {
        await a.remove();
        await b.remove();
      },
    });
  }

  /** Waits for the event for `uuid`; returns it. Only events after the last one taken count. */
  async next(uuid: string, event: number, detail?: number, timeoutMs = 30_000): Promise<Lifecycle> {
    const found = await waitFor(
      `lifecycle event ${event}/${detail ?? '*'} for ${uuid} (seen: ${JSON.stringify(this.events.filter((e) => e.uuid === uuid).map((e) => `${e.event}/${e.detail}`))})`,
      () => {
        for (let i = this.taken; i < this.events.length; i++) {
          const e = this.events[i]!;
          if (e.uuid === uuid && e.event === event && (detail === undefined || e.detail === detail)) {
            this.taken = i + 1;
            return e;
          }
        }
        return undefined;
      },
      timeoutMs,
      10,
    );
    return found;
  }

  /** Forgets everything seen so far. */
  skip(): void {
    this.taken = this.events.length;
  }
}
