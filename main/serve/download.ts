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
    // Once the page has gone, writes are held, not failed: the close handler cancels the job,
    // so it ends as cancelled rather than as a failure.
    write(chunk: Buffer, _enc, cb) {
      void ready.then(() => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(chunk, { binary: true }, (err) => {
          if (!err) cb();
        });
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
    const cancelled = !ended && job ? session.invoke('storage.downloadCancel', { job }) : Promise.resolve();
    void cancelled
      .catch(() => undefined)
      .finally(() => {
        if (!ended) sink.destroy();
        session.close();
      });
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
