/**
 * The serve shell's download channel: one WebSocket per download (the secret checked at the
 * handshake like every other, never in the URL), naming the volume in its query. The first
 * message says what comes ({job, name, size}, or {error}); then the volume's bytes as binary
 * messages, each sent only once the one before left (so a slow page slows the volume's stream);
 * then "end", and the server closes it. The page closing it early cancels the download.
 */
import { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { AppSession } from '../app/api.js';

export function relayDownload(ws: WebSocket, session: AppSession, query: URLSearchParams): void {
  let job: string | undefined;
  let ended = false;
  let announced!: () => void;
  const ready = new Promise<void>((resolve) => (announced = resolve));
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      void ready.then(() => {
        if (ws.readyState !== ws.OPEN) return cb(new Error('the page closed the download'));
        ws.send(chunk, { binary: true }, (err) => cb(err ?? null));
      });
    },
    final(cb) {
      ended = true;
      ws.send('end', () => {
        ws.close(1000, 'done');
        cb();
      });
    },
  });
  ws.on('close', () => {
    if (!ended && job) void session.invoke('storage.downloadCancel', { job }).catch(() => undefined);
    if (!ended) sink.destroy();
    session.close();
  });
  const ref = { host: query.get('host') ?? '', pool: query.get('pool') ?? '', name: query.get('name') ?? '' };
  session.openDownload(ref, sink).then(
    (start) => {
      job = start.job;
      ws.send(JSON.stringify(start), () => announced());
    },
    (e: unknown) => {
      ws.send(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }), () => ws.close(1000, 'refused'));
      sink.destroy();
    },
  );
}
