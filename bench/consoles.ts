/**
 * Consoles part of `npm run bench`: our console byte path (serve shell + console endpoint) against
 * Debian's websockify as the peer, in one run, with the same client and the same workloads:
 *  - throughput: a fast local TCP source behind each relay, the same ws client reading the same
 *    sizes; MB/s (10^6 bytes), median of interleaved rounds;
 *  - added round-trip latency: a TCP echo server behind each relay, p50 of many small round
 *    trips through the relay minus p50 of the same round trips over direct TCP;
 *  - request → first frame drawn by noVNC 1.7 in Chromium, for one local test guest, through our
 *    serve shell (its real path: live XML → endpoint → relay) and through websockify pointed at
 *    the same guest's VNC port; interleaved repetitions, p50/p95. Also request → RFB session
 *    open, the part a relay shapes: the rest (~35 ms) is QEMU waiting for its display refresh
 *    timer before it sends the first update, the same for both.
 * Besides, the CPU time each relay process spent per GB and per round trip: steadier than the
 * rates on a shared 2-core machine, where other suites' guests take turns on the CPUs.
 * Each relay runs in a process of its own; the client runs here. No figure is asserted on.
 * BENCH_CONSOLE_SAMPLES=1 prints the first-frame samples on stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { buildConsoleHarness } from '../test/browser/console-harness/build.js';
import type { OpenResult } from '../test/browser/console-harness/harness.js';
import { CHROMIUM_ARGS, chromiumPath } from '../test/rig/chromium.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../test/rig/guests.js';
import type { RelayInfo, SourceInfo } from './consoles-peers.js';
import { percentile, report } from './report.js';
import { withSecret } from '../test/integration/serve-helpers.js';
import { spiceFirstFrame } from './spice.js';

const SYNTH_SOURCE = '5e1f0000-0000-4000-8000-00000000000a';
const SYNTH_ECHO = '5e1f0000-0000-4000-8000-00000000000b';

// The machine is shared and small (2 cores): short rounds, interleaved, many of them, medians,
// so that both relays see the same share of whatever else the machine is doing.
const ROUNDS = Number(process.env.BENCH_CONSOLE_ROUNDS ?? 21);
const BYTES_PER_ROUND = Number(process.env.BENCH_CONSOLE_BYTES ?? 64 << 20);
const RTT_ROUNDS = Number(process.env.BENCH_CONSOLE_RTT_ROUNDS ?? 100);
const RTT_PER_ROUND = Number(process.env.BENCH_CONSOLE_RTTS ?? 50);
const RTT_SIZE = 64;
const FRAMES = Number(process.env.BENCH_CONSOLE_FRAMES ?? 60);

const peers = fileURLToPath(new URL('./consoles-peers.ts', import.meta.url));
const children: ChildProcess[] = [];

/** Starts a child and waits for the one JSON line it prints when ready (its pid added). */
function startChild<T>(cmd: string, args: string[]): Promise<T & { pid: number }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ ...(JSON.parse(out.slice(0, nl)) as T), pid: child.pid! });
    });
    child.once('exit', (code) => reject(new Error(`${cmd} ${args[0] ?? ''} exited (${code}) before it was ready`)));
  });
}

/** CPU time (ms) used so far by a process and all its descendants (websockify forks per client). */
function cpuMs(pid: number): number {
  let ticks = 0;
  const walk = (p: number): void => {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const c of readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean))
          walk(Number(c));
      }
    } catch {
      /* gone meanwhile */
    }
  };
  walk(pid);
  return (ticks * 1000) / 100;
}

function freePort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    }),
  );
}

async function waitListening(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** websockify from Debian, relaying a port of ours to a target; serves `web` as its static files. */
async function websockify(target: number, web: string): Promise<{ port: number; pid: number }> {
  const port = await freePort();
  const child = spawn('websockify', ['--web', web, `127.0.0.1:${port}`, `127.0.0.1:${target}`], { stdio: 'ignore' });
  children.push(child);
  await waitListening(port);
  return { port, pid: child.pid! };
}

function openWs(url: string, origin: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const wire = withSecret(url);
    const ws = new WebSocket(wire.url, wire.protocols, { origin, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Reads `n` bytes of a synthetic stream through a relay; MB/s from the request to the last byte. */
function throughput(ws: WebSocket, n: number): Promise<number> {
  return new Promise((resolve) => {
    let got = 0;
    const t0 = performance.now();
    const onMessage = (d: Buffer): void => {
      got += d.length;
      if (got >= n) {
        ws.off('message', onMessage);
        resolve(n / 1e6 / ((performance.now() - t0) / 1000));
      }
    };
    ws.on('message', onMessage);
    const req = Buffer.alloc(8);
    req.writeBigUInt64BE(BigInt(n));
    ws.send(req);
  });
}

/** Round trips of RTT_SIZE bytes, one at a time; ms each. */
async function roundTrips(
  send: (b: Buffer) => void,
  onData: (cb: (n: number) => void) => void,
  count: number,
): Promise<number[]> {
  const payload = Buffer.alloc(RTT_SIZE, 0x61);
  const out: number[] = [];
  let waiting: ((n: number) => void) | undefined;
  onData((n) => waiting?.(n));
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      let got = 0;
      waiting = (n) => {
        got += n;
        if (got >= RTT_SIZE) resolve();
      };
      send(payload);
    });
    out.push(performance.now() - t0);
  }
  waiting = undefined;
  return out;
}

function wsRoundTrips(ws: WebSocket, count: number): Promise<number[]> {
  let cb: (n: number) => void = () => undefined;
  const listener = (d: Buffer): void => cb(d.length);
  ws.on('message', listener);
  return roundTrips(
    (b) => ws.send(b),
    (f) => (cb = f),
    count,
  ).finally(() => ws.off('message', listener));
}

function tcpRoundTrips(sock: Socket, count: number): Promise<number[]> {
  let cb: (n: number) => void = () => undefined;
  const listener = (d: Buffer): void => cb(d.length);
  sock.on('data', listener);
  return roundTrips(
    (b) => sock.write(b),
    (f) => (cb = f),
    count,
  ).finally(() => sock.off('data', listener));
}

const median = (xs: number[]): number => percentile(xs, 50);

/** Request → first frame drawn, and request → RFB session open (handshake done), in ms. */
async function firstFrame(page: Page, url: string): Promise<{ frame: number; session: number }> {
  const r = (await page.evaluate((u) => window.harness.open(u), url)) as OpenResult;
  if (!r.ok || r.firstFrameMs === undefined)
    throw new Error(`no first frame from ${url.replace(/token=[^&]+/, 'token=…')}: ${r.error ?? ''}`);
  await page.evaluate(() => window.harness.close());
  return { frame: r.firstFrameMs, session: r.connectMs ?? Number.NaN };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vs-bench-consoles-'));
  let rig: TestRig | undefined;
  let browser: Browser | undefined;
  try {
    rig = await TestRig.start();
    const guest: TestGuest = await rig.define({ name: 'bench-console' });
    await buildConsoleHarness(dir);
    const src = await startChild<SourceInfo>(process.execPath, ['--import', 'tsx', peers, 'source']);
    // The byte path alone (no host: see consoles-peers.ts), and the whole path on the system daemon.
    const ours = await startChild<RelayInfo>(process.execPath, [
      '--import',
      'tsx',
      peers,
      'relay',
      JSON.stringify({ staticDir: dir, synthetic: { [SYNTH_SOURCE]: src.source, [SYNTH_ECHO]: src.echo } }),
    ]);
    const oursReal = await startChild<RelayInfo>(process.execPath, [
      '--import',
      'tsx',
      peers,
      'relay',
      JSON.stringify({ staticDir: dir, uri: SYSTEM_URI, synthetic: {} }),
    ]);
    const consoleUrl = (r: RelayInfo, uuid: string): string =>
      `${r.origin.replace(/^http/, 'ws')}/console?host=${encodeURIComponent(SYSTEM_URI)}&uuid=${uuid}&kind=vnc#token=${encodeURIComponent(r.token)}`;
    const ourUrl = (uuid: string): string => consoleUrl(ours, uuid);
    const wsfySource = await websockify(src.source, dir);
    const wsfyEcho = await websockify(src.echo, dir);

    // Throughput: the same client, the same sizes, rounds interleaved. Both relays warm up first
    // (ours has a JIT to warm; websockify forks a process per client).
    const tOurs: number[] = [];
    const tPeer: number[] = [];
    const tCpu = { ours: 0, peer: 0 };
    {
      const a = await openWs(ourUrl(SYNTH_SOURCE), ours.origin);
      const b = await openWs(`ws://127.0.0.1:${wsfySource.port}/`, `http://127.0.0.1:${wsfySource.port}`);
      for (let i = 0; i < 2; i++) {
        await throughput(a, 64 << 20);
        await throughput(b, 64 << 20);
      }
      for (let i = 0; i < ROUNDS; i++) {
        // Alternate which goes first.
        for (const which of i % 2 ? (['ours', 'peer'] as const) : (['peer', 'ours'] as const)) {
          const pid = which === 'ours' ? ours.pid : wsfySource.pid;
          const c0 = cpuMs(pid);
          const mbs = await throughput(which === 'ours' ? a : b, BYTES_PER_ROUND);
          tCpu[which] += cpuMs(pid) - c0;
          (which === 'ours' ? tOurs : tPeer).push(mbs);
        }
      }
      a.close();
      b.close();
    }
    const gb = (ROUNDS * BYTES_PER_ROUND) / 1e9;
    report('console_throughput_mb_s', median(tOurs), 'MB/s');
    report('console_throughput_websockify_mb_s', median(tPeer), 'MB/s');
    report('console_throughput_ratio_vs_websockify', median(tOurs) / median(tPeer), 'x');
    report('console_relay_cpu_ms_per_gb', tCpu.ours / gb, 'ms');
    report('console_relay_cpu_websockify_ms_per_gb', tCpu.peer / gb, 'ms');

    // Added latency: small round trips through each relay and over direct TCP, interleaved.
    const lOurs: number[] = [];
    const lPeer: number[] = [];
    const lDirect: number[] = [];
    const lCpu = { ours: 0, peer: 0 };
    {
      const a = await openWs(ourUrl(SYNTH_ECHO), ours.origin);
      const b = await openWs(`ws://127.0.0.1:${wsfyEcho.port}/`, `http://127.0.0.1:${wsfyEcho.port}`);
      const direct = connect(src.echo, '127.0.0.1');
      direct.setNoDelay(true);
      await new Promise((r) => direct.once('connect', r));
      await wsRoundTrips(a, 2000);
      await wsRoundTrips(b, 2000);
      await tcpRoundTrips(direct, 2000);
      for (let i = 0; i < RTT_ROUNDS; i++) {
        for (const which of i % 2 ? (['ours', 'peer'] as const) : (['peer', 'ours'] as const)) {
          const pid = which === 'ours' ? ours.pid : wsfyEcho.pid;
          const c0 = cpuMs(pid);
          (which === 'ours' ? lOurs : lPeer).push(...(await wsRoundTrips(which === 'ours' ? a : b, RTT_PER_ROUND)));
          lCpu[which] += cpuMs(pid) - c0;
        }
        lDirect.push(...(await tcpRoundTrips(direct, RTT_PER_ROUND)));
      }
      a.close();
      b.close();
      direct.destroy();
    }
    const base = median(lDirect);
    const addedOurs = median(lOurs) - base;
    const addedPeer = median(lPeer) - base;
    report('console_added_latency_ms', addedOurs, 'ms');
    report('console_added_latency_websockify_ms', addedPeer, 'ms');
    report('console_added_latency_ratio_vs_websockify', addedOurs / addedPeer, 'x');
    report('console_rtt_direct_tcp_p50_ms', base, 'ms');
    const trips = RTT_ROUNDS * RTT_PER_ROUND;
    report('console_relay_cpu_us_per_round_trip', (1000 * lCpu.ours) / trips, 'us');
    report('console_relay_cpu_websockify_us_per_round_trip', (1000 * lCpu.peer) / trips, 'us');

    // Request → first frame drawn by noVNC, same guest both ways, interleaved.
    await rig.waitForBoot(guest);
    const xml = await rig.virsh('dumpxml', guest.uuid);
    const vncPort = Number(/<graphics type='vnc' port='(\d+)'/.exec(xml)?.[1]);
    const wsfyGuest = (await websockify(vncPort, dir)).port;
    browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
    const pageOurs = await browser.newPage();
    await pageOurs.goto(`${oursReal.origin}/`);
    const pagePeer = await browser.newPage();
    await pagePeer.goto(`http://127.0.0.1:${wsfyGuest}/index.html`);
    // noVNC's module has a top-level await: the page's load event does not wait for it.
    for (const p of [pageOurs, pagePeer])
      await p.waitForFunction(() => window.harness !== undefined, undefined, { timeout: 20_000 });
    const fOurs: number[] = [];
    const fPeer: number[] = [];
    const sOurs: number[] = [];
    const sPeer: number[] = [];
    const ours1 = async (): Promise<void> => {
      const r = await firstFrame(pageOurs, ourGuestUrl);
      fOurs.push(r.frame);
      sOurs.push(r.session);
    };
    const peer1 = async (): Promise<void> => {
      const r = await firstFrame(pagePeer, peerGuestUrl);
      fPeer.push(r.frame);
      sPeer.push(r.session);
    };
    const ourGuestUrl = consoleUrl(oursReal, guest.uuid);
    const peerGuestUrl = `ws://127.0.0.1:${wsfyGuest}/`;
    for (let i = 0; i < 3; i++) {
      await firstFrame(pageOurs, ourGuestUrl);
      await firstFrame(pagePeer, peerGuestUrl);
    }
    for (let i = 0; i < FRAMES; i++) {
      // Alternate which goes first, so that neither always follows the other.
      if (i % 2) {
        await ours1();
        await peer1();
      } else {
        await peer1();
        await ours1();
      }
    }
    if (process.env.BENCH_CONSOLE_SAMPLES) {
      const show = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(' ');
      console.error(
        `first frame, ours: ${show(fOurs)}\nwebsockify: ${show(fPeer)}\nsession open, ours: ${show(sOurs)}\nwebsockify: ${show(sPeer)}`,
      );
    }
    report('first_frame_p50_ms', percentile(fOurs, 50), 'ms');
    report('first_frame_p95_ms', percentile(fOurs, 95), 'ms');
    report('first_frame_websockify_p50_ms', percentile(fPeer, 50), 'ms');
    report('first_frame_websockify_p95_ms', percentile(fPeer, 95), 'ms');
    report('first_frame_ratio_vs_websockify', percentile(fOurs, 50) / percentile(fPeer, 50), 'x');
    // The part the relay shapes: request → RFB session open (WebSocket and RFB handshakes).
    report('console_session_open_p50_ms', percentile(sOurs, 50), 'ms');
    report('console_session_open_websockify_p50_ms', percentile(sPeer, 50), 'ms');
  } finally {
    await browser?.close();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) =>
        c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined,
      ),
    );
    children.length = 0;
    await rig?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  // Its own guests and browser, once the ones above are gone.
  await spiceFirstFrame();
}
