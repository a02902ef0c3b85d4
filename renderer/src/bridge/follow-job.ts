/**
 * A transfer the desktop's main process carries out (an upload from a picked file, a download
 * into a chosen file), followed from the page by its job events: the job's progress reaches
 * `onJob`, the promise settles when the job ends, and aborting the signal cancels it.
 */
import type { AppEvent, Bridge, JobInfo } from '../../../common/contract.js';
import { BridgeError } from '../../../common/bridge-error.js';

/**
 * Starts a job with `start` (its id, or null when the user declined) and follows it to its end;
 * resolves true when it is done, false when it never started. Events that arrive before the id
 * does (the main process announces the job as it makes it) are kept and matched afterwards.
 */
export async function followJob(
  bridge: Bridge,
  start: () => Promise<string | null>,
  cancel: (job: string) => Promise<unknown>,
  onJob: (job: JobInfo) => void,
  signal?: AbortSignal,
): Promise<boolean> {
  const early = new Map<string, JobInfo>();
  let id: string | undefined;
  let settle: ((job: JobInfo) => void) | undefined;
  const ended = new Promise<JobInfo>((resolve) => (settle = resolve));
  const seen = (job: JobInfo): void => {
    onJob(job);
    if (job.state !== 'running') settle?.(job);
  };
  const unsubscribe = bridge.subscribe(
    () => undefined,
    (ev: AppEvent) => {
      if (ev.type !== 'job') return;
      if (id === undefined) early.set(ev.job.id, ev.job);
      else if (ev.job.id === id) seen(ev.job);
    },
  );
  const onAbort = (): void => void (id !== undefined && cancel(id).catch(() => undefined));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const job = await start();
    if (job === null) return false;
    id = job;
    const before = early.get(job);
    early.clear();
    if (before) seen(before);
    if (signal?.aborted) onAbort();
    const last = await ended;
    if (last.state === 'done') return true;
    throw new BridgeError({
      code: last.state === 'cancelled' ? 'conflict' : 'libvirt',
      message: last.error ?? 'Cancelled',
    });
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}
