/**
 * A host's guest stats, taken only while someone watches: every interval, one
 * connectGetAllDomainStats call for all running guests, turned into rates against the sample before.
 */
import {
  GET_ALL_DOMAINS_STATS_NOWAIT,
  ListDomainsFlags,
  StatsTypes,
  paramsToRecord,
  type LibvirtClient,
} from '../libvirt/index.js';
import type { GuestInfo, GuestStats } from '../../common/contract.js';
import { readCounters, statsBetween, type Counters } from './stats-rates.js';

const STATS_WANTED =
  StatsTypes.STATE |
  StatsTypes.CPU_TOTAL |
  StatsTypes.BALLOON |
  StatsTypes.VCPU |
  StatsTypes.INTERFACE |
  StatsTypes.BLOCK;

export interface StatsSource {
  readonly uri: string;
  /** The connected client, if any. */
  client(): LibvirtClient | undefined;
  /** The model's view of a guest, for sizes a sample lacks. */
  guest(uuid: string): GuestInfo | undefined;
  /** Where the stats of one round go (only when there are any). */
  report(stats: GuestStats[]): void;
  /** A sample disagrees with the model (libvirt sends no event for a vCPU hot(un)plug): re-read it. */
  stale?(uuid: string): void;
  /** Why the last round failed, in words; undefined once a round succeeds again. Told on changes only. */
  failed?(why: string | undefined): void;
}

export class StatsSampler {
  private watchers = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly last = new Map<string, Counters>();
  private failure: string | undefined;

  constructor(
    private readonly source: StatsSource,
    private readonly intervalMs = 2000,
  ) {}

  /** Stats are taken only while at least one watcher wants them; returns the stop function. */
  watch(): () => void {
    this.watchers++;
    if (this.watchers === 1) this.start();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.watchers--;
      if (this.watchers === 0) this.stop();
    };
  }

  /** Starts sampling when someone watches (after a connect); a no-op otherwise. */
  start(): void {
    if (this.timer || this.watchers === 0) return;
    let busy = false;
    const tick = (): void => {
      // One round at a time: calls piling up on one connection make libvirtd stop reading it.
      if (busy) return;
      busy = true;
      void this.round().finally(() => (busy = false));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Nobody watches (or the link is down): no round fails now, so none is said to.
    this.setFailure(undefined);
  }

  /** Drops a guest's last sample (it is gone). */
  forget(uuid: string): void {
    this.last.delete(uuid);
  }

  /** One round; a failure is told to the source (the host shows it) rather than dropped. */
  private async round(): Promise<void> {
    try {
      await this.sample();
      this.setFailure(undefined);
    } catch (e) {
      // A lost connection is the host's own state (reconnecting); the next round after it is back clears this.
      if (!this.source.client()?.connected) return;
      const why = e instanceof Error ? e.message : String(e);
      this.setFailure(`Couldn't read the guests' statistics (${why}); the graphs stop until that works again`);
    }
  }

  private setFailure(why: string | undefined): void {
    if (why === this.failure) return;
    this.failure = why;
    this.source.failed?.(why);
  }

  private async sample(): Promise<void> {
    const c = this.source.client();
    if (!c?.connected) return;
    const r = await c.call('connectGetAllDomainStats', {
      doms: [],
      stats: STATS_WANTED,
      // Without NOWAIT a guest in a migration job holds the call (and a daemon worker) for up to 30 s.
      flags: ListDomainsFlags.ACTIVE | GET_ALL_DOMAINS_STATS_NOWAIT,
    });
    const now = Date.now();
    const out: GuestStats[] = [];
    for (const rec of r.records) {
      const uuid = rec.dom.uuid;
      const p = paramsToRecord(rec.params);
      const cur = readCounters(p, now);
      const prev = this.last.get(uuid);
      this.last.set(uuid, cur);
      if (!prev) continue;
      const known = this.source.guest(uuid);
      const vcpus = p['vcpu.current'];
      if (known && typeof vcpus === 'number' && vcpus !== known.vcpus) this.source.stale?.(uuid);
      out.push({
        host: this.source.uri,
        uuid,
        ...statsBetween(prev, cur, p, { vcpus: known?.vcpus, memoryKiB: known?.memoryKiB }),
      });
    }
    if (out.length) this.source.report(out);
  }
}
