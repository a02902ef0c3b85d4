/**
 * Download jobs: a volume's bytes out of the host's libvirt connection (its volume download
 * stream, the same locally and over SSH) into whatever a shell gives: a file the user chose, a
 * page's WebSocket. Progress and speed go out as job events; cancelling stops the stream.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JobInfo, VolumeRef } from '../../common/storage-contract.js';
import { ApiError } from '../../common/api-error.js';
import {
  byteCounter,
  downloadFromVolume,
  type LibvirtClient,
  type LibvirtStream,
  type StorageVolRef,
} from '../libvirt/index.js';
import type { Host } from '../hosts/host.js';
import { lookupVolume } from '../guests/storage.js';
import { xmlParser } from '../platform/xml-parser.js';
import { JobMeter } from './job-meter.js';

export interface DownloadStart {
  job: string;
  name: string;
  /** The bytes the download will carry (the volume's file size, not its capacity). */
  size: number;
}

/** Runs once the bytes are all in the sink (ok) or the job failed; its failure fails the job. */
export type Settle = (ok: boolean) => Promise<void>;

const parser = xmlParser(() => false);

/** The bytes a download carries: the file's own size (a qcow2 file is smaller than its capacity). */
async function transferSize(c: LibvirtClient, vol: StorageVolRef): Promise<number> {
  const [info, xml] = await Promise.all([
    c.call('storageVolGetInfo', { vol }),
    c.call('storageVolGetXmlDesc', { vol, flags: 0 }),
  ]);
  const doc = parser.parse(xml.xml) as { volume?: { physical?: string | { '#text'?: string } } };
  const physical = doc.volume?.physical;
  const n = Number(typeof physical === 'object' ? physical['#text'] : physical);
  return Number.isSafeInteger(n) && n >= 0 ? n : info.capacity;
}

export class Downloads {
  private readonly jobs = new Map<string, AbortController>();

  constructor(private readonly emit: (job: JobInfo) => void) {}

  /**
   * Opens the volume's download stream and starts pouring it into `sink`; resolves once it flows.
   * `settle` runs before the job's last event, so "done" means the bytes are where they belong.
   */
  async begin(host: Host, ref: VolumeRef, sink: Writable, settle?: Settle): Promise<DownloadStart> {
    const { size, stream } = await host.withClient(`download ${ref.name}`, async (c) => {
      const vol = await lookupVolume(c, ref.host, ref.pool, ref.name);
      return { size: await transferSize(c, vol), stream: await downloadFromVolume(c, vol) };
    });
    const info: JobInfo = {
      id: randomUUID(),
      kind: 'download',
      host: ref.host,
      label: `Downloading ${ref.name} from ${ref.pool}`,
      state: 'running',
      done: 0,
      total: size,
    };
    const abort = new AbortController();
    this.jobs.set(info.id, abort);
    const meter = new JobMeter(info, this.emit);
    meter.publish();
    void this.run(meter, stream, sink, abort.signal, settle);
    return { job: info.id, name: ref.name, size };
  }

  cancel(id: string): void {
    this.jobs.get(id)?.abort();
  }

  private async run(
    meter: JobMeter,
    stream: LibvirtStream,
    sink: Writable,
    signal: AbortSignal,
    settle?: Settle,
  ): Promise<void> {
    const info = meter.info;
    try {
      await pipeline(
        stream,
        byteCounter((b) => meter.progress(b)),
        sink,
        { signal },
      );
      // The volume's file may have changed size since it was measured: what came is the whole.
      info.total = info.done;
      await settle?.(true);
      info.state = 'done';
    } catch (e) {
      info.state = signal.aborted ? 'cancelled' : 'failed';
      if (!signal.aborted)
        info.error = `The download of ${info.label.replace(/^Downloading /, '')} failed: ${message(e)}`;
      stream.destroy();
      await settle?.(false).catch(() => undefined);
    } finally {
      this.jobs.delete(info.id);
      meter.publish();
    }
  }
}

function message(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : String(e);
}
