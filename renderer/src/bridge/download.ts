/**
 * Carrying a volume to the user's disk over the serve shell: the bytes come on a WebSocket of
 * their own (the secret in its handshake, as on every channel), after a first message saying how
 * many there will be; the page counts them for the progress bar and, once "end" arrives, hands
 * them to the browser's own downloads as a file. Closing the socket cancels the download.
 */
import type { JobInfo, VolumeRef } from '../../../common/contract.js';
import { BridgeError } from '../../../common/bridge-error.js';

interface Start {
  job: string;
  name: string;
  size: number;
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

export function downloadOverWebSocket(
  socket: WebSocket,
  ref: VolumeRef,
  onJob: (job: JobInfo) => void,
  signal?: AbortSignal,
  save: (blob: Blob, name: string) => void = saveBlob,
): Promise<boolean> {
  socket.binaryType = 'arraybuffer';
  const chunks: ArrayBuffer[] = [];
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
      onJob(job(code === 'conflict' ? 'cancelled' : 'failed', message));
      reject(new BridgeError({ code, message }));
    };
    const onAbort = (): void => {
      socket.close();
      fail('conflict', 'The download was cancelled');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.onmessage = (ev: MessageEvent) => {
      if (finished) return;
      if (ev.data instanceof ArrayBuffer) {
        chunks.push(ev.data);
        done += ev.data.byteLength;
        onJob(job('running'));
        return;
      }
      if (ev.data !== 'end') {
        const first = JSON.parse(String(ev.data)) as Start | { error: string };
        if ('error' in first) return fail('libvirt', first.error);
        start = first;
        onJob(job('running'));
        return;
      }
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      save(new Blob(chunks, { type: 'application/octet-stream' }), start?.name ?? ref.name);
      onJob({ ...job('done'), total: done });
      resolve(true);
    };
    socket.onclose = (ev: CloseEvent) =>
      fail('libvirt', `The download of ${ref.name} stopped before its end${ev.reason ? `: ${ev.reason}` : ''}`);
  });
}
