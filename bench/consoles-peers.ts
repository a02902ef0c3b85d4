/**
 * The processes the consoles benchmark measures, each in a process of its own so that none of
 * them shares an event loop with the client that measures (run as `node --import tsx
 * bench/consoles-peers.ts MODE`; each prints one JSON line once it listens, then runs until
 * SIGTERM):
 *  - `relay CONFIG`: our serve shell, in-process with an App, on CONFIG.uri when given (the real
 *    path, live XML → endpoint → relay), else connected to no host at all. Console requests for
 *    the UUIDs in CONFIG.synthetic go to a local TCP port through the same endpoint code
 *    (openVncChannel) instead of a guest's display. The byte-path figures use a relay without a
 *    host: on a daemon shared with other suites, an App would also be busy with their guests'
 *    events, which is no part of the console path.
 *  - `source`: a fast TCP source (each 8-byte request, a big-endian byte count, is answered with
 *    that many bytes from one preallocated buffer) and a TCP echo server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../main/app/api.js';
import { openVncChannel } from '../main/consoles/endpoint.js';
import { startServeShell } from '../main/serve/server.js';

export interface RelayInfo {
  origin: string;
  token: string;
  port: number;
}

export interface SourceInfo {
  source: number;
  echo: number;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

async function relay(config: { staticDir: string; synthetic: Record<string, number>; uri?: string }): Promise<void> {
  const configDir = mkdtempSync(join(tmpdir(), 'vs-bench-relay-'));
  const app = new App({ configDir, ...(config.uri ? { uris: [config.uri] } : {}) });
  if (config.uri) {
    app.start();
    const deadline = Date.now() + 30_000;
    while (app.hosts.get(config.uri).info().status !== 'connected') {
      if (Date.now() > deadline)
        throw new Error(`${config.uri} did not connect: ${app.hosts.get(config.uri).info().error ?? ''}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const real = app.consoles.open.bind(app.consoles);
  app.consoles.open = (ref, kind, opts) => {
    const port = config.synthetic[ref.uuid];
    return port
      ? openVncChannel({ kind: 'tcp', host: '127.0.0.1', port }, {}, 10_000, opts?.reader)
      : real(ref, kind, opts);
  };
  const shell = await startServeShell({ app, host: '127.0.0.1', port: 0, staticDir: config.staticDir });
  const info: RelayInfo = { origin: shell.origin, token: shell.token, port: shell.port };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  process.once('SIGTERM', () => {
    void Promise.all([shell.close(), app.close()]).finally(() => {
      rmSync(configDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

async function source(): Promise<void> {
  const block = Buffer.alloc(1 << 20, 0x5a);
  const sendBytes = (sock: Socket, n: number): void => {
    let left = n;
    const pump = (): void => {
      while (left > 0 && !sock.destroyed) {
        const part = left >= block.length ? block : block.subarray(0, left);
        left -= part.length;
        if (!sock.write(part)) {
          sock.once('drain', pump);
          return;
        }
      }
    };
    pump();
  };
  const src = createServer((sock) => {
    sock.setNoDelay(true);
    sock.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 8) {
        const n = Number(pending.readBigUInt64BE(0));
        pending = pending.subarray(8);
        sendBytes(sock, n);
      }
    });
  });
  const echo = createServer((sock) => {
    sock.setNoDelay(true);
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => sock.write(d));
  });
  const info: SourceInfo = { source: await listen(src), echo: await listen(echo) };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  process.once('SIGTERM', () => process.exit(0));
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'relay') await relay(JSON.parse(arg ?? '{}') as Parameters<typeof relay>[0]);
else if (mode === 'source') await source();
else {
  console.error('usage: consoles-peers.ts relay CONFIG | source');
  process.exit(2);
}
