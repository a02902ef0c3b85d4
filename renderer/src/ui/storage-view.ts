/**
 * The Storage view of one host: its pools (capacity, allocation, free; start, stop, refresh,
 * autostart; define a directory pool) and the volumes of the chosen pool (format, sizes, which
 * guest uses each; create, download, resize, delete), and the upload of a local file into the
 * pool, each transfer with a progress bar, its speed and Cancel.
 */
import type { Bridge, PoolInfo, VolumeInfo } from '../../../common/contract.js';
import { field, showModal } from './dialogs.js';
import { formatSize, h } from './dom.js';
import { progressView, uploadFile, volumeNameFor } from './jobs.js';

type Fail = (e: unknown, title?: string) => void;

function poolRow(p: PoolInfo, chosen: boolean, act: (what: string) => void): HTMLElement {
  const running = p.state === 'running';
  const auto = h('input', { type: 'checkbox', 'aria-label': `Start ${p.name} with the host`, checked: p.autostart });
  auto.addEventListener('change', () => act(auto.checked ? 'autostart-on' : 'autostart-off'));
  return h(
    'tr',
    { 'data-pool': p.name, className: chosen ? 'chosen' : undefined },
    h('td', {}, h('button', { type: 'button', className: 'link', onclick: () => act('open') }, p.name)),
    h('td', {}, p.state),
    h('td', {}, formatSize(p.capacity)),
    h('td', {}, formatSize(p.allocation)),
    h('td', {}, formatSize(p.available)),
    h('td', {}, auto),
    h(
      'td',
      {},
      running
        ? h('button', { type: 'button', onclick: () => act('stop') }, 'Stop')
        : h('button', { type: 'button', onclick: () => act('start') }, 'Start'),
      running ? h('button', { type: 'button', onclick: () => act('refresh') }, 'Refresh') : null,
    ),
  );
}

type VolumeAction = 'download' | 'resize' | 'delete';

function volumeRow(v: VolumeInfo, act: (what: VolumeAction) => void): HTMLElement {
  return h(
    'tr',
    { 'data-volume': v.name },
    h('td', {}, v.name),
    h('td', {}, v.format),
    h('td', {}, formatSize(v.capacity)),
    h('td', {}, formatSize(v.allocation)),
    h('td', {}, v.usedBy.join(', ') || '—'),
    h(
      'td',
      { className: 'actions' },
      h(
        'button',
        { type: 'button', 'aria-label': `Download volume ${v.name}`, onclick: () => act('download') },
        'Download',
      ),
      h('button', { type: 'button', 'aria-label': `Resize volume ${v.name}`, onclick: () => act('resize') }, 'Resize'),
      h(
        'button',
        {
          type: 'button',
          'aria-label': `Delete volume ${v.name}`,
          disabled: v.usedBy.length > 0,
          title: v.usedBy.length ? `${v.usedBy.join(', ')} uses it` : undefined,
          onclick: () => act('delete'),
        },
        'Delete',
      ),
    ),
  );
}

function table(headers: string[], rows: HTMLElement[], label: string): HTMLElement {
  return h(
    'table',
    { className: 'grid', 'aria-label': label },
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows),
  );
}

class StorageView {
  private pools: PoolInfo[] = [];
  private chosen: string | undefined;
  readonly poolsBox = h('div', { className: 'pools' });
  readonly volumesBox = h('div', { className: 'volumes' });
  readonly uploadBox = h('div', { className: 'upload' });
  /** The volume whose resize form is open (a row under the volume's own), kept across refreshes. */
  private resizing: { volume: string; row: HTMLElement } | undefined;
  /** Upload progress stays across the view's refreshes. */
  private readonly jobs = h('div', { className: 'jobs' });
  private uploadFor: string | undefined;

  constructor(
    private readonly bridge: Bridge,
    private readonly host: string,
    private readonly fail: Fail,
  ) {}

  async refresh(): Promise<void> {
    try {
      this.pools = await this.bridge.invoke('storage.pools', { host: this.host });
    } catch (e) {
      this.fail(e, 'Could not list the storage pools');
      return;
    }
    if (!this.chosen || !this.pools.some((p) => p.name === this.chosen)) this.chosen = this.pools[0]?.name;
    this.poolsBox.replaceChildren(
      this.pools.length
        ? table(
            ['Pool', 'State', 'Capacity', 'Allocation', 'Free', 'Autostart', ''],
            this.pools.map((p) => poolRow(p, p.name === this.chosen, (what) => void this.poolAction(p, what))),
            'Storage pools',
          )
        : h('p', {}, 'This host has no storage pools yet: define one below.'),
    );
    await this.showVolumes();
  }

  private async poolAction(p: PoolInfo, what: string): Promise<void> {
    const ref = { host: this.host, pool: p.name };
    try {
      if (what === 'open') this.chosen = p.name;
      else if (what === 'start') await this.bridge.invoke('storage.poolStart', ref);
      else if (what === 'stop') await this.bridge.invoke('storage.poolStop', ref);
      else if (what === 'refresh') await this.bridge.invoke('storage.poolRefresh', ref);
      else await this.bridge.invoke('storage.poolAutostart', { ...ref, enabled: what === 'autostart-on' });
    } catch (e) {
      this.fail(e);
    }
    await this.refresh();
  }

  private async showVolumes(): Promise<void> {
    const pool = this.pools.find((p) => p.name === this.chosen);
    if (!pool || pool.state !== 'running') {
      this.volumesBox.replaceChildren(h('p', {}, pool ? `${pool.name} is not running.` : ''));
      return;
    }
    let vols: VolumeInfo[];
    try {
      vols = await this.bridge.invoke('storage.volumes', { host: this.host, pool: pool.name });
    } catch (e) {
      this.fail(e);
      return;
    }
    const act = (v: VolumeInfo, what: VolumeAction): void => {
      if (what === 'download') void this.download(v);
      else if (what === 'resize') this.openResize(v);
      else void this.remove(v);
    };
    this.volumesBox.replaceChildren(
      h('h3', {}, `Volumes in ${pool.name}`),
      vols.length
        ? table(
            ['Volume', 'Format', 'Capacity', 'Allocation', 'Used by', ''],
            vols.map((v) => volumeRow(v, (what) => act(v, what))),
            `Volumes in ${pool.name}`,
          )
        : h('p', {}, 'No volumes.'),
      this.createForm(pool.name),
    );
    const resizing = this.resizing && vols.find((v) => v.name === this.resizing?.volume);
    if (resizing) this.openResize(resizing, this.resizing?.row);
    else this.resizing = undefined;
    // The upload form stays while its pool does: a file chosen in it must not be lost to a refresh.
    if (this.uploadFor !== pool.name) {
      this.uploadFor = pool.name;
      this.uploadBox.replaceChildren(this.uploadForm(pool.name), this.jobs);
    }
  }

  private async remove(v: VolumeInfo): Promise<void> {
    try {
      await this.bridge.invoke('storage.volumeDelete', { host: this.host, pool: v.pool, name: v.name });
    } catch (e) {
      this.fail(e, `Could not delete ${v.name}`);
    }
    await this.refresh();
  }

  private async download(v: VolumeInfo): Promise<void> {
    if (!this.bridge.downloadVolume) return this.fail('This window cannot download volumes');
    const ac = new AbortController();
    const view = progressView(`Downloading ${v.name}`, () => ac.abort(), 'Cancelled; nothing was saved');
    view.busy(`Downloading ${v.name}…`);
    this.jobs.append(view.element);
    try {
      const ref = { host: this.host, pool: v.pool, name: v.name };
      const saved = await this.bridge.downloadVolume(ref, (job) => view.update(job), ac.signal);
      if (!saved) view.element.remove();
    } catch (e) {
      const message = String((e as Error).message ?? e);
      view.update({ done: 0, total: 1, state: ac.signal.aborted ? 'cancelled' : 'failed', error: message });
      if (!ac.signal.aborted) this.fail(e, `Could not download ${v.name}`);
    }
  }

  /** Opens (or re-places, after a refresh) the resize row under volume `v`'s row. */
  private openResize(v: VolumeInfo, row = this.resizeRow(v)): void {
    this.resizing?.row.remove();
    this.resizing = { volume: v.name, row };
    const rows = [...this.volumesBox.querySelectorAll<HTMLElement>('tr[data-volume]')];
    rows.find((r) => r.dataset.volume === v.name)?.after(row);
    row.querySelector('input')?.focus();
  }

  private closeResize(): void {
    this.resizing?.row.remove();
    this.resizing = undefined;
  }

  /** A size field and a Resize button for one volume; volumes only grow. */
  private resizeRow(v: VolumeInfo): HTMLElement {
    const gib = h('input', { type: 'number', min: 0, step: 'any', value: +(v.capacity / 2 ** 30).toFixed(2) });
    const go = async (): Promise<void> => {
      const capacity = Math.round(Number(gib.value) * 2 ** 30);
      try {
        await this.bridge.invoke('storage.volumeResize', { host: this.host, pool: v.pool, name: v.name, capacity });
        this.closeResize();
      } catch (e) {
        this.fail(e, `Could not resize ${v.name}`);
      }
      await this.refresh();
    };
    return h(
      'tr',
      { className: 'resize-row' },
      h(
        'td',
        { colspan: 6 },
        h(
          'div',
          { className: 'row', role: 'group', 'aria-label': `Resize ${v.name}` },
          field(`New size of ${v.name} (GiB)`, gib),
          h('button', { type: 'button', onclick: () => void go() }, 'Resize'),
          h('button', { type: 'button', onclick: () => this.closeResize() }, 'Cancel'),
        ),
      ),
    );
  }

  private createForm(pool: string): HTMLElement {
    const name = h('input', { type: 'text', placeholder: 'disk.qcow2' });
    const format = h('select', {}, h('option', { value: 'qcow2' }, 'qcow2'), h('option', { value: 'raw' }, 'raw'));
    const gib = h('input', { type: 'number', min: 1, value: 20 });
    const go = async (): Promise<void> => {
      try {
        await this.bridge.invoke('storage.volumeCreate', {
          host: this.host,
          pool,
          name: name.value.trim(),
          format: format.value as 'qcow2' | 'raw',
          capacity: Math.round(Number(gib.value) * 2 ** 30),
        });
      } catch (e) {
        this.fail(e, 'Could not create the volume');
      }
      await this.refresh();
    };
    return h(
      'div',
      { className: 'row' },
      field('New volume', name),
      field('Format', format),
      field('Size (GiB)', gib),
      h('button', { type: 'button', onclick: () => void go() }, 'Create volume'),
    );
  }

  private uploadForm(pool: string): HTMLElement {
    const file = h('input', { type: 'file', 'aria-label': 'File to upload' });
    const role = h(
      'select',
      { 'aria-label': 'Kind of file' },
      h('option', { value: 'iso' }, 'Installer ISO'),
      h('option', { value: 'disk' }, 'Disk image'),
    );
    const jobs = this.jobs;
    const go = async (): Promise<void> => {
      const f = file.files?.[0];
      if (!f) return this.fail('Choose a file to upload first');
      const ac = new AbortController();
      const view = progressView(`Uploading ${f.name}`, () => ac.abort());
      jobs.append(view.element);
      try {
        const target = { host: this.host, pool, name: volumeNameFor(f.name), role: role.value as 'iso' | 'disk' };
        await uploadFile(this.bridge, target, f, view, ac.signal);
      } catch (e) {
        view.update({
          done: 0,
          total: 1,
          state: ac.signal.aborted ? 'cancelled' : 'failed',
          error: String((e as Error).message ?? e),
        });
        if (!ac.signal.aborted) this.fail(e, `Could not upload ${f.name}`);
      }
      await this.refresh();
    };
    return h(
      'div',
      {},
      h('h3', {}, `Upload into ${pool}`),
      h('div', { className: 'row' }, file, role, h('button', { type: 'button', onclick: () => void go() }, 'Upload')),
    );
  }

  defineForm(): HTMLElement {
    const name = h('input', { type: 'text', placeholder: 'isos' });
    const path = h('input', { type: 'text', placeholder: '/var/lib/libvirt/isos' });
    const go = async (): Promise<void> => {
      try {
        const p = await this.bridge.invoke('storage.poolDefineDir', {
          host: this.host,
          name: name.value.trim(),
          path: path.value.trim(),
        });
        this.chosen = p.name;
      } catch (e) {
        this.fail(e, 'Could not define the pool');
      }
      await this.refresh();
    };
    return h(
      'details',
      {},
      h('summary', {}, 'Define a directory pool'),
      h(
        'div',
        { className: 'row' },
        field('Pool name', name),
        field('Folder on the host', path),
        h('button', { type: 'button', onclick: () => void go() }, 'Define pool'),
      ),
    );
  }
}

/** Opens the Storage view of `host`. */
export function storageDialog(bridge: Bridge, host: string, fail: Fail): void {
  const view = new StorageView(bridge, host, fail);
  showModal({
    title: `Storage on ${host}`,
    testid: 'storage',
    wide: true,
    body: [view.poolsBox, view.defineForm(), view.volumesBox, view.uploadBox],
  });
  void view.refresh();
}
