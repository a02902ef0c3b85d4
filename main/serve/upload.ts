/**
 * The serve shell's upload channel: one WebSocket per upload (the secret checked at the handshake
 * like every other), its binary messages the file's bytes in order, poured into the upload the
 * page began with storage.uploadBegin. The socket is paused while the volume stream is full.
 * Closing it before the last byte cancels the upload; the server closes it when the job is over.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { AppSession } from '../app/api.js';

export function relayUpload(ws: WebSocket, socket: Duplex, session: AppSession, job: string): void {
  let sink;
  try {
    sink = session.openUpload(job);
  } catch (e) {
    ws.close(1008, e instanceof Error ? e.message.slice(0, 120) : 'bad upload');
    return;
  }
  let ended = false;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      // A text message "end" says every byte was sent.
      if (data.toString() === 'end' && !ended) {
        ended = true;
        sink.end();
      }
      return;
    }
    if (!sink.write(data)) {
      socket.pause();
      sink.once('drain', () => socket.resume());
    }
  });
  ws.on('close', () => {
    // Closed before the page said "end": the upload is cut off, which cancels it.
    if (!ended) sink.destroy(new Error('the page closed the upload before the end of the file'));
    session.close();
  });
  const finish = (): void => {
    if (ws.readyState === ws.OPEN) ws.close(1000, 'done');
  };
  sink.once('finish', finish);
  sink.once('close', finish);
}
