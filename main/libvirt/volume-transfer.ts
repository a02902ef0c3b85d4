/**
 * Moving bytes into and out of a storage volume through the connection's own stream (STORAGE_VOL_
 * UPLOAD / DOWNLOAD): the same over a local socket and over SSH, with no second login or scp.
 */
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { LibvirtClient } from './client.js';
import type { StorageVolRef } from './procedures-storage.js';
import { streamOpened, type LibvirtStream } from './stream.js';

export interface UploadOptions {
  /** Where in the volume to start writing. Default 0. */
  offset?: number;
  /** How many bytes will be sent (0: up to the end of the volume). */
  length?: number;
  /** Aborting stops the transfer and the stream (the volume then holds what arrived so far). */
  signal?: AbortSignal;
  /** Called with the bytes handed to the connection so far. */
  onProgress?: (bytes: number) => void;
}

/** Passes bytes through unchanged, telling `onProgress` the total so far (a transfer's progress). */
export function byteCounter(onProgress: ((bytes: number) => void) | undefined): Transform {
  let bytes = 0;
  return new Transform({
    // Large chunks pass through as they are; the stream cuts them into packets.
    readableHighWaterMark: 1 << 20,
    writableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      onProgress?.(bytes);
      cb(null, chunk);
    },
  });
}

/**
 * Writes `source` into the volume and waits for the daemon to confirm it has everything. Rejects
 * when the source fails, the signal aborts, the daemon refuses, or the connection drops.
 */
export async function uploadToVolume(
  client: LibvirtClient,
  vol: StorageVolRef,
  source: Readable,
  opts: UploadOptions = {},
): Promise<void> {
  opts.signal?.throwIfAborted();
  const { reply, stream } = client.callStream('storageVolUpload', {
    vol,
    offset: opts.offset ?? 0,
    length: opts.length ?? 0,
    flags: 0,
  });
  try {
    await streamOpened(reply, stream);
  } catch (e) {
    source.destroy();
    throw e;
  }
  // The writable side finishes only on the daemon's OK to our finish: then the data is in place.
  await pipeline(source, byteCounter(opts.onProgress), stream, opts.signal ? { signal: opts.signal } : {});
}

/** The volume's bytes from `offset` (up to `length`, 0: to its end) as a stream. */
export async function downloadFromVolume(
  client: LibvirtClient,
  vol: StorageVolRef,
  opts: { offset?: number; length?: number } = {},
): Promise<LibvirtStream> {
  // A download is read as fast as its reader goes (a browser, a disk): held back, not aborted.
  const { reply, stream } = client.callStream(
    'storageVolDownload',
    { vol, offset: opts.offset ?? 0, length: opts.length ?? 0, flags: 0 },
    { holdConnection: true },
  );
  await streamOpened(reply, stream);
  return stream;
}

/** The first `length` bytes of a volume (fewer if it is shorter), e.g. to read an ISO's volume descriptor. */
export async function readVolumeHead(client: LibvirtClient, vol: StorageVolRef, length: number): Promise<Buffer> {
  const stream = await downloadFromVolume(client, vol, { length });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).subarray(0, length);
}
