/**
 * Transfers between a volume and a file on this machine's disk, for the desktop shell: the file
 * a user picked goes into a new volume; a volume goes into the file a user chose to save it as.
 * The shell vouches that the user picked the path; here the file must also be a regular file and
 * be the very one the page holds (its size and first bytes as the page read them), so a path from
 * anywhere else is refused before anything is made.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { UploadParams, VolumeRef } from '../../common/storage-contract.js';
import { ApiError } from '../../common/api-error.js';
import type { Host } from '../hosts/host.js';
import type { Uploads } from './uploads.js';
import type { DownloadStart, Downloads } from './downloads.js';

function checkPath(path: string): void {
  if (!isAbsolute(path) || path.includes('\0') || path.length > 4096)
    throw new ApiError('invalid-input', 'The file must be given by its full path');
}

async function sameFile(fh: FileHandle, p: UploadParams, path: string): Promise<void> {
  const st = await fh.stat();
  if (!st.isFile()) throw new ApiError('invalid-input', `${path} is not a regular file`);
  const head = Buffer.from(p.head, 'base64');
  const disk = Buffer.alloc(head.length);
  const { bytesRead } = await fh.read(disk, 0, head.length, 0);
  if (st.size !== p.size || bytesRead !== head.length || !disk.equals(head))
    throw new ApiError(
      'invalid-input',
      `${path} is not the file that was picked (its size or first bytes differ); pick it again`,
    );
}

/** Uploads the local file at `path` into a new volume; returns the upload's job. */
export async function uploadFromFile(uploads: Uploads, host: Host, p: UploadParams, path: string): Promise<string> {
  checkPath(path);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new ApiError('invalid-input', `Cannot read ${path}: ${(e as Error).message}`);
  }
  let job: string;
  try {
    await sameFile(fh, p, path);
    job = await uploads.begin(host, p);
  } catch (e) {
    await fh.close();
    throw e;
  }
  const sink = uploads.open(job);
  const source = fh.createReadStream({ start: 0, highWaterMark: 1 << 20 });
  // Pours the file in as the volume takes it; a read error or a cancel ends both sides, and the
  // upload job reports how it ended (and removes its partial volume).
  source.on('error', (e) => sink.destroy(e));
  sink.on('close', () => source.destroy());
  source.pipe(sink);
  return job;
}

/**
 * Downloads a volume into the file at `path`: written as `path.part`, renamed into place once
 * every byte is there, removed when the download fails or is cancelled.
 */
export async function downloadToFile(
  downloads: Downloads,
  host: Host,
  ref: VolumeRef,
  path: string,
): Promise<DownloadStart> {
  checkPath(path);
  const part = `${path}.part`;
  let fh: FileHandle;
  try {
    fh = await open(part, 'w');
  } catch (e) {
    throw new ApiError('invalid-input', `Cannot write ${path}: ${(e as Error).message}`);
  }
  const sink = fh.createWriteStream({ highWaterMark: 1 << 20 });
  const closed = new Promise<void>((resolve) => sink.once('close', () => resolve()));
  try {
    return await downloads.begin(host, ref, sink, async (ok) => {
      await closed;
      if (ok) await rename(part, path);
      else await rm(part, { force: true });
    });
  } catch (e) {
    sink.destroy();
    await closed;
    await rm(part, { force: true });
    throw e;
  }
}
