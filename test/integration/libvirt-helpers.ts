/** Small shared helpers of the libvirt wire client's integration tests. */
import type { DomainRef, LibvirtClient } from '../../main/libvirt/index.js';
import type { TestGuest, TestRig } from '../rig/guests.js';

/** Polls until the probe yields a value (not undefined/false), or fails naming what it waited for. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Settles within the bound or fails: the "never hangs" checks. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

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

  static async attach(client: LibvirtClient, opts: { persistent?: boolean } = {}): Promise<EventLog & { remove(): Promise<void> }> {
    const log = new EventLog();
    const a = await client.subscribe('lifecycle', (b) => log.events.push({ uuid: b.dom.uuid, event: b.event, detail: b.detail, at: performance.now() }), opts);
    const b = await client.subscribe('reboot', (r) => log.reboots.push({ uuid: r.dom.uuid, at: performance.now() }), opts);
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

/**
 * The rig guest's power-button watcher is a background `head -c 1 /dev/input/eventN` started just
 * before its boot banner; a button pressed before that process has the device open is lost (seen
 * under load right after a boot or a reset). This waits, through the serial console, until the
 * watcher runs.
 */
export async function waitForPowerButtonWatcher(client: LibvirtClient, dom: DomainRef, rig: TestRig, g: TestGuest): Promise<void> {
  const marker = `button-ready-${Math.random().toString(36).slice(2, 8)}`;
  const from = rig.serial(g).length;
  const con = await client.openConsole(dom, { force: true });
  con.resume();
  try {
    con.write(`while ! pidof head >/dev/null; do sleep 0.1; done; sleep 0.2; echo ${marker.slice(0, 6)}''${marker.slice(6)}\r`);
    await rig.waitForSerial(g, marker, 30_000, from);
  } finally {
    con.destroy();
  }
}
