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
  const ref = { host: query.get('host') ?? '', pool: query.get('pool') ?? '', name: query.get('name') ?? '' };
  // The job, once the volume's stream is open (undefined if it could not be).
  const started = session.openDownload(ref, sink).then(
    (start) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(start), () => announced());
      return start.job;
    },
    (e: unknown) => {
      if (ws.readyState === ws.OPEN)
        ws.send(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }), () => ws.close(1000, 'refused'));
      sink.destroy();
      return undefined;
    },
  );
  ws.on('close', () => {
    if (ended) return session.close();
    // Gone before the end, even before the job was known: the job is cancelled as soon as it is.
    void started
      .then((job) => (job ? session.invoke('storage.downloadCancel', { job }) : undefined))
      .catch(() => undefined)
      .finally(() => {
        sink.destroy();
        session.close();
      });
  });
}
