/**
 * Guest stats from libvirt's counters: two samples of connectGetAllDomainStats' typed parameters
 * make rates (CPU share, disk and network bytes per second) and a memory figure. Pure arithmetic.
 */
import type { GuestStats } from '../../common/contract.js';

/** One guest's record from connectGetAllDomainStats, as paramsToRecord gives it. */
export type StatsParams = Readonly<Record<string, number | bigint | string | boolean>>;

/** The running totals a rate is taken between. */
export interface Counters {
  /** ms since the epoch */
  at: number;
  /** CPU time, ns */
  cpu: bigint;
  /** Bytes read from and written to all disks, received and sent on all interfaces. */
  rd: number;
  wr: number;
  rx: number;
  tx: number;
}

/** What the model knows of the guest, for a sample that lacks it. */
export interface KnownSizes {
  vcpus?: number;
  memoryKiB?: number;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0);

const TOTALS: readonly [RegExp, 'rd' | 'wr' | 'rx' | 'tx'][] = [
  [/^block\.\d+\.rd\.bytes$/, 'rd'],
  [/^block\.\d+\.wr\.bytes$/, 'wr'],
  [/^net\.\d+\.rx\.bytes$/, 'rx'],
  [/^net\.\d+\.tx\.bytes$/, 'tx'],
];

/** The totals of one sample taken at `at`: every disk and every interface added up. */
export function readCounters(p: StatsParams, at: number): Counters {
  const c: Counters = { at, cpu: typeof p['cpu.time'] === 'bigint' ? p['cpu.time'] : 0n, rd: 0, wr: 0, rx: 0, tx: 0 };
  for (const [k, v] of Object.entries(p)) {
    const total = TOTALS.find(([re]) => re.test(k));
    if (total) c[total[1]] += num(v);
  }
  return c;
}

/**
 * The stats between two samples of one guest; `p` is the later sample's record. CPU is folded to
 * 0–100 % of all the guest's vCPUs; a counter that went backwards (a device removed) gives 0.
 */
export function statsBetween(
  prev: Counters,
  cur: Counters,
  p: StatsParams,
  known: KnownSizes,
): Omit<GuestStats, 'host' | 'uuid'> {
  const dt = Math.max(1, cur.at - prev.at);
  const rate = (a: number, b: number): number => Math.max(0, ((a - b) * 1000) / dt);
  const vcpus = Math.max(1, num(p['vcpu.current']) || known.vcpus || 1);
  const memoryKiB = num(p['balloon.current']) || known.memoryKiB || 0;
  const available = num(p['balloon.available']);
  const unused = num(p['balloon.unused']);
  // The guest's own view when its balloon driver reports it, else what the host gave it.
  const used = available && unused ? available - unused : num(p['balloon.rss']) || memoryKiB;
  return {
    at: cur.at,
    cpuPercent: Math.min(100, Math.max(0, (Number(cur.cpu - prev.cpu) / (dt * 1e6 * vcpus)) * 100)),
    memoryUsedKiB: Math.min(used, memoryKiB || used),
    memoryKiB,
    diskReadBps: rate(cur.rd, prev.rd),
    diskWriteBps: rate(cur.wr, prev.wr),
    netRxBps: rate(cur.rx, prev.rx),
    netTxBps: rate(cur.tx, prev.tx),
  };
}
