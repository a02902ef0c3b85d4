/**
 * Carrying a volume to the user's disk over the serve shell: the bytes come on a WebSocket of
 * their own (the secret in its handshake, as on every channel), after a first message saying how
 * many there will be; the page counts them for the progress bar. Where the browser lets a page
 * write a file the user picked (the File System Access API), they stream straight to it, so a
 * disk image never has to fit in memory; elsewhere they are kept and handed to the browser's own
 * downloads once "end" arrives. Closing the socket cancels the download.
 */
import type { JobInfo, VolumeRef } from '../../../common/contract.js';
import { BridgeError } from '../../../common/bridge-error.js';

interface Start {
  job: string;
  name: string;
  size: number;
}

/** Where the bytes go as they come. */
export interface DownloadSink {
  write(chunk: ArrayBuffer): void;
  /** Why writing failed, once it has (the download then stops). */
  readonly error: Error | undefined;
  /** Every byte is there: make it the file named `name`. */
  finish(name: string): Promise<void>;
  /** Stopped before the end: drop what came. */
  abort(): void;
}

/** Hands the bytes to the browser as a downloaded file named `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has read the URL by the time a minute is over.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Keeps the bytes, then saves them as one file through the browser's downloads. */
export function memorySink(save: (blob: Blob, name: string) => void = saveBlob): DownloadSink {
  let chunks: ArrayBuffer[] = [];
  return {
    error: undefined,
    write: (chunk) => void chunks.push(chunk),
    finish: async (name) => save(new Blob(chunks, { type: 'application/octet-stream' }), name),
    abort: () => void (chunks = []),
  };
}

/** Writes the bytes, in order, into a file the user picked; aborting leaves the file as it was. */
export function fileSink(file: FileSystemWritableFileStream): DownloadSink {
  let chain = Promise.resolve();
  const sink = {
    error: undefined as Error | undefined,
    write(chunk: ArrayBuffer) {
      chain = chain
        .then(() => (sink.error ? undefined : file.write(chunk)))
        .catch((e: unknown) => {
          sink.error ??= e instanceof Error ? e : new Error(String(e));
        });
    },
    async finish() {
      await chain;
      if (sink.error) throw sink.error;
      await file.close();
    },
    abort: () => void chain.then(() => file.abort()).catch(() => undefined),
  };
  return sink;
}

interface SavePickerWindow {
  showSaveFilePicker?(options: { suggestedName: string }): Promise<FileSystemFileHandle>;
}

/**
 * A file the user picks to stream the download into, where the browser offers that; undefined
 * where it does not or may not (then the bytes go through memory); null when the user declined. Must run
 * at the click, before anything is awaited: the picker needs the user's gesture.
 */
export async function pickSaveFile(name: string, win: object = window): Promise<DownloadSink | null | undefined> {
  const picker = (win as SavePickerWindow).showSaveFilePicker;
  if (typeof picker !== 'function') return undefined;
  let handle: FileSystemFileHandle;
  try {
    handle = await picker.call(win, { suggestedName: name });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return null;
    // Not allowed here (a frame, no gesture): the browser's downloads still work.
    return undefined;
  }
  return fileSink(await handle.createWritable());
}

export function downloadOverWebSocket(
  socket: WebSocket,
  ref: VolumeRef,
  onJob: (job: JobInfo) => void,
  signal?: AbortSignal,
  sink: DownloadSink = memorySink(),
): Promise<boolean> {
  socket.binaryType = 'arraybuffer';
  const began = Date.now();
  let start: Start | undefined;
  let done = 0;
  let finished = false;
  const job = (state: JobInfo['state'], error?: string): JobInfo => ({
    id: start?.job ?? '',
    kind: 'download',
    host: ref.host,
    label: `Downloading ${ref.name} from ${ref.pool}`,
    state,
    done,
    total: start?.size ?? 0,
    rate: Math.round((done * 1000) / Math.max(1, Date.now() - began)),
    ...(error ? { error } : {}),
  });
  return new Promise<boolean>((resolve, reject) => {
    const fail = (code: 'conflict' | 'libvirt', message: string): void => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      sink.abort();
      onJob(job(code === 'conflict' ? 'cancelled' : 'failed', message));
      reject(new BridgeError({ code, message }));
    };
    const onAbort = (): void => fail('conflict', 'The download was cancelled');
    const end = async (): Promise<void> => {
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      try {
        await sink.finish(start?.name ?? ref.name);
      } catch (e) {
        finished = false;
        return fail('libvirt', `Could not save ${ref.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
      onJob({ ...job('done'), total: done });
      resolve(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.onmessage = (ev: MessageEvent) => {
      if (finished) return;
      if (ev.data instanceof ArrayBuffer) {
        sink.write(ev.data);
        done += ev.data.byteLength;
        if (sink.error) return fail('libvirt', `Could not save ${ref.name}: ${sink.error.message}`);
        onJob(job('running'));
        return;
      }
      if (ev.data === 'end') return void end();
      const first = JSON.parse(String(ev.data)) as Start | { error: string };
      if ('error' in first) return fail('libvirt', first.error);
      start = first;
      onJob(job('running'));
    };
    socket.onclose = (ev: CloseEvent) =>
      fail('libvirt', `The download of ${ref.name} stopped before its end${ev.reason ? `: ${ev.reason}` : ''}`);
  });
}
