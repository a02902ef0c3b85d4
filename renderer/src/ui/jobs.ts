/**
 * Long jobs on screen: a progress bar (role="progressbar") with what is done, the speed, and a
 * Cancel button where the job can be cancelled; and the upload of a local file into a volume.
 */
import type { Bridge, JobInfo, UploadRole } from '../../../common/contract.js';
import { ISO_PVD_END } from '../../../common/iso9660.js';
import { formatRate, h } from './dom.js';

export interface ProgressView {
  element: HTMLElement;
  update(job: Pick<JobInfo, 'done' | 'total' | 'rate' | 'state'> & { error?: string }): void;
  /** A job with no measure of its own (creation): the bar moves without a value. */
  busy(text: string): void;
}

function size(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function progressView(
  label: string,
  onCancel?: () => void,
  cancelledText = 'Cancelled; the partial volume is removed',
): ProgressView {
  const fill = h('div', { className: 'progress-fill' });
  const bar = h(
    'div',
    { className: 'progress', role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100 },
    fill,
  );
  const text = h('span', { className: 'progress-text', 'aria-live': 'polite' });
  const cancel = onCancel ? h('button', { type: 'button', onclick: () => onCancel() }, 'Cancel') : null;
  // What the bar is for stays in sight next to how far it got: several jobs can stack up.
  const what = h('span', {}, h('span', { className: 'job-title' }, label), ' · ', text);
  const element = h('div', { className: 'job' }, bar, h('div', { className: 'job-line' }, what, cancel));
  return {
    element,
    update(job) {
      const pct = job.total > 0 ? Math.min(100, Math.floor((job.done / job.total) * 100)) : 0;
      bar.setAttribute('aria-valuenow', String(pct));
      bar.removeAttribute('data-busy');
      fill.style.width = `${pct}%`;
      const rate = job.rate ? ` · ${formatRate(job.rate)}` : '';
      const words =
        job.state === 'running'
          ? `${pct} % · ${size(job.done)} of ${size(job.total)}${rate}`
          : job.state === 'done'
            ? 'Done'
            : job.state === 'cancelled'
              ? cancelledText
              : (job.error ?? 'Failed');
      text.textContent = words;
      if (cancel) cancel.hidden = job.state !== 'running';
    },
    busy(words) {
      bar.removeAttribute('aria-valuenow');
      bar.setAttribute('data-busy', '');
      text.textContent = words;
    },
  };
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A volume name from a file's name: the characters a volume name may hold. */
export function volumeNameFor(fileName: string): string {
  return (
    fileName
      .replace(/[^A-Za-z0-9._+-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .replace(/\.\.+/g, '.') || 'upload'
  );
}

/**
 * Uploads `file` into a new volume `name` of `pool` on `host`, showing progress in `view`.
 * Rejects with the app's message when it is refused, fails or is cancelled.
 */
export async function uploadFile(
  bridge: Bridge,
  target: { host: string; pool: string; name: string; role: UploadRole },
  file: File,
  view: ProgressView,
  signal: AbortSignal,
): Promise<void> {
  if (!bridge.uploadVolume) throw new Error('This window cannot upload files');
  const head = new Uint8Array(await file.slice(0, ISO_PVD_END).arrayBuffer());
  view.update({ done: 0, total: file.size, state: 'running' });
  await bridge.uploadVolume(
    { ...target, size: file.size, head: base64(head) },
    file,
    (job) => view.update(job),
    signal,
  );
}
