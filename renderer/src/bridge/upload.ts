/**
 * Carrying a local file into a volume upload over the serve shell: the upload is begun (and
 * checked) by a command, then the file goes in 1 MiB binary messages on its own WebSocket, never
 * more than a few MiB ahead of the network; "end" says it is all there. Progress comes back as
 * the job's events on the API channel.
 */
import type { AppEvent, Bridge, JobInfo, UploadParams } from '../../../common/contract.js';
import { BridgeError } from '../../../common/bridge-error.js';

const CHUNK = 1 << 20;
const AHEAD = 8 << 20;

export async function uploadOverWebSocket(
  bridge: Bridge,
  openSocket: (job: string) => WebSocket,
  params: UploadParams,
  file: Blob,
  onJob: (job: JobInfo) => void,
  signal?: AbortSignal,
): Promise<void> {
  const { job } = await bridge.invoke('storage.uploadBegin', params);
  return new Promise<void>((resolve, reject) => {
    const ws = openSocket(job);
    ws.binaryType = 'arraybuffer';
    const onAbort = (): void => {
      void bridge.invoke('storage.uploadCancel', { job }).catch(() => undefined);
      ws.close();
    };
    const unsubscribe = bridge.subscribe(
      () => undefined,
      (ev: AppEvent) => {
        if (ev.type !== 'job' || ev.job.id !== job) return;
        onJob(ev.job);
        if (ev.job.state === 'running') return;
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        if (ev.job.state === 'done') resolve();
        else
          reject(
            new BridgeError({
              code: ev.job.state === 'cancelled' ? 'conflict' : 'libvirt',
              message: ev.job.error ?? 'The upload was cancelled; its partial volume is removed',
            }),
          );
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.onopen = async () => {
      for (let at = 0; at < file.size; at += CHUNK) {
        if (ws.readyState !== WebSocket.OPEN) return;
        const bytes = await file.slice(at, at + CHUNK).arrayBuffer();
        while (ws.bufferedAmount > AHEAD && ws.readyState === WebSocket.OPEN)
          await new Promise((r) => setTimeout(r, 5));
        ws.send(bytes);
      }
      if (ws.readyState === WebSocket.OPEN) ws.send('end');
    };
  });
}
