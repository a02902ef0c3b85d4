/**
 * Upload jobs: a local file's bytes, carried by a shell's upload channel, into a new volume
 * through the host's own libvirt connection. The volume is checked and made first (a name taken,
 * no room, not an ISO where an installer is expected: refused before anything is made); progress
 * and speed go out as job events; a cancelled, failed or cut-off upload removes its partial volume.
 */
import { randomUUID } from 'node:crypto';
import { PassThrough, type Writable } from 'node:stream';
import { ISO_PVD_END, readIsoIdentifiers } from '../../common/iso9660.js';
import type { JobInfo, UploadParams } from '../../common/storage-contract.js';
import { ApiError } from '../../common/api-error.js';
import { ConnectionClosedError, uploadToVolume, type StorageVolRef } from '../libvirt/index.js';
import type { Host } from '../hosts/host.js';
import { createVolume, lookupPool } from '../guests/storage.js';
import { JobMeter } from './job-meter.js';

interface Job {
  info: JobInfo;
  meter: JobMeter;
  host: Host;
  vol: StorageVolRef;
  sink: PassThrough;
  abort: AbortController;
  taken: boolean;
}

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

export class Uploads {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly emit: (job: JobInfo) => void) {}

  /** Checks the upload, makes its volume and starts the transfer, which waits for the bytes. */
  async begin(host: Host, p: UploadParams): Promise<string> {
    const head = Buffer.from(p.head, 'base64');
    if (p.role === 'iso' && !readIsoIdentifiers(head.subarray(0, ISO_PVD_END)))
      throw new ApiError(
        'invalid-input',
        `${p.name} is not an ISO image (it has no ISO 9660 volume descriptor), so it cannot be an installer`,
        { host: p.host },
      );
    const format = p.role === 'disk' && head.subarray(0, 4).equals(QCOW2_MAGIC) ? 'qcow2' : 'raw';
    const vol = await host.withClient(`upload ${p.name}`, async (c) => {
      await lookupPool(c, p.host, p.pool);
      return createVolume(c, p.host, p.pool, p.name, format, p.size);
    });
    const id = randomUUID();
    const info: JobInfo = {
      id,
      kind: 'upload',
      host: p.host,
      label: `Uploading ${p.name} to ${p.pool}`,
      state: 'running',
      done: 0,
      total: p.size,
    };
    const job: Job = {
      info,
      meter: new JobMeter(info, this.emit),
      host,
      vol,
      sink: new PassThrough({ highWaterMark: 1 << 20 }),
      abort: new AbortController(),
      taken: false,
    };
    this.jobs.set(id, job);
    job.meter.publish();
    void this.run(job);
    return id;
  }

  /** The writable end a shell pours the file's bytes into (once); ending it early cancels. */
  open(id: string): Writable {
    const job = this.jobs.get(id);
    if (!job || job.info.state !== 'running') throw new ApiError('invalid-input', 'No such upload is waiting for data');
    if (job.taken) throw new ApiError('conflict', 'That upload already has its data');
    job.taken = true;
    return job.sink;
  }

  cancel(id: string): void {
    const job = this.jobs.get(id);
    if (job && job.info.state === 'running') job.abort.abort();
  }

  private async run(job: Job): Promise<void> {
    const total = job.info.total;
    try {
      const c = job.host.libvirt();
      await uploadToVolume(c, job.vol, job.sink, {
        length: total,
        signal: job.abort.signal,
        onProgress: (b) => job.meter.progress(b),
      });
      if (job.info.done !== total) throw new Error(`the file ended after ${job.info.done} of ${total} bytes`);
      job.info.state = 'done';
      delete job.info.error;
    } catch (e) {
      const cancelled = job.abort.signal.aborted;
      job.info.state = cancelled ? 'cancelled' : 'failed';
      if (!cancelled) job.info.error = this.explain(job, e);
      job.sink.destroy();
      await this.removePartial(job);
    } finally {
      job.meter.publish();
      // Keep the finished job a little for late readers, then forget it.
      setTimeout(() => this.jobs.delete(job.info.id), 60_000).unref();
    }
  }

  private explain(job: Job, e: unknown): string {
    const what = `The upload of ${job.vol.name} to ${job.host.uri} failed`;
    if (e instanceof ConnectionClosedError || (e instanceof ApiError && e.code === 'host-unavailable'))
      return `${what}: the connection to the host dropped (${e.message}); the partial volume is removed once it is back`;
    return `${what}: ${e instanceof Error ? e.message : String(e)}`;
  }

  /** Deletes the partial volume; a host that is away gets it deleted when it is back. */
  private async removePartial(job: Job): Promise<void> {
    const until = Date.now() + 5 * 60_000;
    while (Date.now() < until) {
      try {
        if (job.host.connected) {
          await job.host.libvirt().call('storageVolDelete', { vol: job.vol, flags: 0 });
          return;
        }
      } catch (e) {
        if (!(e instanceof ConnectionClosedError) && !(e instanceof ApiError)) return; // gone already
      }
      await new Promise((r) => setTimeout(r, 1000).unref());
    }
  }
}
