/**
 * Switcher part of `npm run bench`, in Chromium through the serve shell with real running guests:
 * hotkey → target guest's frame shown and owning input (warm consoles), against switching by
 * reconnecting a console as other tools do, on the same guests; renderer memory and CPU with 8
 * and 16 guests connected (and a plain noVNC page holding the same 8, and 500 guests listed); the
 * traffic of a throttled background console; thumbnail age with 16 guests; cold start.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { startSwitcherRig } from '../test/browser/switcher-harness.js';
import { SYSTEM_URI, type TestGuest } from '../test/rig/guests.js';
import { percentile, report } from './report.js';
import { spiceBackground } from './spice.js';
import { coldStart, nodeStart, type ColdStart } from './switcher-cold.js';
import { novncPeerMemoryMb, scale500, thumbnailAgeMax } from './switcher-scale.js';

/** Knobs for development runs on a busy machine: which guest counts (the first does the full set), how many cold starts, what to skip (switch, peer, cold, spice), and whether the 500-guest part runs. */
const COUNTS = (process.env.VIRTSWITCH_BENCH_SWITCHER_GUESTS ?? '8,16').split(',').map(Number);
const SCALE_500 = process.env.VIRTSWITCH_BENCH_SWITCHER_500 !== '0';
// Seven: a start varies by ±60 ms from run to run on this machine; the median of three did not hold still.
const COLD_RUNS = Number(process.env.VIRTSWITCH_BENCH_SWITCHER_COLD_RUNS ?? 7);
const SKIP = new Set((process.env.VIRTSWITCH_BENCH_SWITCHER_SKIP ?? '').split(','));
/**
 * For working on the cold start: after the cold starts, keep the guests running and run the cold
 * starts again each time this file appears (it is then removed), until `FILE.stop` appears; so a
 * rebuilt dist/ can be measured without booting the guests again. The reported figure comes from
 * a normal run.
 */
const COLD_AGAIN = process.env.VIRTSWITCH_BENCH_SWITCHER_COLD_AGAIN;

/** The time from a hotkey's keydown to the next frame in which the target is shown and focused. */
const PROBE = `
  window.__switchTimes = [];
  window.addEventListener('keydown', (ev) => {
    if (!(ev.ctrlKey && ev.altKey && /^Digit[1-9]$/.test(ev.code))) return;
    const t0 = performance.now();
    const sample = { ms: 0, workMs: 0, ok: false };
    // The switcher's own work: done when the stage names the new guest (a microtask after the handler).
    const stage = document.querySelector('[data-testid="stage"]');
    const mo = new MutationObserver(() => { sample.workMs = performance.now() - t0; mo.disconnect(); });
    mo.observe(stage, { attributes: true, attributeFilter: ['data-active-uuid'] });
    requestAnimationFrame(() => {
      mo.disconnect();
      const canvas = document.querySelector('.console.active canvas');
      sample.ok = !!canvas && canvas.width > 0 && document.activeElement === canvas;
      sample.ms = performance.now() - t0;
      window.__switchTimes.push(sample);
    });
  }, true);
`;

/** Connects a fresh noVNC console to the guest and times request → first frame drawn (the reconnect way). */
async function reconnectSwitch(page: Page, g: TestGuest): Promise<number> {
  return page.evaluate(
    async ({ host, uuid }) => {
      const w = window as unknown as {
        virtswitchDebug: {
          bridge: { openConsole(r: unknown, k: string): unknown };
          RFB: new (el: HTMLElement, ch: unknown) => EventTarget & { disconnect(): void };
        };
      };
      const el = document.createElement('div');
      el.style.cssText = 'position:fixed;left:0;top:0;width:720px;height:400px;z-index:-1;';
      document.body.append(el);
      const t0 = performance.now();
      const rfb = new w.virtswitchDebug.RFB(el, w.virtswitchDebug.bridge.openConsole({ host, uuid }, 'vnc'));
      const canvas = el.querySelector('canvas') as HTMLCanvasElement;
      const drawn = (): boolean => {
        if (canvas.width === 0) return false;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < d.length; i += 16) if (d[i]! > 40) return true;
        return false;
      };
      const ms = await new Promise<number>((resolve, reject) => {
        const deadline = t0 + 15000;
        const tick = (): void => {
          if (drawn()) resolve(performance.now() - t0);
          else if (performance.now() > deadline) reject(new Error('no frame'));
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      rfb.disconnect();
      el.remove();
      return ms;
    },
    { host: SYSTEM_URI, uuid: g.uuid },
  );
}

/** Resident memory and CPU time of this browser's renderer processes. */
function rendererProcesses(browserPid: number): number[] {
  const out: number[] = [];
  const walk = (pid: number): void => {
    let children: string[];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      return;
    }
    for (const c of children.map(Number)) {
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${c}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (cmd.includes('--type=renderer') && !cmd.includes('--extension-process')) out.push(c);
      walk(c);
    }
  };
  walk(browserPid);
  return out;
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    kb += m ? Number(m[1]) : 0;
  }
  return kb / 1024;
}

function cpuTicks(pids: number[]): number {
  let t = 0;
  for (const pid of pids) {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    t += Number(f[11]) + Number(f[12]);
  }
  return t;
}

/** The Chromium this process launched: our direct child running chromium. */
function browserPid(): number {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.split(') ')[1]!.split(' ')[1]);
      if (ppid === process.pid && /\(chrom/.test(stat)) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error('cannot find the browser process');
}

async function waitAllConnected(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    (count) => {
      const info = (
        window as unknown as { virtswitch: { debugInfo(): { consoles: { status: string }[] } } }
      ).virtswitch.debugInfo();
      return info.consoles.filter((c) => c.status === 'connected').length >= count;
    },
    n,
    { timeout: 120_000 },
  );
}

const rendererRss = (pid: number): number => rssMb(rendererProcesses(pid));

/** Renderer memory by number of warm consoles, for the per-console figure. */
const memoryByCount = new Map<number, number>();

async function measure(count: number, full: boolean): Promise<void> {
  const guests = Array.from({ length: count }, (_, i) => ({
    name: `bench-sw-${String(i + 1).padStart(2, '0')}`,
    websocket: true,
  }));
  const r = await startSwitcherRig(guests);
  try {
    await Promise.all(r.guests.map((g) => r.rig.waitForBoot(g)));
    await r.page.addInitScript(PROBE);
    await r.page.goto(r.shell.url);
    await waitAllConnected(r.page, count);
    // Let every console settle and go quiet.
    await r.page.waitForTimeout(3000);
    const pids = rendererProcesses(browserPid());
    const ticks0 = cpuTicks(pids);
    const idleStart = Date.now();
    const bytes0 = await r.page.evaluate(() =>
      (
        window as unknown as {
          virtswitch: { debugInfo(): { active?: string; consoles: { key: string; bytesIn: number }[] } };
        }
      ).virtswitch.debugInfo(),
    );
    await r.page.waitForTimeout(10_000);
    const bytes1 = await r.page.evaluate(() =>
      (
        window as unknown as {
          virtswitch: { debugInfo(): { active?: string; consoles: { key: string; bytesIn: number }[] } };
        }
      ).virtswitch.debugInfo(),
    );
    const idleSec = (Date.now() - idleStart) / 1000;
    const cpuPct = ((cpuTicks(pids) - ticks0) / 100 / idleSec) * 100;
    report(`renderer_memory_${count}_guests_mb`, rssMb(pids), 'MB');
    memoryByCount.set(count, rssMb(pids));
    report(`renderer_cpu_${count}_guests_pct`, cpuPct, '%');
    // Only the bench's own guests: other suites' guests on the shared daemon boot and print.
    const own = new Set(r.guests.map((g) => g.uuid));
    const age = await thumbnailAgeMax(r.page, 10_000, [...own]);
    report(count === 16 ? 'thumbnail_age_max_s' : `thumbnail_age_max_s_${count}_guests`, age, 's');
    if (!full) return;

    const background = bytes1.consoles.filter((c) => c.key !== bytes1.active && own.has(c.key));
    const before = new Map(bytes0.consoles.map((c) => [c.key, c.bytesIn]));
    const perConsole = background.map((c) => (c.bytesIn - (before.get(c.key) ?? 0)) / idleSec);
    report(
      'background_console_bytes_per_s',
      perConsole.reduce((a, b) => a + b, 0) / Math.max(1, perConsole.length),
      'B/s',
    );

    if (!SKIP.has('switch')) await switching(r.page, r.guests);
    // The peer and the cold start need the guests but not this browser: one browser at a time.
    await r.browser.close();
    if (!SKIP.has('peer'))
      report(
        `renderer_memory_novnc_peer_${count}_guests_mb`,
        await novncPeerMemoryMb(r.guests, rendererRss, browserPid),
        'MB',
      );
    if (!SKIP.has('cold')) await coldStarts();
    if (COLD_AGAIN) await coldStartsOnRequest(COLD_AGAIN);
  } finally {
    await r.close();
  }
}

/** Warm switches by hotkey, then the same switches done by reconnecting. */
async function switching(page: Page, guests: readonly TestGuest[]): Promise<void> {
  // Warm switching: slots 1..count (the bench's guests are the only ones named like this).
  const slots = await page.$$eval('[data-testid="guest"][data-slot]', (els) =>
    els.map((e) => [(e as HTMLElement).dataset.slot, (e as HTMLElement).dataset.uuid]),
  );
  const slotKeys = slots.filter(([, uuid]) => guests.some((g) => g.uuid === uuid)).map(([s]) => s!);
  for (let round = 0; round < 12; round++) {
    for (const s of slotKeys) {
      await page.keyboard.press(`Control+Alt+Digit${s}`);
      await page.waitForTimeout(30);
    }
  }
  const times = (
    await page.evaluate(
      () => (window as unknown as { __switchTimes: { ms: number; workMs: number; ok: boolean }[] }).__switchTimes,
    )
  ).filter((t) => t.ok);
  const warm = times.slice(slotKeys.length).map((t) => t.ms);
  const work = times.slice(slotKeys.length).map((t) => t.workMs);
  report('switch_p50_ms', percentile(warm, 50), 'ms');
  report('switch_p95_ms', percentile(warm, 95), 'ms');
  report('switch_work_p50_ms', percentile(work, 50), 'ms');
  report('switch_work_p95_ms', percentile(work, 95), 'ms');

  // The same switches, the way tools without warm consoles do it: connect, wait for a frame.
  const cold: number[] = [];
  for (let round = 0; round < 4; round++) for (const g of guests) cold.push(await reconnectSwitch(page, g));
  report('reconnect_switch_p50_ms', percentile(cold, 50), 'ms');
  report('reconnect_switch_p95_ms', percentile(cold, 95), 'ms');
  report('switch_speedup_vs_reconnect_p50', percentile(cold, 50) / Math.max(0.001, percentile(warm, 50)), 'x');
}

/** Process start → first frame, a few times, with where the time went. */
async function coldStarts(): Promise<void> {
  const starts: ColdStart[] = [];
  const nodeAlone: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const s = await coldStart();
    starts.push(s);
    nodeAlone.push(await nodeStart());
    console.log(
      `cold start ${i + 1}: ${Object.entries(s)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')}`,
    );
  }
  const median = (k: keyof ColdStart): number =>
    percentile(
      starts.map((s) => s[k]),
      50,
    );
  for (const k of ['url', 'navigation', 'bundleLoaded', 'scriptRan', 'listed', 'consoleConnected'] as const)
    report(`cold_start_${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_ms`, median(k), 'ms');
  report('cold_start_to_first_frame_ms', median('total'), 'ms');
  report('cold_start_to_first_frame_max_ms', Math.max(...starts.map((s) => s.total)), 'ms');
  // How fast this machine is right now: the part of `url` that is Node itself.
  report('cold_start_node_alone_ms', percentile(nodeAlone, 50), 'ms');
}

async function coldStartsOnRequest(file: string): Promise<void> {
  for (;;) {
    if (existsSync(`${file}.stop`)) return;
    if (existsSync(file)) {
      rmSync(file, { force: true });
      console.log(`bench: cold starts again (${new Date().toISOString()})`);
      await coldStarts();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function run(): Promise<void> {
  for (const [i, n] of COUNTS.entries()) await measure(n, i === 0);
  const m8 = memoryByCount.get(8);
  const m16 = memoryByCount.get(16);
  if (m8 !== undefined && m16 !== undefined) report('renderer_memory_per_warm_console_mb', (m16 - m8) / 8, 'MB');
  if (SCALE_500) {
    const big = await scale500(rendererRss, browserPid);
    report('renderer_memory_500_guests_mb', big.memoryMb, 'MB');
    report('ui_ready_500_guests_ms', big.readyMs, 'ms');
  }
  if (!SKIP.has('spice')) await spiceBackground();
}
