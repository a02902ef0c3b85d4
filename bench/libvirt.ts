/**
 * libvirt part of `npm run bench` (docs/architecture.md, "Benchmarks"): the wire client against
 * libvirt's own C client (python3-libvirt, in-process in a Python child), in one run on the same
 * system daemon.
 *
 * - calls per second of "list all domains + state of each", with 8 and with 100 defined guests
 *   (of ours: the daemon may list other suites' guests too, and both clients see the same), and
 *   our rate over the C client's. Our client pipelines the state calls; the C client's API is
 *   synchronous, so it makes them one after the other, as its users do. The two alternate in
 *   half-second slices and each figure is the median of its slices, so that both meet the same
 *   machine (it is shared with other suites and their guests).
 * - lifecycle event latency, from the API call returning to the event arriving, p50/p95, while a
 *   running guest is suspended and resumed repeatedly. An event that arrives before the reply
 *   counts as 0 (it was there when the call returned); since libvirt 9 mostly sends it first, the
 *   time from the call being made to the event arriving is printed too.
 *
 * Figures go to stdout as `bench NAME VALUE UNIT`; notes go to stderr. Never asserts on time.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ErrorCode, LibvirtClient, LibvirtError, LifecycleEvent, type DomainRef } from '../main/libvirt/index.js';
import { TestRig, type TestGuest } from '../test/rig/guests.js';
import { percentile, report } from './report.js';

const PYTHON = '/usr/bin/python3';
const C_CLIENT = fileURLToPath(new URL('./libvirt_c.py', import.meta.url));
const SLICES = 6;
const SLICE_SECONDS = 0.5;
const EVENT_PAIRS = 100;

function note(text: string): void {
  console.error(`libvirt bench: ${text}`);
}

function python<T>(...args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [C_CLIENT, ...args], { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${PYTHON} ${C_CLIENT} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

/** One round of the loop: list all domains, then the state of each, pipelined. */
async function listAndStates(c: LibvirtClient): Promise<number> {
  const doms = await c.listAllDomains();
  await Promise.all(
    doms.map((dom) =>
      c.getState(dom).catch((e: unknown) => {
        // Others' guests may vanish between the list and the state: that call was made all the same.
        if (!(e instanceof LibvirtError && e.code === ErrorCode.NO_DOMAIN)) throw e;
      }),
    ),
  );
  return 1 + doms.length;
}

async function oursCallsPerSecond(c: LibvirtClient, seconds: number): Promise<{ rate: number; domains: number }> {
  for (let i = 0; i < 10; i++) await listAndStates(c); // warm up
  let calls = 0;
  const t0 = performance.now();
  for (;;) {
    const n = await listAndStates(c);
    calls += n;
    const elapsed = performance.now() - t0;
    if (elapsed >= seconds * 1000) return { rate: calls / (elapsed / 1000), domains: n - 1 };
  }
}

/** The C client in a Python child that stays up, so its slices can alternate with ours. */
class CClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;

  constructor() {
    this.child = spawn(PYTHON, [C_CLIENT, 'serve']);
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
    let err = '';
    this.child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    this.child.on('exit', (code) => {
      if (code) note(`the C client exited with ${code}: ${err.trim()}`);
    });
  }

  async calls(seconds: number): Promise<{ rate: number; domains: number }> {
    this.child.stdin.write(`calls ${seconds}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error('the C client (python3-libvirt) stopped answering');
    return JSON.parse(line.value) as { rate: number; domains: number };
  }

  close(): void {
    this.child.stdin.end();
  }
}

function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/**
 * Both clients in alternating half-second slices, six each, and the median of each: the machine
 * is shared (other suites, guests), so a figure taken at another moment would not compare.
 */
async function callsRound(c: LibvirtClient, cc: CClient, guests: number): Promise<void> {
  const ours: number[] = [];
  const theirs: number[] = [];
  let domains = [0, 0];
  for (let i = 0; i < SLICES; i++) {
    const o = await oursCallsPerSecond(c, SLICE_SECONDS);
    const t = await cc.calls(SLICE_SECONDS);
    ours.push(o.rate);
    theirs.push(t.rate);
    domains = [o.domains, t.domains];
  }
  note(
    `${guests} defined guests of ours; the daemon listed ${domains[0]} domains to us and ${domains[1]} to the C client`,
  );
  note(`slices, ours: ${ours.map(Math.round).join(' ')}; C: ${theirs.map(Math.round).join(' ')}`);
  report(`libvirt_calls_per_s_${guests}`, Math.round(median(ours)), 'calls/s');
  report(`libvirt_calls_per_s_c_${guests}`, Math.round(median(theirs)), 'calls/s');
  report(`libvirt_calls_ratio_vs_c_${guests}`, Number((median(ours) / median(theirs)).toFixed(2)), 'x');
}

async function oursEventLatency(
  c: LibvirtClient,
  dom: DomainRef,
): Promise<{ latencies: number[]; sinceCall: number[] }> {
  const arrived = new Map<number, number[]>();
  let wake: (() => void) | undefined;
  const sub = await c.subscribe(
    'lifecycle',
    (b) => {
      const list = arrived.get(b.event) ?? [];
      list.push(performance.now());
      arrived.set(b.event, list);
      wake?.();
    },
    { dom },
  );
  const latencies: number[] = [];
  const sinceCall: number[] = [];
  const step = async (action: 'domainSuspend' | 'domainResume', event: number, record: boolean): Promise<void> => {
    const before = arrived.get(event)?.length ?? 0;
    const started = performance.now();
    await c.call(action, { dom });
    const returned = performance.now();
    const deadline = returned + 10_000;
    while ((arrived.get(event)?.length ?? 0) <= before) {
      if (performance.now() > deadline) throw new Error(`no lifecycle event ${event} within 10 s`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
    if (record) {
      const at = arrived.get(event)![before]!;
      latencies.push(Math.max(0, at - returned));
      sinceCall.push(at - started);
    }
  };
  try {
    for (let i = 0; i < EVENT_PAIRS + 5; i++) {
      const record = i >= 5;
      await step('domainSuspend', LifecycleEvent.SUSPENDED, record);
      await step('domainResume', LifecycleEvent.RESUMED, record);
    }
  } finally {
    await sub.remove();
  }
  return { latencies, sinceCall };
}

async function eventRound(c: LibvirtClient, g: TestGuest): Promise<void> {
  const dom = await c.lookupByUuid(g.uuid);
  const ours = await oursEventLatency(c, dom);
  const theirs = await python<{ latencies_ms: number[]; since_call_ms: number[] }>(
    'events',
    g.uuid,
    String(EVENT_PAIRS),
  );
  const before = (xs: number[]): number => xs.filter((x) => x === 0).length;
  note(
    `event latency over ${ours.latencies.length} (ours) and ${theirs.latencies_ms.length} (C) suspend/resume events`,
  );
  note(`events that came before the call returned: ours ${before(ours.latencies)}, C ${before(theirs.latencies_ms)}`);
  report('libvirt_event_p50_ms', percentile(ours.latencies, 50), 'ms');
  report('libvirt_event_p95_ms', percentile(ours.latencies, 95), 'ms');
  report('libvirt_event_c_p50_ms', percentile(theirs.latencies_ms, 50), 'ms');
  report('libvirt_event_c_p95_ms', percentile(theirs.latencies_ms, 95), 'ms');
  // libvirt 9 often sends the event before the reply, so the figures above are mostly 0: these
  // say how long after the call was made the event was in hand.
  report('libvirt_event_since_call_p50_ms', percentile(ours.sinceCall, 50), 'ms');
  report('libvirt_event_since_call_p95_ms', percentile(ours.sinceCall, 95), 'ms');
  report('libvirt_event_c_since_call_p50_ms', percentile(theirs.since_call_ms, 50), 'ms');
  report('libvirt_event_c_since_call_p95_ms', percentile(theirs.since_call_ms, 95), 'ms');
}

async function defineMany(rig: TestRig, from: number, to: number): Promise<void> {
  const names = Array.from({ length: to - from }, (_, i) => `bench-${String(from + i).padStart(3, '0')}`);
  for (let i = 0; i < names.length; i += 8) {
    await Promise.all(names.slice(i, i + 8).map((name) => rig.define({ name, start: false, graphics: 'none' })));
  }
}

export async function run(): Promise<void> {
  const rig = await TestRig.start();
  const c = await LibvirtClient.connect('qemu:///system');
  const cc = new CClient();
  try {
    await defineMany(rig, 0, 8);
    await callsRound(c, cc, 8);
    await defineMany(rig, 8, 100);
    await callsRound(c, cc, 100);
    cc.close();
    // Events: one running guest of its own (it need not finish booting to be paused and resumed).
    const g = await rig.define({ name: 'bench-events', graphics: 'none' });
    await eventRound(c, g);
  } finally {
    cc.close();
    await c.close();
    await rig.cleanup();
  }
}
