/**
 * The serve shell: the whole app for a browser. Static files of the built renderer (they hold
 * nothing private, so they need no secret); the API and the console channels over WebSocket,
 * each of which needs the secret made at start and a same-origin (or no) Origin, checked at the
 * handshake, before any upgrade. Nothing here knows the domain model: it is transport over App.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  STATUS_CODES,
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { App } from '../app/api.js';
import type { ApiErrorShape } from '../../common/contract.js';
import type { AppSession } from '../app/api.js';
import { readsIntoReader, type ChannelReader } from '../app/console-io.js';
import { ApiError } from '../../common/api-error.js';
import { relayUpload } from './upload.js';
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

/** Largest API message from a browser: commands are small. A bigger one closes the channel (1009). */
export const API_MAX_PAYLOAD = 1 << 20;
/** Largest console frame from a browser (VNC input is tiny; serial paste may be larger). */
export const CONSOLE_MAX_PAYLOAD = 4 << 20;
/** A client that lets this much pile up unread is too slow; it is dropped rather than buffered for. */
const API_MAX_BUFFERED = 16 << 20;
/**
 * Console bytes handed to a browser's socket and not yet taken by the kernel: above this the
 * guest's side is paused (QEMU then waits) until the socket has drained. Big enough to keep a
 * fast link busy, small enough that a browser that stops reading costs almost nothing.
 */
export const RELAY_HIGH_WATER = 1 << 20;
/**
 * A serial console is never paused: its bytes come over the host's one libvirt connection, which
 * has no flow control of its own, so pausing the stream would stop everything else on that host
 * too (calls, events, other consoles, for every client). Serial output is slow; a browser that
 * lets this much of it pile up is not reading, and its channel is closed instead (1013).
 */
export const SERIAL_MAX_BUFFERED = 8 << 20;
/**
 * The buffer one read from a guest's display goes into. A read takes what is there, so a bigger
 * buffer adds no wait; under load it takes more at once (fewer reads, fewer and bigger messages):
 * measured on the consoles bench, 256 KiB moved ~25 % more than Node's usual 64 KiB for less CPU,
 * and 1 MiB no more than 256 KiB.
 */
const READ_CHUNK = 256 << 10;
/** A refused handshake's socket is closed after its answer, or after this long at the latest. */
const REFUSE_LINGER_MS = 5_000;

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Answers a WebSocket handshake with an HTTP error and a JSON body, never a 101. */
function refuse(socket: Duplex, status: number, error: ApiErrorShape): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${JSON.stringify({ error })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
  // The client closes its side on our answer; one that never does is cut off.
  const timer = setTimeout(() => socket.destroy(), REFUSE_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
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

/** Wildcard addresses: the shell answers on every interface, under any name. */
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

/** A close frame's reason is at most 123 bytes of UTF-8. */
function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

export async function startServeShell(o: ServeOptions): Promise<ServeShell> {
  const token = o.token ?? randomBytes(32).toString('base64url');
  const log = o.log ?? (() => undefined);
  const scheme = o.tls ? 'https' : 'http';
  const handler = (req: IncomingMessage, res: ServerResponse): void => serveStatic(o.staticDir, req, res);
  const server: Server = o.tls
    ? createHttpsServer({ cert: readFileSync(o.tls.cert), key: readFileSync(o.tls.key) }, handler)
    : createHttpServer(handler);
  const apiWss = new WebSocketServer({ noServer: true, maxPayload: API_MAX_PAYLOAD, perMessageDeflate: false });
  const consoleWss = new WebSocketServer({ noServer: true, maxPayload: CONSOLE_MAX_PAYLOAD, perMessageDeflate: false });
  const uploadWss = new WebSocketServer({ noServer: true, maxPayload: 4 << 20, perMessageDeflate: false });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  let port = o.port;
  /**
   * Whether a Host header names this server. On loopback only its loopback names do (a page on
   * another site that rebinds its DNS name to 127.0.0.1 is refused even before the secret is
   * checked); bound elsewhere, users reach it by any name or address, and the secret and the
   * same-origin check do the work.
   */
  const hostAllowed = (hostHeader: string): boolean => {
    if (!isLoopback(o.host)) return hostHeader.length > 0;
    const names = new Set([o.host, '127.0.0.1', 'localhost', '::1']);
    // A browser leaves the port out of Host when it is the scheme's own.
    const ports = port === (o.tls ? 443 : 80) ? [`:${port}`, ''] : [`:${port}`];
    return [...names].some((n) => ports.some((p) => hostHeader === `${n.includes(':') ? `[${n}]` : n}${p}`));
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until the WebSocket takes the socket over, nobody else listens for its errors: a client
    // that resets the connection mid-handshake must not take the whole server down.
    const swallow = (): void => undefined;
    socket.on('error', swallow);
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const hostHeader = (req.headers.host ?? '').toLowerCase();
      if (!hostAllowed(hostHeader)) return refuse(socket, 403, { code: 'access-denied', message: 'unknown Host' });
      const origin = req.headers.origin;
      if (origin !== undefined && origin.toLowerCase() !== `${scheme}://${hostHeader}`)
        return refuse(socket, 403, { code: 'access-denied', message: 'foreign Origin' });
      if (!tokenMatches(url.searchParams.get('token'), token))
        return refuse(socket, 401, { code: 'access-denied', message: 'missing or wrong secret' });
      (socket as Socket).setNoDelay?.(true);
      if (url.pathname === '/api') {
        apiWss.handleUpgrade(req, socket, head, (ws) => {
          socket.off('error', swallow);
          handleApi(o.app, ws);
        });
      } else if (url.pathname === '/console') {
        const kind = url.searchParams.get('kind');
        const reader = new RelayReader();
        let upstream: Duplex;
        const session = o.app.session();
        try {
          upstream = await session.openConsole(
            { host: url.searchParams.get('host'), uuid: url.searchParams.get('uuid') },
            kind,
            { reader },
          );
        } catch (e) {
          const err = e instanceof ApiError ? e : new ApiError('internal', String(e));
          return refuse(socket, STATUS_FOR[err.code] ?? 500, err.toJSON());
        } finally {
          session.close();
        }
        let taken = false;
        if (socket.writable && !socket.destroyed) {
          // ws completes the upgrade synchronously, or drops a socket that is already gone
          // without calling back: then the channel just opened must not stay open.
          consoleWss.handleUpgrade(req, socket, head, (ws) => {
            taken = true;
            socket.off('error', swallow);
            relayConsole(ws, socket, upstream, readsIntoReader(upstream) ? reader : undefined, session, kind === 'vnc');
          });
        }
        if (!taken) {
          session.closeConsole(upstream, 'the browser went away before the console opened');
          socket.destroy();
        }
      } else if (url.pathname === '/upload') {
        const job = url.searchParams.get('job') ?? '';
        uploadWss.handleUpgrade(req, socket, head, (ws) => relayUpload(ws, socket, o.app.session(), job));
      } else {
        refuse(socket, 404, { code: 'invalid-input', message: 'no such endpoint' });
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
  // A wildcard address is no place to open a page at; the machine's own loopback is.
  const shownHost = WILDCARD.has(o.host) ? '127.0.0.1' : o.host;
  const hostPart = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
  const origin = `${scheme}://${hostPart}:${port}`;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    port,
    close: async () => {
      for (const c of [...apiWss.clients, ...consoleWss.clients, ...uploadWss.clients]) c.terminate();
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
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      send({ id: null, error: { code: 'invalid-input', message: 'expected a JSON text message, got binary' } });
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch (e) {
      send({
        id: null,
        error: {
          code: 'invalid-input',
          message: `not JSON: ${e instanceof Error ? e.message.slice(0, 120) : 'parse error'}`,
        },
      });
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      send({ id: null, error: { code: 'invalid-input', message: 'expected an object {id, command, params}' } });
      return;
    }
    const m = msg as { id?: unknown; command?: unknown; params?: unknown };
    const id = typeof m.id === 'number' || typeof m.id === 'string' ? m.id : null;
    session.invoke(m.command, m.params).then(
      (result) => send({ id, result: result ?? null }),
      (e: unknown) =>
        send({ id, error: e instanceof ApiError ? e.toJSON() : { code: 'internal', message: String(e) } }),
    );
  });
  ws.on('close', () => {
    app.off('event', onEvent);
    session.close();
  });
  ws.on('error', () => ws.terminate());
}

/**
 * Reads a socket channel into one reused buffer (see ChannelReader): each read goes out to the
 * browser at once, and the buffer is used again unless the browser's socket still holds it (a
 * write the kernel has not taken yet); only then does a new one take its place. Until the
 * WebSocket is ready, a read is copied aside and the channel paused.
 */
class RelayReader implements ChannelReader {
  private buf = Buffer.allocUnsafeSlow(READ_CHUNK);
  private early: Buffer[] = [];
  private out: ((bytes: Buffer) => boolean) | undefined;

  buffer = (): Uint8Array => this.buf;

  take = (bytes: Buffer): boolean => {
    if (this.out) return this.out(bytes);
    this.early.push(Buffer.from(bytes));
    return false;
  };

  /** From now on reads go to `out`; what came before goes first. */
  attach(out: (bytes: Buffer) => boolean): void {
    for (const b of this.early.splice(0)) out(b);
    this.out = out;
  }

  /** The buffer is still held by a pending write: the next reads go into a new one. */
  renew(): void {
    this.buf = Buffer.allocUnsafeSlow(READ_CHUNK);
  }
}

/**
 * A console channel: browser WebSocket ↔ console bytes. Each read from the guest goes out as one
 * binary message, as it came (no re-chunking, no copy); while more than RELAY_HIGH_WATER bytes
 * wait in the browser's socket, a screen's side is paused until that socket drains (a serial
 * console is not paused: see SERIAL_MAX_BUFFERED). The browser's messages go to the guest, and
 * a guest that does not keep up pauses the browser's socket. When either side ends, the other is
 * closed: the browser gets a close frame that says why (1000, 1011 on an error, 1013 when it did
 * not keep up with a serial console).
 */
function relayConsole(
  ws: WebSocket,
  socket: Duplex,
  upstream: Duplex,
  reader: RelayReader | undefined,
  session: AppSession,
  pausable: boolean,
): void {
  let waitingForDrain = false;
  const onDrain = (): void => {
    waitingForDrain = false;
    if (!upstream.destroyed) upstream.resume();
  };
  /** Sends one read on; false when the guest's side must pause. */
  const forward = (bytes: Buffer, reused: boolean): boolean => {
    if (ws.readyState !== ws.OPEN) return false;
    ws.send(bytes, { binary: true });
    const queued = ws.bufferedAmount;
    if (queued === 0) return true;
    if (reused) reader!.renew();
    if (!pausable) {
      if (queued > SERIAL_MAX_BUFFERED) {
        const why = 'the browser did not keep up with the serial console';
        ws.close(1013, why);
        session.closeConsole(upstream, why);
      }
      return true;
    }
    if (queued <= RELAY_HIGH_WATER) return true;
    if (!waitingForDrain) {
      waitingForDrain = true;
      socket.once('drain', onDrain);
    }
    return false;
  };
  if (reader) {
    reader.attach((bytes) => forward(bytes, true));
    upstream.resume();
  } else {
    upstream.on('data', (chunk: Buffer) => {
      if (!forward(chunk, false)) upstream.pause();
    });
  }

  let waitingForUpstream = false;
  ws.on('message', (data: Buffer) => {
    if (upstream.destroyed || upstream.writableEnded) return;
    if (!upstream.write(data) && !waitingForUpstream) {
      waitingForUpstream = true;
      ws.pause();
      upstream.once('drain', () => {
        waitingForUpstream = false;
        ws.resume();
      });
    }
  });

  // The reason is kept by the console manager; the error itself needs no more handling here.
  upstream.on('error', () => undefined);
  upstream.once('close', () => {
    socket.off('drain', onDrain);
    if (ws.readyState === ws.OPEN) {
      const why = session.consoleCloseReason(upstream) ?? 'the console closed';
      ws.close(upstream.errored ? 1011 : 1000, closeReason(why));
    } else if (ws.readyState === ws.CONNECTING) {
      ws.terminate();
    }
  });
  ws.once('close', () => session.closeConsole(upstream, 'the viewer closed the console'));
  ws.on('error', () => ws.terminate());
}
