/**
 * The serve shell: the whole app for a browser. Static files of the built renderer (they hold
 * nothing private, so they need no secret); the API and the console channels over WebSocket,
 * each of which needs the secret made at start (in the Sec-WebSocket-Protocol header) and a same-origin (or no) Origin, checked at the
 * handshake, before any upgrade. Nothing here knows the domain model: it is transport over App.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { App } from '../app/api.js';
import { handleApi } from './api-channel.js';
import { openConsoleChannel } from './console-channel.js';
import { handshakeRefusal, refuse, STATUS_FOR, type Listener } from './handshake.js';
import { asksForFirstConsole, firstConsoleGuest } from './first-console.js';
import { ApiError } from '../../common/api-error.js';
import type { GuestInfo } from '../../common/contract.js';
import { firstConsoleName } from '../../common/first-console.js';
import { relayUpload } from './upload.js';
import { relayDownload } from './download.js';
import { serveStatic } from './static.js';
import { WS_PROTOCOL } from '../../common/ws-secret.js';
import { isLoopback } from './args.js';
import { ConsoleCounter, DEFAULT_CONSOLE_LIMITS, SecretBackoff, type ConsoleLimits } from './guard.js';

export interface ServeOptions {
  app: App;
  host: string;
  port: number;
  /** Folder of the built renderer (index.html, app.js, …). */
  staticDir: string;
  tls?: { cert: string; key: string };
  /** Required off loopback: the origin users open the page at; Host and Origin must name it. */
  publicOrigin?: string;
  /** Open TCP connections at most (the page, its API and consoles, any other client). */
  maxConnections?: number;
  consoleLimits?: ConsoleLimits;
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

/** Upload and download channels: an upload's chunks are at most this big (the page sends 1 MiB pieces). */
const UPLOAD_MAX_PAYLOAD = 4 << 20;
/** Largest API message from a browser: commands are small. A bigger one closes the channel (1009). */
export const API_MAX_PAYLOAD = 1 << 20;
/** Largest console frame from a browser (VNC input is tiny; serial paste may be larger). */
export const CONSOLE_MAX_PAYLOAD = 4 << 20;

/** Wildcard addresses: the shell answers on every interface, under any name. */
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

interface Endpoints {
  app: App;
  token: string;
  listener: Listener;
  apiWss: WebSocketServer;
  consoleWss: WebSocketServer;
  transferWss: WebSocketServer;
  log: (line: string) => void;
  backoff?: SecretBackoff;
  consoles: ConsoleCounter;
}

/** Connections at most by default: a few pages with a console per guest each. */
export const DEFAULT_MAX_CONNECTIONS = 256;

/** A WebSocket handshake: checked (Host, Origin, secret), then to /api, /console, /upload or /download, else 404. */
function onUpgrade(e: Endpoints, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  // Until the WebSocket takes the socket over, nobody else listens for its errors: a client
  // that resets the connection mid-handshake must not take the whole server down.
  const swallow = (): void => undefined;
  socket.on('error', swallow);
  const upgraded = (): void => void socket.off('error', swallow);
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refusal = handshakeRefusal(e.listener, req, e.token, e.backoff);
    if (refusal) return refuse(socket, refusal.status, refusal.error);
    (socket as Socket).setNoDelay?.(true);
    if (url.pathname === '/api') {
      e.apiWss.handleUpgrade(req, socket, head, (ws) => {
        upgraded();
        handleApi(e.app, ws);
      });
    } else if (url.pathname === '/console') {
      await consoleUpgrade(e, req, socket, head, url, upgraded);
    } else if (url.pathname === '/upload') {
      e.transferWss.handleUpgrade(req, socket, head, (ws) => {
        upgraded();
        relayUpload(ws, socket, e.app.session(), url.searchParams.get('job') ?? '');
      });
    } else if (url.pathname === '/download') {
      e.transferWss.handleUpgrade(req, socket, head, (ws) => {
        upgraded();
        relayDownload(ws, e.app.session(), url.searchParams);
      });
    } else {
      refuse(socket, 404, { code: 'invalid-input', message: 'no such endpoint' });
    }
  })().catch((err: unknown) => {
    e.log(`upgrade failed: ${err instanceof Error ? err.message : String(err)}`);
    socket.destroy();
  });
}

/** A handshake to /console: the console it names, or the first guest's (first-console.ts). */
async function consoleUpgrade(
  e: Endpoints,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  url: URL,
  upgraded: () => void,
): Promise<void> {
  let announce: string | undefined;
  if (asksForFirstConsole(url)) {
    let g: GuestInfo;
    try {
      g = await firstConsoleGuest(e.app, url, () => socket.destroyed);
    } catch (err) {
      const a = err instanceof ApiError ? err : new ApiError('internal', String(err));
      return refuse(socket, STATUS_FOR[a.code] ?? 500, a.toJSON());
    }
    for (const [k, v] of Object.entries({ host: g.host, uuid: g.uuid, kind: 'vnc' })) url.searchParams.set(k, v);
    announce = firstConsoleName(g);
  }
  const slot = e.consoles.take(req.socket.remoteAddress ?? '', url.searchParams.get('host') ?? '');
  if ('refused' in slot) return refuse(socket, 429, { code: 'access-denied', message: slot.refused });
  socket.once('close', slot.release);
  await openConsoleChannel(e.app, e.consoleWss, req, socket, head, url, upgraded, announce);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startServeShell(o: ServeOptions): Promise<ServeShell> {
  if (!isLoopback(o.host) && o.publicOrigin === undefined)
    throw new Error(`serving on ${o.host} needs --public-origin: the address users open the page at`);
  const token = o.token ?? randomBytes(32).toString('base64url');
  const scheme = o.tls ? 'https' : 'http';
  const handler = (req: IncomingMessage, res: ServerResponse): void => serveStatic(o.staticDir, req, res, !!o.tls);
  const server: Server = o.tls
    ? createHttpsServer({ cert: readFileSync(o.tls.cert), key: readFileSync(o.tls.key) }, handler)
    : createHttpServer(handler);
  // The answer names `virtswitch` only: the offered secret subprotocol is never echoed back.
  const handleProtocols = (offered: Set<string>): string | false => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false);
  const wss = (maxPayload: number): WebSocketServer =>
    new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, handleProtocols });
  const apiWss = wss(API_MAX_PAYLOAD);
  const consoleWss = wss(CONSOLE_MAX_PAYLOAD);
  const transferWss = wss(UPLOAD_MAX_PAYLOAD);
  server.maxConnections = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  let port = o.port;
  const listener: Listener = {
    host: o.host,
    tls: !!o.tls,
    port: () => port,
    ...(o.publicOrigin !== undefined ? { publicOrigin: o.publicOrigin } : {}),
  };
  const endpoints: Endpoints = {
    app: o.app,
    token,
    listener,
    apiWss,
    consoleWss,
    transferWss,
    log: o.log ?? (() => undefined),
    // Off loopback only: there the secret can be guessed at from afar.
    ...(isLoopback(o.host) ? {} : { backoff: new SecretBackoff() }),
    consoles: new ConsoleCounter(o.consoleLimits ?? DEFAULT_CONSOLE_LIMITS),
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => onUpgrade(endpoints, req, socket, head));

  await listen(server, o.port, o.host);
  port = (server.address() as AddressInfo).port;
  // A wildcard address is no place to open a page at; the machine's own loopback is.
  const shownHost = WILDCARD.has(o.host) ? '127.0.0.1' : o.host;
  const hostPart = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
  const origin = o.publicOrigin ?? `${scheme}://${hostPart}:${port}`;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    port,
    close: async () => {
      for (const c of [...apiWss.clients, ...consoleWss.clients, ...transferWss.clients]) c.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
