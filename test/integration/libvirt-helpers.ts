/** Small shared helpers of the libvirt wire client's integration tests. */
import { LibvirtClient, type DomainRef } from '../../main/libvirt/index.js';
import { SYSTEM_URI, type GuestOptions, type TestGuest, type TestRig } from '../rig/guests.js';
import { useRig } from '../rig/suite.js';
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

/** What a wire-client file works with: the rig, a client of the system daemon, its guest and handle. */
export interface GuestClient {
  rig: TestRig;
  c: LibvirtClient;
  g: TestGuest;
  dom: DomainRef;
  /** Lifecycle and reboot events since before the guest was defined (with `events: true`). */
  log: EventLog;
}

/**
 * The wire-client files' set-up, on top of `useRig`: a client of the system daemon (an event log
 * first, when asked), one guest defined (and booted, when asked) and looked up; the client is
 * closed before the rig removes the guest. `ready` receives them once the set-up is done.
 */
export function useGuestClient(
  guest: GuestOptions,
  opts: { boot?: boolean; events?: boolean },
  ready: (s: GuestClient) => void,
): void {
  useRig(async (rig, defer) => {
    const c = await LibvirtClient.connect(SYSTEM_URI);
    defer(() => c.close());
    const log = opts.events ? await EventLog.attach(c) : new EventLog();
    const g = await rig.define(guest);
    const dom = await c.lookupByUuid(g.uuid);
    if (opts.boot) await rig.waitForBoot(g);
    ready({ rig, c, g, dom, log });
  });
}

/** virsh's "Key: value" listings (dominfo, nodeinfo) as a record. */
export function fields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]!.trim()] = m[2]!.trim();
  }
  return out;
}
