/**
 * `npm run soak` (not part of `npm test`): reliability under load and faults, on this machine only.
 * Eight guests on a private libvirt host (its own libvirtd, which this may SIGKILL: the daemon
 * other suites share is never touched), the app served to Chromium, and, interleaved: hotkey
 * switches with a marker typed after each, guest reboots (resets, and power-off-and-start), SIGKILLs
 * of that libvirtd with restarts, page reloads, and consoles opened and closed beside the page's own.
 *
 * At the end, with the page back in the state it started in: no key held down in any guest (the
 * RFB key ledger), every marker in exactly one guest (the one it was typed into), as many file
 * descriptors, sockets, ssh processes and QEMU-side VNC clients as before, renderer memory within
 * 10 % of where it started, and the app's model equal to what virsh reports. Figures are printed as
 * `bench soak_* …` lines; a failed check is said on stderr and makes the exit status non-zero.
 *
 * SOAK_SCALE (default 1) scales every count but the guests' (SOAK_GUESTS, default 8), for
 * development runs; SOAK_LIMIT_S (default 600) is the bound on the whole run.
 */
import type { Page } from 'playwright-core';
import { waitActive } from '../test/browser/switcher-harness.js';
import { waitFor } from '../test/rig/wait.js';
import { percentile, report } from './report.js';
import { startSoakRig, type SoakRig } from './soak-rig.js';
import { misplacedMarkers, soakGuests, type SoakGuest } from './soak-guests.js';
import { countLeaks, modelMismatches, rendererMemoryMb, type Leaks } from './soak-probes.js';

const SCALE = Number(process.env.SOAK_SCALE ?? 1);
const scaled = (full: number): number => Math.max(1, Math.round(full * SCALE));
const PLAN = {
  guests: Number(process.env.SOAK_GUESTS ?? 8),
  switches: scaled(2000),
  reboots: scaled(50),
  kills: scaled(10),
  reloads: scaled(20),
  consoleOpens: scaled(200),
};
const LIMIT_MS = Number(process.env.SOAK_LIMIT_S ?? 600) * 1000;
/** Consoles opened and closed per batch. */
const OPEN_BATCH = 10;

type Debug = { virtswitch: { debugInfo(): { consoles: { status: string }[] } } };

async function waitConsolesConnected(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    (count) =>
      (window as unknown as Debug).virtswitch.debugInfo().consoles.filter((c) => c.status === 'connected').length >=
      count,
    n,
    { timeout: 120_000 },
  );
}

/** Switch indices at which each of `k` events happens, spread evenly over the run. */
function spread(k: number, total: number): Set<number> {
  return new Set(Array.from({ length: k }, (_, i) => Math.floor(((i + 0.5) * total) / k)));
}

/** The i-th marker: short (fewer keys to type), unique, none a part of another. */
const marker = (i: number): string => `q${i.toString(36).padStart(3, '0')}`;

/** A small fixed-seed generator: the same run every time. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

interface Tally {
  switchMs: number[];
  reboots: number;
  kills: number;
  reloads: number;
  opens: number;
  daemonDownMs: number[];
  /** From a reboot's request to its guest starting again (its boot is waited for apart). */
  rebootMs: number[];
  /** Where the run's time went, in ms: switching, typing, reloads, console opens, the final drain. */
  spent: Record<'switch' | 'type' | 'reload' | 'open' | 'drain', number>;
}

class Soak {
  private active: SoakGuest;
  private faults: Promise<void> = Promise.resolve();
  private readonly rebooting: Promise<void>[] = [];
  readonly tally: Tally = {
    switchMs: [],
    reboots: 0,
    kills: 0,
    reloads: 0,
    opens: 0,
    daemonDownMs: [],
    rebootMs: [],
    spent: { switch: 0, type: 0, reload: 0, open: 0, drain: 0 },
  };

  /** Runs one step, adding its time to what `kind` took. */
  async timed<T>(kind: keyof Tally['spent'], f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.tally.spent[kind] += performance.now() - t0;
    }
  }
  private readonly session;

  constructor(
    private readonly r: SoakRig,
    private readonly guests: SoakGuest[],
  ) {
    this.active = guests[0]!;
    this.session = r.app.session();
  }

  get current(): SoakGuest {
    return this.active;
  }

  get page(): Page {
    return this.r.page;
  }

  private hostStatus(): string | undefined {
    return this.r.app.state().hosts.find((h) => h.uri === this.r.uri)?.status;
  }

  async switchTo(s: SoakGuest): Promise<void> {
    const t0 = performance.now();
    await this.page.keyboard.press(`Control+Alt+Digit${s.slot}`);
    await waitActive(this.page, s.g);
    this.tally.switchMs.push(performance.now() - t0);
    this.active = s;
  }

  async select(s: SoakGuest): Promise<void> {
    if (this.active !== s) await this.switchTo(s);
  }

  /**
   * Resets a guest, or powers it off and starts it again (a new QEMU, a new display), through the
   * app, in the background: nothing is typed into it meanwhile, the other guests go on.
   */
  reboot(s: SoakGuest, hard: boolean): void {
    s.hold();
    const run = async (): Promise<void> => {
      const t0 = Date.now();
      await this.faults; // the daemon must be up to do it
      await s.settle();
      s.restarting();
      const ref = { host: this.r.uri, uuid: s.g.uuid };
      if (hard) {
        await this.session.invoke('guest.poweroff', ref);
        await waitFor(
          `${s.g.name} off`,
          () => this.r.app.hosts.get(this.r.uri).guest(s.g.uuid)?.state === 'shutoff',
          60_000,
        );
        await this.session.invoke('guest.start', ref);
      } else await this.session.invoke('guest.reset', ref);
      this.tally.rebootMs.push(Date.now() - t0);
      this.tally.reboots++;
    };
    const p = run();
    p.catch(() => undefined); // said when drained
    this.rebooting.push(p);
  }

  /** SIGKILLs the private libvirtd and starts it again, in the background: switching and typing go on meanwhile. */
  killDaemon(): void {
    const run = async (): Promise<void> => {
      const t0 = Date.now();
      await this.r.host.killDaemon();
      await waitFor('the app to notice the daemon gone', () => this.hostStatus() !== 'connected', 60_000, 20);
      await this.r.host.restartDaemon();
      await waitFor('the app reconnected', () => this.hostStatus() === 'connected', 60_000, 20);
      this.tally.daemonDownMs.push(Date.now() - t0);
      this.tally.kills++;
    };
    this.faults = this.faults.then(run);
  }

  /** Reloads the page once every marker typed so far has landed, and waits for every console again. */
  async reload(): Promise<void> {
    await Promise.all(this.guests.map((s) => s.settle()));
    await this.page.reload();
    await waitConsolesConnected(this.page, this.guests.length);
    // The page may come back with another guest in front: bring ours back by its hotkey.
    const shown = await this.page.waitForFunction(
      () => (document.querySelector('[data-testid="stage"]') as HTMLElement | null)?.dataset.activeUuid,
      undefined,
      { timeout: 60_000 },
    );
    if ((await shown.jsonValue()) === this.active.g.uuid) await waitActive(this.page, this.active.g);
    else await this.switchTo(this.active);
    this.tally.reloads++;
  }

  /** Opens consoles beside the page's own (a fresh noVNC each), waits for each to connect, closes it. */
  async openAndClose(n: number, from: number): Promise<void> {
    const refs = Array.from({ length: n }, (_, i) => ({
      host: this.r.uri,
      uuid: this.guests[(from + i) % this.guests.length]!.g.uuid,
    }));
    await this.page.evaluate(async (list) => {
      const w = window as unknown as {
        virtswitchDebug: {
          bridge: { openConsole(r: unknown, k: string): unknown };
          RFB: new (el: HTMLElement, ch: unknown) => EventTarget & { disconnect(): void; viewOnly: boolean };
        };
      };
      for (const ref of list) {
        const el = document.createElement('div');
        el.style.cssText = 'position:fixed;left:0;top:0;width:320px;height:200px;z-index:-1;';
        document.body.append(el);
        const rfb = new w.virtswitchDebug.RFB(el, w.virtswitchDebug.bridge.openConsole(ref, 'vnc'));
        rfb.viewOnly = true;
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('a console did not connect in 30 s')), 30_000);
          rfb.addEventListener('connect', () => (clearTimeout(t), resolve()), { once: true });
          rfb.addEventListener(
            'disconnect',
            () => (clearTimeout(t), reject(new Error('a console closed before connecting'))),
            { once: true },
          );
        });
        const closed = new Promise((r) => rfb.addEventListener('disconnect', r, { once: true }));
        rfb.disconnect();
        await closed;
        el.remove();
      }
    }, refs);
    this.tally.opens += n;
    // The page's own console keeps the keyboard.
    await waitActive(this.page, this.active.g);
  }

  async drain(): Promise<void> {
    await this.faults;
    await Promise.all(this.rebooting);
    await Promise.all(this.guests.map((s) => s.booted()));
    await Promise.all(this.guests.map((s) => s.settle()));
  }
}

interface Snapshot {
  leaks: Leaks;
  memoryMb: number;
}

/** The same state at start and end: the first guest active, every console connected, a quiet moment. */
async function snapshot(soak: Soak, r: SoakRig, guests: SoakGuest[]): Promise<Snapshot> {
  await soak.select(guests[0]!);
  await waitConsolesConnected(r.page, guests.length);
  await r.page.waitForTimeout(3000);
  return { leaks: await countLeaks(r.host, r.guests), memoryMb: rendererMemoryMb() };
}

async function drive(soak: Soak, guests: SoakGuest[], deadline: number): Promise<void> {
  const at = {
    reboot: spread(PLAN.reboots, PLAN.switches),
    kill: spread(PLAN.kills, PLAN.switches),
    reload: spread(PLAN.reloads, PLAN.switches),
    open: spread(Math.ceil(PLAN.consoleOpens / OPEN_BATCH), PLAN.switches),
  };
  const rand = lcg(15);
  let rebooted = 0;
  let opened = 0;
  for (let i = 0; i < PLAN.switches; i++) {
    if (Date.now() > deadline) {
      // Past the bound: stop here, but still check and print everything done so far.
      console.error(`soak: past the ${LIMIT_MS / 1000} s bound after ${i} switches; checking what was done`);
      break;
    }
    if (i % 100 === 0)
      console.error(
        `soak: ${i} switches, ${JSON.stringify(soak.tally.spent, (_, v: unknown) => (typeof v === 'number' ? Math.round(v / 1000) : v))} s`,
      );
    const others = guests.filter((s) => s !== soak.current);
    const target = others[Math.floor(rand() * others.length)]!;
    await soak.timed('switch', () => soak.switchTo(target));
    if (target.ready) await soak.timed('type', () => target.type(soak.page, marker(i)));
    if (at.kill.has(i)) soak.killDaemon();
    if (at.reboot.has(i)) {
      const candidates = (): SoakGuest[] => guests.filter((s) => s !== target && s.ready);
      // Every other guest restarting still: let them come up first.
      if (candidates().length === 0) await soak.timed('drain', () => soak.drain());
      const list = candidates();
      const victim = list[rebooted % list.length]!;
      soak.reboot(victim, rebooted % 2 === 1);
      rebooted++;
    }
    if (at.reload.has(i)) await soak.timed('reload', () => soak.reload());
    if (at.open.has(i)) {
      const n = Math.min(OPEN_BATCH, PLAN.consoleOpens - opened);
      await soak.timed('open', () => soak.openAndClose(n, opened));
      opened += n;
    }
  }
  await soak.timed('drain', () => soak.drain());
}

/** Every check, each a line on stderr when it fails; returns how many failed. */
function check(name: string, ok: boolean, detail: string): number {
  if (!ok) console.error(`soak: FAILED ${name}: ${detail}`);
  return ok ? 0 : 1;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const deadline = t0 + LIMIT_MS;
  console.error(`soak: plan ${JSON.stringify(PLAN)}, bound ${LIMIT_MS / 1000} s`);
  const r = await startSoakRig(PLAN.guests);
  let failed = 0;
  try {
    await r.page.goto(r.shell.url);
    await waitConsolesConnected(r.page, PLAN.guests);
    const guests = await soakGuests(r.page, r.rig, r.guests);
    const soak = new Soak(r, guests);
    await soak.switchTo(guests[0]!);
    const before = await snapshot(soak, r, guests);
    report('soak_setup_s', (Date.now() - t0) / 1000, 's');
    const t1 = Date.now();
    await drive(soak, guests, deadline);
    report('soak_run_s', (Date.now() - t1) / 1000, 's');
    const after = await snapshot(soak, r, guests);
    failed += figures(soak, r, guests, before, after);
    const mismatches = await modelMismatches(r.app, r.uri, r.host);
    report('soak_model_mismatches', mismatches.length, 'count');
    failed += check('model equal to virsh', mismatches.length === 0, mismatches.join('; '));
  } finally {
    await r.close();
  }
  report('soak_duration_s', (Date.now() - t0) / 1000, 's');
  failed += check('time bound', Date.now() - t0 <= LIMIT_MS, `took ${(Date.now() - t0) / 1000} s`);
  return failed;
}

function figures(soak: Soak, r: SoakRig, guests: SoakGuest[], before: Snapshot, after: Snapshot): number {
  const t = soak.tally;
  let failed = 0;
  report('soak_guests', guests.length, 'count');
  report('soak_switches', t.switchMs.length, 'count');
  report('soak_switch_p50_ms', percentile(t.switchMs, 50), 'ms');
  report('soak_switch_p95_ms', percentile(t.switchMs, 95), 'ms');
  report('soak_reboots', t.reboots, 'count');
  report('soak_reboot_max_ms', t.rebootMs.length ? Math.max(...t.rebootMs) : 0, 'ms');
  report('soak_daemon_kills', t.kills, 'count');
  report('soak_daemon_down_to_reconnected_max_ms', t.daemonDownMs.length ? Math.max(...t.daemonDownMs) : 0, 'ms');
  report('soak_page_reloads', t.reloads, 'count');
  for (const [k, ms] of Object.entries(t.spent)) report(`soak_time_${k}_s`, ms / 1000, 's');
  report('soak_console_opens', t.opens, 'count');
  const markers = guests.reduce((n, s) => n + s.markers.length, 0);
  const { lost, strays } = misplacedMarkers(r.rig, guests);
  report('soak_markers_typed', markers, 'count');
  report('soak_markers_not_exactly_once', lost.length, 'count');
  report('soak_markers_in_another_guest', strays.length, 'count');
  failed += check('markers', lost.length + strays.length === 0, [...lost, ...strays].slice(0, 10).join('; '));
  const stuck = guests.flatMap((s) => r.keys.held(s.g.uuid).map((k) => `${s.g.name}:${k}`));
  report('soak_stuck_keys', stuck.length, 'count');
  report('soak_key_events', r.keys.events, 'count');
  failed += check('stuck keys', stuck.length === 0, stuck.join(', '));
  for (const k of ['fds', 'sockets', 'ssh', 'qemuVncClients'] as const) {
    const name = k === 'qemuVncClients' ? 'qemu_vnc_clients' : k;
    report(`soak_${name}_before`, before.leaks[k], 'count');
    report(`soak_${name}_after`, after.leaks[k], 'count');
    failed += check(
      `${name} left over`,
      after.leaks[k] <= before.leaks[k],
      `${before.leaks[k]} before, ${after.leaks[k]} after`,
    );
  }
  const change = ((after.memoryMb - before.memoryMb) / before.memoryMb) * 100;
  report('soak_renderer_memory_start_mb', before.memoryMb, 'MB');
  report('soak_renderer_memory_end_mb', after.memoryMb, 'MB');
  report('soak_renderer_memory_change_pct', change, '%');
  failed += check('renderer memory', change <= 10, `${change.toFixed(1)} % above where it started`);
  return failed;
}

main().then(
  (failed) => {
    if (failed) console.error(`soak: ${failed} check(s) failed`);
    process.exit(failed ? 1 : 0);
  },
  (e: unknown) => {
    console.error(`soak: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
