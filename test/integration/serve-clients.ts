/**
 * Clients, sources and sinks for the serve shell's security tests: a hand-written HTTP request,
 * an API client that keeps every message, a TCP source that writes as fast as it is read, a TCP
 * sink that never reads, a serial stream that stalls its host's connection when not read, and a
 * way to wait for a counter to settle.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { apiUrl, waitFor, withSecret, within, type Served } from './serve-helpers.js';

/** One HTTP request written by hand, so that the path reaches the server exactly as given. */
export function rawGet(port: number, path: string): Promise<{ status: number; text: string }> {
  return within(
    new Promise((resolve, reject) => {
      const sock = connect(port, '127.0.0.1', () =>
        sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
      );
      let data = '';
      sock.on('data', (d: Buffer) => (data += d.toString('latin1')));
      sock.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0), text: data }));
      sock.on('error', reject);
    }),
    10_000,
    `GET ${path}`,
  );
}

/** An API client that collects every message. */
export async function apiClient(s: Served): Promise<{
  ws: WebSocket;
  messages: unknown[];
  next(pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}> {
  const wire = withSecret(apiUrl(s.shell));
  const ws = new WebSocket(wire.url, wire.protocols, { origin: s.shell.origin, perMessageDeflate: false });
  const messages: unknown[] = [];
  ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString())));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let taken = 0;
  return {
    ws,
    messages,
    next: (pred) =>
      waitFor(
        'an API message',
        () => {
          for (let i = taken; i < messages.length; i++) {
            const m = messages[i] as Record<string, unknown>;
            if (pred(m)) {
              taken = i + 1;
              return m;
            }
          }
          return undefined;
        },
        10_000,
      ),
  };
}

/** Listens on a free loopback port; resolves with it. */
function listening(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

/** The byte a fast source sends at stream offset `p`: a pattern that shows any reordering or reuse. */
export const patternAt = (p: number): number => (p % (1 << 20)) % 251;

/** A TCP source that writes as fast as the other side takes it; counts what it wrote. */
export function fastSource(): Promise<{ server: Server; port: number; written: () => number; sockets: Socket[] }> {
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = patternAt(i);
  let written = 0;
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => undefined);
    const pump = (): void => {
      while (!sock.destroyed) {
        written += chunk.length;
        if (!sock.write(chunk)) {
          sock.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  return listening(server).then((port) => ({ server, port, written: () => written, sockets }));
}

/** A TCP sink that never reads; counts nothing, holds everything in the kernel. */
export function deafSink(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => undefined);
    sock.pause();
  });
  return listening(server).then((port) => ({ server, port, sockets }));
}

/** Polls a counter until it stops moving (unchanged over `still` polls), within a bound. */
export async function plateau(
  what: string,
  read: () => number,
  still = 8,
  everyMs = 100,
  timeoutMs = 30_000,
): Promise<number> {
  let last = read();
  let same = 0;
  return waitFor(
    `${what} to stop growing`,
    () => {
      const now = read();
      same = now === last ? same + 1 : 0;
      last = now;
      return same >= still ? now : undefined;
    },
    timeoutMs,
    everyMs,
  );
}

/**
 * A serial console as libvirt gives it: a stream whose bytes share the host's one connection. When
 * its reader stops taking them (push() returns false), libvirt's client stops reading the whole
 * connection; `stalls` counts those moments. Produces as fast as it is read.
 */
export class FastSerial extends Duplex {
  stalls = 0;
  produced = 0;
  private readonly chunk = Buffer.alloc(64 << 10, 0x41);
  private timer: NodeJS.Immediate | undefined;

  constructor() {
    super({ readableHighWaterMark: 1 << 20 });
  }

  /** Starts producing once someone reads (the relay), then keeps going whatever happens. */
  override _read(): void {
    if (this.timer) return;
    const pump = (): void => {
      for (let i = 0; i < 16 && !this.destroyed; i++) {
        this.produced += this.chunk.length;
        if (!this.push(this.chunk)) this.stalls++;
      }
      if (!this.destroyed) this.timer = setImmediate(pump);
    };
    this.timer = setImmediate(pump);
  }

  override _write(_c: Buffer, _e: BufferEncoding, cb: () => void): void {
    cb();
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    if (this.timer) clearImmediate(this.timer);
    cb(err);
  }
}

export const mem = (): number => process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
