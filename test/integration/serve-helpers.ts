/**
 * Shared helpers of the console and serve-shell integration tests: an App on the system daemon
 * with the serve shell in-process, WebSocket clients of its console and API channels, raw
 * handshakes that show a refusal's status line, and counters of this process's file descriptors.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { App } from '../../main/app/api.js';
import type { AppEvent, ConsoleKind, ConsoleState } from '../../common/contract.js';
import { withSecret } from './serve-urls.js';
import { startServeShell, type ServeShell } from '../../main/serve/server.js';
import { SYSTEM_URI, type TestGuest } from '../rig/guests.js';
import { waitFor, within } from './libvirt-helpers.js';

export { waitFor, within };
export const HOST = SYSTEM_URI;
export { apiUrl, consoleUrl, freePort, withSecret } from './serve-urls.js';

export interface Served {
  app: App;
  shell: ServeShell;
  /** Every line the shell logged. */
  logs: string[];
  /** Every API event the app emitted since start. */
  events: AppEvent[];
  staticDir: string;
  configDir: string;
  close(): Promise<void>;
}

/** A tiny static folder, so the shell has something to serve. */
export function makeStaticDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vs-static-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>virtswitch test</title><p>hello</p>\n');
  writeFileSync(join(dir, 'app.js'), 'console.log("app");\n');
  return dir;
}

/** An App on the system daemon, connected, with the serve shell listening on a free loopback port. */
/** A self-signed certificate (by the openssl CLI) for localhost and `ips`, in `dir`. */
export function makeCert(dir: string, ips: string[]): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const san = ['DNS:localhost', ...ips.map((ip) => `IP:${ip}`)].join(',');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=virtswitch-test',
      '-addext',
      `subjectAltName=${san}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

export async function serve(
  opts: {
    staticDir?: string;
    tls?: { cert: string; key: string };
    host?: string;
    port?: number;
    publicOrigin?: string;
  } = {},
): Promise<Served> {
  const configDir = mkdtempSync(join(tmpdir(), 'vs-config-'));
  const staticDir = opts.staticDir ?? makeStaticDir();
  const app = new App({ configDir, uris: [HOST], host: { backoffInitialMs: 200, backoffMaxMs: 1000 } });
  const events: AppEvent[] = [];
  app.on('event', (e) => events.push(e));
  app.start();
  await waitFor('the host to connect', () => app.hosts.get(HOST).info().status === 'connected', 30_000);
  const logs: string[] = [];
  const shell = await startServeShell({
    app,
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    ...(opts.publicOrigin ? { publicOrigin: opts.publicOrigin } : {}),
    staticDir,
    ...(opts.tls ? { tls: opts.tls } : {}),
    log: (l) => logs.push(l),
  });
  return {
    app,
    shell,
    logs,
    events,
    staticDir,
    configDir,
    close: async () => {
      await shell.close();
      await app.close();
      rmSync(configDir, { recursive: true, force: true });
      if (!opts.staticDir) rmSync(staticDir, { recursive: true, force: true });
    },
  };
}

/** Waits until the app's model shows the guest in the state. */
export async function waitModel(s: Served, g: TestGuest, state: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${g.name} to be ${state} in the model`,
    () => s.app.hosts.get(HOST).guest(g.uuid)?.state === state,
    timeoutMs,
  );
}

/**
 * Reads a WebSocket's binary messages as one byte stream: `read(n)` resolves with exactly n bytes
 * once they have arrived; `until(pattern)` with everything up to and including the match.
 */
export class WsReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;
  received = 0;
  /** Count what arrives, but keep none of it (for bulk transfers). */
  discard = false;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.received += data.length;
      if (!this.discard) {
        this.chunks.push(data);
        this.length += data.length;
      }
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  /** Everything kept so far, as one buffer (joined once, then kept joined). */
  private get buf(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0]!;
  }

  private take(n: number): Buffer {
    const all = this.buf;
    const out = all.subarray(0, n);
    this.chunks = [all.subarray(n)];
    this.length -= n;
    return out;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private next(what: string, timeoutMs: number): Promise<void> {
    return within(new Promise<void>((r) => this.waiters.push(r)), timeoutMs, what);
  }

  async read(n: number, timeoutMs = 10_000): Promise<Buffer> {
    while (this.length < n) {
      if (this.closed)
        throw new Error(`closed (${this.closed.code} ${this.closed.reason}) after ${this.length} of ${n} bytes`);
      await this.next(`${n} bytes`, timeoutMs);
    }
    return this.take(n);
  }

  /** Everything received so far (without taking it). */
  text(): string {
    return this.buf.toString('latin1');
  }

  async until(pattern: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = this.text();
      const m =
        typeof pattern === 'string'
          ? t.includes(pattern)
            ? { index: t.indexOf(pattern), 0: pattern }
            : null
          : pattern.exec(t);
      if (m) {
        const end = m.index + m[0].length;
        this.take(end);
        return t.slice(0, end);
      }
      if (this.closed)
        throw new Error(
          `closed (${this.closed.code} ${this.closed.reason}) before ${String(pattern)}; got ${JSON.stringify(t.slice(-200))}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `${String(pattern)} did not arrive within ${timeoutMs} ms; got ${JSON.stringify(t.slice(-300))}`,
        );
      await this.next(String(pattern), left).catch(() => undefined);
    }
  }

  waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    return waitFor('the WebSocket to close', () => this.closed, timeoutMs, 10);
  }
}

/** Opens a WebSocket and waits for it to be open; rejects with the refusal's HTTP status. */
export function openWs(url: string, opts: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket; reader: WsReader }> {
  return new Promise((resolve, reject) => {
    const wire = withSecret(url);
    const ws = new WebSocket(wire.url, wire.protocols, { perMessageDeflate: false, ...opts });
    const reader = new WsReader(ws);
    ws.once('open', () => resolve({ ws, reader }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body.trim()}`), { status: res.statusCode, body })),
      );
      ws.on('error', () => undefined);
    });
    ws.once('error', reject);
  });
}

export interface RawUpgrade {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  upgraded: boolean;
}

/** A WebSocket upgrade by hand, so a refusal's status line and body can be seen (and a 101 too). */
export function rawUpgrade(url: string, headers: Record<string, string> = {}, ca?: Buffer): Promise<RawUpgrade> {
  const wire = withSecret(url);
  const u = new URL(wire.url.replace(/^ws/, 'http'));
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'),
      ...(wire.protocols.length ? { 'Sec-WebSocket-Protocol': wire.protocols.join(', ') } : {}),
      ...headers,
    },
    ...(ca ? { ca } : {}),
  });
  return within(
    new Promise<RawUpgrade>((resolve, reject) => {
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', upgraded: true });
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, upgraded: false }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    }),
    10_000,
    `the upgrade to ${u.pathname}`,
  );
}

/** The RFB 3.8 opening: the server's version, ours, and the security types it offers. */
export async function rfbHandshake(r: WsReader): Promise<{ version: string; securityTypes: number[] }> {
  const version = (await r.read(12)).toString('latin1');
  r.ws.send(Buffer.from('RFB 003.008\n'));
  const n = (await r.read(1))[0]!;
  if (n === 0) {
    const len = (await r.read(4)).readUInt32BE(0);
    throw new Error(`the server refused: ${(await r.read(len)).toString()}`);
  }
  const types = [...(await r.read(n))];
  return { version, securityTypes: types };
}

/** Completes RFB 3.8 with security None up to ServerInit: the framebuffer's size and name. */
export async function rfbInit(r: WsReader): Promise<{ width: number; height: number; name: string }> {
  const { securityTypes } = await rfbHandshake(r);
  if (!securityTypes.includes(1)) throw new Error(`no security type None among ${securityTypes.join(',')}`);
  r.ws.send(Buffer.from([1]));
  const result = (await r.read(4)).readUInt32BE(0);
  if (result !== 0) throw new Error(`security result ${result}`);
  r.ws.send(Buffer.from([1])); // ClientInit: shared
  const init = await r.read(24);
  const nameLen = init.readUInt32BE(20);
  const name = (await r.read(nameLen)).toString('utf8');
  return { width: init.readUInt16BE(0), height: init.readUInt16BE(2), name };
}

/** Closes a WebSocket and waits until it is closed. */
export async function closeWs(ws: WebSocket): Promise<void> {
  if (ws.readyState === ws.CLOSED) return;
  await within(
    new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
    }),
    10_000,
    'closing a WebSocket',
  ).catch(() => ws.terminate());
}

/** This process's open file descriptors, by what they point at. */
export function fdTargets(pid: number | 'self' = 'self'): string[] {
  const dir = `/proc/${pid}/fd`;
  const out: string[] = [];
  for (const fd of readdirSync(dir)) {
    try {
      out.push(readlinkSync(join(dir, fd)));
    } catch {
      /* closed while we looked */
    }
  }
  return out.sort();
}

/** TCP connections (v4) in /proc/net/tcp with this local or remote port, ESTABLISHED or not. */
export function tcpConnections(port: number): { local: number; remote: number; state: string }[] {
  const rows: { local: number; remote: number; state: string }[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const local = parseInt(cols[1]!.split(':')[1]!, 16);
      const remote = parseInt(cols[2]!.split(':')[1]!, 16);
      const state = cols[3]!;
      // 0A is LISTEN
      if (state !== '0A' && (local === port || remote === port)) rows.push({ local, remote, state });
    }
  }
  return rows;
}

/** The console events the app emitted for a guest, in order. */
export function consoleEvents(s: Served, g: { uuid: string }, kind: ConsoleKind = 'vnc'): ConsoleState[] {
  return s.events.flatMap((e) =>
    e.type === 'console' && e.console.uuid === g.uuid && e.console.kind === kind ? [e.console] : [],
  );
}

/** The pid of the system libvirtd. */
export function libvirtdPid(): number | undefined {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      if (comm === 'libvirtd' || comm === 'virtqemud') return Number(p);
    } catch {
      /* gone */
    }
  }
  return undefined;
}
