/**
 * The serve shell: the whole app for a browser. Static files of the built renderer (they hold
 * nothing private, so they need no secret); the API and the console channels over WebSocket,
 * each of which needs the secret made at start and a same-origin (or no) Origin, checked at the
 * handshake, before any upgrade. Nothing here knows the domain model: it is transport over App.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import type { App } from '../app/api.js';
import { ApiError } from '../hosts/api-error.js';
import { isLoopback } from './args.js';
import { serveStatic } from './static.js';

export interface ServeOptions {
  app: App;
  host: string;
  port: number;
  /** Folder of the built renderer (index.html, app.js, …). */
  staticDir: string;
  tls?: { cert: string; key: string };
  /** Fixed secret, for tests; default a fresh random one. */
  token?: string;
  log?: (line: string) => void;
}

export interface ServeShell {
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/** Largest API message from a browser: commands are small. */
const API_MAX_PAYLOAD = 1 << 20;
/** Largest console frame from a browser (VNC input is tiny; serial paste may be larger). */
const CONSOLE_MAX_PAYLOAD = 4 << 20;
/** A client that lets this much pile up unread is too slow; it is dropped rather than buffered for. */
const API_MAX_BUFFERED = 16 << 20;

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = `${JSON.stringify({ error: { code: status === 401 ? 'access-denied' : 'invalid-input', message } })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : status === 409 ? 'Conflict' : status === 503 ? 'Service Unavailable' : 'Bad Request'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const STATUS_FOR: Record<string, number> = {
  'invalid-input': 400,
  'access-denied': 403,
  'no-such-host': 404,
  'no-such-guest': 404,
  'invalid-state': 409,
  unsupported: 422,
  'host-unavailable': 503,
};

export async function startServeShell(o: ServeOptions): Promise<ServeShell> {
  const token = o.token ?? randomBytes(32).toString('base64url');
  const log = o.log ?? (() => undefined);
  const scheme = o.tls ? 'https' : 'http';
  const handler = (req: IncomingMessage, res: ServerResponse): void => serveStatic(o.staticDir, req, res);
  const server: Server = o.tls ? createHttpsServer({ cert: readFileSync(o.tls.cert), key: readFileSync(o.tls.key) }, handler) : createHttpServer(handler);
  const wss = new WebSocketServer({ noServer: true, maxPayload: CONSOLE_MAX_PAYLOAD, perMessageDeflate: false });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  let port = o.port;
  /** Host header values that name this server: its address and, on loopback, the usual aliases. */
  const allowedHosts = (): Set<string> => {
    const names = new Set([o.host]);
    if (isLoopback(o.host)) ['127.0.0.1', 'localhost', '::1'].forEach((n) => names.add(n));
    return new Set([...names].map((n) => `${n.includes(':') ? `[${n}]` : n}:${port}`));
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const hostHeader = (req.headers.host ?? '').toLowerCase();
      if (!allowedHosts().has(hostHeader)) return refuse(socket, 403, 'unknown Host');
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `${scheme}://${hostHeader}`) return refuse(socket, 403, 'foreign Origin');
      if (!tokenMatches(url.searchParams.get('token'), token)) return refuse(socket, 401, 'missing or wrong secret');
      (socket as Socket).setNoDelay?.(true);
      if (url.pathname === '/api') {
        wss.handleUpgrade(req, socket, head, (ws) => handleApi(o.app, ws));
      } else if (url.pathname === '/console') {
        const session = o.app.session();
        let upstream: Duplex;
        try {
          upstream = await session.openConsole({ host: url.searchParams.get('host'), uuid: url.searchParams.get('uuid') }, url.searchParams.get('kind'));
        } catch (e) {
          session.close();
          const err = e instanceof ApiError ? e : new ApiError('internal', String(e));
          return refuse(socket, STATUS_FOR[err.code] ?? 500, err.message);
        }
        if (socket.destroyed) {
          upstream.destroy();
          session.close();
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => relayConsole(ws, upstream, () => session.close()));
      } else {
        refuse(socket, 404, 'no such endpoint');
      }
    })().catch((e: unknown) => {
      log(`upgrade failed: ${e instanceof Error ? e.message : String(e)}`);
      socket.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const hostPart = o.host.includes(':') ? `[${o.host}]` : o.host;
  const origin = `${scheme}://${hostPart}:${port}`;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    port,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/** The API channel: the whole state first, then every event; commands answered by id. */
function handleApi(app: App, ws: WebSocket): void {
  const session = app.session();
  const send = (msg: unknown): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > API_MAX_BUFFERED) {
      ws.close(1013, 'client too slow');
      return;
    }
    ws.send(JSON.stringify(msg, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
  };
  const onEvent = (event: unknown): void => send({ type: 'event', event });
  app.on('event', onEvent);
  send({ type: 'state', state: app.state() });
  ws.on('message', (data, isBinary) => {
    if (isBinary || (data as Buffer).length > API_MAX_PAYLOAD) {
      send({ id: null, error: { code: 'invalid-input', message: 'expected a JSON text message' } });
      return;
    }
    let msg: { id?: unknown; command?: unknown; params?: unknown };
    try {
      msg = JSON.parse((data as Buffer).toString('utf8')) as typeof msg;
    } catch {
      send({ id: null, error: { code: 'invalid-input', message: 'not JSON' } });
      return;
    }
    const id = typeof msg?.id === 'number' || typeof msg?.id === 'string' ? msg.id : null;
    session.invoke(msg?.command, msg?.params).then(
      (result) => send({ id, result: result ?? null }),
      (e: unknown) => send({ id, error: e instanceof ApiError ? e.toJSON() : { code: 'internal', message: String(e) } }),
    );
  });
  ws.on('close', () => {
    app.off('event', onEvent);
    session.close();
  });
  ws.on('error', () => ws.terminate());
}

/** A console channel: browser WebSocket ↔ console bytes, with backpressure both ways. */
function relayConsole(ws: WebSocket, upstream: Duplex, done: () => void): void {
  const browser = createWebSocketStream(ws);
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    upstream.destroy();
    browser.destroy();
    done();
  };
  upstream.pipe(browser);
  browser.pipe(upstream);
  upstream.once('close', finish);
  browser.once('close', finish);
  upstream.on('error', finish);
  browser.on('error', finish);
}
