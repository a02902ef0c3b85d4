/**
 * libvirt part (design §7): the wire client against libvirt's own C client (python3-libvirt,
 * in-process in a Python child), in one run on the same system daemon.
 *
 * - calls per second of "list all domains + state of each", with 8 and with 100 defined guests,
 *   and our rate over the C client's (our client pipelines the state calls; the C client's API is
 *   synchronous, so it makes them one after the other, as its users do);
 * - lifecycle event latency, from the API call returning to the event arriving, p50/p95, while a
 *   running guest is suspended and resumed repeatedly (an event that arrives before the reply
 *   counts as 0: it was there when the call returned).
 *
 * Figures go to stdout as `bench NAME VALUE UNIT`; notes go to stderr. Never asserts on time.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ErrorCode, LibvirtClient, LibvirtError, LifecycleEvent, type DomainRef } from '../main/libvirt/index.js';
import { TestRig, type TestGuest } from '../test/rig/guests.js';

const PYTHON = '/usr/bin/python3';
const C_CLIENT = fileURLToPath(new URL('./libvirt_c.py', import.meta.url));
const SECONDS = 3;
const EVENT_PAIRS = 100;

function emit(name: string, value: number, unit: string): void {
  const v = Number.isInteger(value) ? String(value) : value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(3);
  console.log(`bench ${name} ${v} ${unit}`);
}

function note(text: string): void {
  console.error(`libvirt bench: ${text}`);
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
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

async function oursCallsPerSecond(c: LibvirtClient): Promise<{ rate: number; domains: number }> {
  for (let i = 0; i < 20; i++) await listAndStates(c); // warm up
  let calls = 0;
  const t0 = performance.now();
  for (;;) {
    const n = await listAndStates(c);
    calls += n;
    const elapsed = performance.now() - t0;
    if (elapsed >= SECONDS * 1000) return { rate: calls / (elapsed / 1000), domains: n - 1 };
  }
}

async function callsRound(c: LibvirtClient, guests: number): Promise<void> {
  const ours = await oursCallsPerSecond(c);
  const theirs = await python<{ rate: number; domains: number }>('calls', String(SECONDS));
  note(`${guests} defined guests of ours; the daemon listed ${ours.domains} domains to us and ${theirs.domains} to the C client`);
  emit(`libvirt_calls_per_s_${guests}`, Math.round(ours.rate), 'calls/s');
  emit(`libvirt_calls_per_s_c_${guests}`, Math.round(theirs.rate), 'calls/s');
  emit(`libvirt_calls_ratio_vs_c_${guests}`, Number((ours.rate / theirs.rate).toFixed(2)), 'x');
}

async function oursEventLatency(c: LibvirtClient, dom: DomainRef): Promise<number[]> {
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
  const step = async (action: 'domainSuspend' | 'domainResume', event: number, record: boolean): Promise<void> => {
    const before = arrived.get(event)?.length ?? 0;
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
    if (record) latencies.push(Math.max(0, arrived.get(event)![before]! - returned));
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
  return latencies;
}

async function eventRound(c: LibvirtClient, g: TestGuest): Promise<void> {
  const dom = await c.lookupByUuid(g.uuid);
  const ours = await oursEventLatency(c, dom);
  const theirs = (await python<{ latencies_ms: number[] }>('events', g.uuid, String(EVENT_PAIRS))).latencies_ms;
  note(`event latency over ${ours.length} (ours) and ${theirs.length} (C) suspend/resume events`);
  emit('libvirt_event_p50_ms', percentile(ours, 50), 'ms');
  emit('libvirt_event_p95_ms', percentile(ours, 95), 'ms');
  emit('libvirt_event_c_p50_ms', percentile(theirs, 50), 'ms');
  emit('libvirt_event_c_p95_ms', percentile(theirs, 95), 'ms');
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
  try {
    await defineMany(rig, 0, 8);
    await callsRound(c, 8);
    await defineMany(rig, 8, 100);
    await callsRound(c, 100);
    // Events: one running guest of its own (it need not finish booting to be paused and resumed).
    const g = await rig.define({ name: 'bench-events', graphics: 'none' });
    await eventRound(c, g);
  } finally {
    await c.close();
    await rig.cleanup();
  }
}
