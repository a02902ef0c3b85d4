/**
 * The New guest dialog: everything on one screen with sensible defaults. Install source (an ISO
 * volume, uploaded right here if need be; an existing disk image; network boot; nothing), the
 * operating system (detected from the ISO where the OS database knows it, else searched for),
 * memory, vCPUs, disk, network, firmware, TPM and name; "Customize before install" shows the XML.
 * Create defines and starts the guest and hands it to the stage.
 */
import type {
  Bridge,
  GuestRef,
  HostInfo,
  NewGuestDefaults,
  NewGuestRequest,
  OsChoice,
} from '../../../common/contract.js';
import { field, showModal, type Modal } from './dialogs.js';
import { h } from './dom.js';
import { progressView, uploadFile, volumeNameFor } from './jobs.js';

type Fail = (e: unknown, title?: string) => void;

const opt = (value: string, text: string): HTMLOptionElement => h('option', { value }, text);

class NewGuestForm {
  readonly host = h('select', { 'aria-label': 'Host' });
  readonly source = h('select', { 'aria-label': 'Install source' });
  readonly osSearch = h('input', { type: 'search', 'aria-label': 'Search operating systems', placeholder: 'Search…' });
  readonly os = h('select', { 'aria-label': 'Operating system' });
  readonly detected = h('small', { className: 'detected', 'aria-live': 'polite' });
  readonly memory = h('input', { type: 'number', min: 64, step: 64, 'aria-label': 'Memory (MiB)' });
  readonly vcpus = h('input', { type: 'number', min: 1, 'aria-label': 'vCPUs' });
  readonly disk = h('input', { type: 'number', min: 0, step: 1, 'aria-label': 'Disk (GiB)' });
  readonly diskPool = h('select', { 'aria-label': 'Disk pool' });
  readonly network = h('select', { 'aria-label': 'Network' });
  readonly bridgeName = h('input', { type: 'text', 'aria-label': 'Bridge', placeholder: 'br0', hidden: true });
  readonly firmware = h('select', { 'aria-label': 'Firmware' }, opt('bios', 'BIOS'), opt('uefi', 'UEFI'));
  readonly secureBoot = h('input', { type: 'checkbox', 'aria-label': 'Secure Boot' });
  readonly tpm = h('input', { type: 'checkbox', 'aria-label': 'TPM 2.0' });
  readonly emulate = h('input', { type: 'checkbox', 'aria-label': 'Emulate (no KVM)' });
  readonly name = h('input', { type: 'text', 'aria-label': 'Name', autocomplete: 'off' });
  readonly customize = h('input', { type: 'checkbox', 'aria-label': 'Customize before install' });
  readonly xml = h('textarea', { 'aria-label': 'Domain XML', rows: 16, spellcheck: 'false', hidden: true });
  readonly notices = h('ul', { className: 'notices', 'aria-live': 'polite' });
  readonly error = h('p', { className: 'inline-error', role: 'alert', 'data-testid': 'error', hidden: true });
  readonly uploadFile = h('input', { type: 'file', 'aria-label': 'ISO to upload', accept: '.iso' });
  readonly uploadPool = h('select', { 'aria-label': 'Upload into pool' });
  readonly jobs = h('div', { className: 'jobs' });
  nameTouched = false;

  request(): NewGuestRequest {
    const [kind, rest = ''] = this.source.value.split(':');
    const [pool = '', volume = ''] = rest.split('/');
    const source: NewGuestRequest['source'] =
      kind === 'iso' || kind === 'import' ? { kind, pool, volume } : { kind: kind === 'network' ? 'network' : 'none' };
    const [nk, ns = ''] = this.network.value.split(':');
    const network: NewGuestRequest['network'] =
      nk === 'network'
        ? { kind: 'network', source: ns }
        : nk === 'bridge'
          ? { kind: 'bridge', source: this.bridgeName.value.trim() }
          : { kind: 'none' };
    const req: NewGuestRequest = {
      host: this.host.value,
      name: this.name.value.trim(),
      osId: this.os.value,
      source,
      memoryMiB: Number(this.memory.value),
      vcpus: Number(this.vcpus.value),
      diskGiB: Number(this.disk.value),
      diskPool: this.diskPool.value,
      network,
      firmware: this.firmware.value as 'bios' | 'uefi',
      secureBoot: this.secureBoot.checked,
      tpm: this.tpm.checked,
      emulate: this.emulate.checked,
    };
    if (this.customize.checked && this.xml.value.trim()) req.xml = this.xml.value;
    return req;
  }

  fillOses(list: OsChoice[], keep?: string): void {
    const current = keep ?? this.os.value;
    this.os.replaceChildren(...list.map((o) => opt(o.id, o.name)));
    if (list.some((o) => o.id === current)) this.os.value = current;
  }

  applyDefaults(d: NewGuestDefaults): void {
    this.memory.value = String(d.os.memoryMiB);
    this.vcpus.value = String(d.os.vcpus);
    if (this.source.value.startsWith('import:')) this.disk.value = '0';
    else this.disk.value = String(d.os.diskGiB);
    this.firmware.value = d.firmware;
    this.secureBoot.checked = d.secureBoot;
    this.tpm.checked = d.tpm;
    if (!d.kvm) {
      this.emulate.checked = true;
      this.emulate.disabled = true;
    }
    if (!this.nameTouched) this.name.value = d.name;
    const pools = d.pools.filter((p) => p.state === 'running');
    for (const sel of [this.diskPool, this.uploadPool]) {
      const keep = sel.value;
      sel.replaceChildren(
        ...pools.map((p) => opt(p.name, `${p.name} (${(p.available / 2 ** 30).toFixed(1)} GiB free)`)),
      );
      if (pools.some((p) => p.name === keep)) sel.value = keep;
    }
    const netKeep = this.network.value;
    this.network.replaceChildren(
      ...d.networks.map((n) => opt(`network:${n}`, `Virtual network ${n}`)),
      opt('bridge', 'Host bridge…'),
      opt('none', 'No network'),
    );
    if ([...this.network.options].some((o) => o.value === netKeep)) this.network.value = netKeep;
    this.notices.replaceChildren(...d.notices.map((n) => h('li', {}, n)));
  }

  showError(message: string | undefined): void {
    this.error.hidden = !message;
    this.error.textContent = message ?? '';
  }
}

export class NewGuestDialog {
  private readonly f = new NewGuestForm();
  private modal: Modal | undefined;
  private osAll: OsChoice[] = [];

  constructor(
    private readonly bridge: Bridge,
    private readonly hosts: HostInfo[],
    private readonly activate: (ref: GuestRef) => void,
    private readonly fail: Fail,
  ) {}

  open(preferredHost?: string): void {
    const f = this.f;
    const connected = this.hosts.filter((x) => x.status === 'connected');
    f.host.replaceChildren(...connected.map((x) => opt(x.uri, x.uri)));
    if (preferredHost && connected.some((x) => x.uri === preferredHost)) f.host.value = preferredHost;
    const create = h('button', { type: 'button', className: 'primary', onclick: () => void this.create() }, 'Create');
    this.modal = showModal({ title: 'New guest', testid: 'new-guest', wide: true, body: this.layout(create) });
    this.wire();
    void this.loadHost();
  }

  private layout(create: HTMLElement): Node[] {
    const f = this.f;
    const upload = h('button', { type: 'button', onclick: () => void this.upload() }, 'Upload');
    return [
      h('div', { className: 'form-grid' }, field('Host', f.host), field('Install source', f.source)),
      h('div', { className: 'row' }, f.uploadFile, f.uploadPool, upload),
      f.jobs,
      h('div', { className: 'form-grid' }, field('Search', f.osSearch), field('Operating system', f.os, ' ')),
      f.detected,
      h(
        'div',
        { className: 'form-grid' },
        field('Memory (MiB)', f.memory),
        field('vCPUs', f.vcpus),
        field('Disk (GiB)', f.disk),
        field('Disk pool', f.diskPool),
        field('Network', f.network),
        f.bridgeName,
        field('Firmware', f.firmware),
        field('Name', f.name),
      ),
      h(
        'div',
        { className: 'row' },
        h('label', {}, f.secureBoot, 'Secure Boot'),
        h('label', {}, f.tpm, 'TPM 2.0'),
        h('label', {}, f.emulate, 'Emulate (no KVM)'),
      ),
      f.notices,
      h('label', {}, f.customize, 'Customize before install'),
      f.xml,
      f.error,
      h('div', { className: 'buttons' }, create),
    ];
  }

  private wire(): void {
    const f = this.f;
    f.host.addEventListener('change', () => void this.loadHost());
    f.os.addEventListener('change', () => void this.defaults());
    f.emulate.addEventListener('change', () => void this.defaults());
    f.name.addEventListener('input', () => (f.nameTouched = true));
    f.network.addEventListener('change', () => (f.bridgeName.hidden = f.network.value !== 'bridge'));
    f.source.addEventListener('change', () => void this.detect());
    f.osSearch.addEventListener('input', () => {
      const q = f.osSearch.value.toLowerCase().split(/\s+/).filter(Boolean);
      f.fillOses(this.osAll.filter((o) => q.every((w) => o.name.toLowerCase().includes(w))));
    });
    f.customize.addEventListener('change', () => void this.preview());
  }

  private async loadHost(): Promise<void> {
    const f = this.f;
    try {
      if (!this.osAll.length) this.osAll = await this.bridge.invoke('guests.osList', {});
      f.fillOses(this.osAll, f.os.value || 'generic-linux');
      await this.loadSources();
      await this.defaults();
    } catch (e) {
      f.showError(e instanceof Error ? e.message : String(e));
    }
  }

  private async loadSources(select?: string): Promise<void> {
    const f = this.f;
    const host = f.host.value;
    const pools = (await this.bridge.invoke('storage.pools', { host })).filter((p) => p.state === 'running');
    const options: HTMLOptionElement[] = [];
    for (const p of pools) {
      for (const v of await this.bridge.invoke('storage.volumes', { host, pool: p.name })) {
        const iso = v.format === 'iso' || /\.iso$/i.test(v.name);
        options.push(
          opt(`${iso ? 'iso' : 'import'}:${p.name}/${v.name}`, `${iso ? 'ISO' : 'Import disk'}: ${p.name}/${v.name}`),
        );
      }
    }
    f.source.replaceChildren(...options, opt('network', 'Network boot (PXE)'), opt('none', 'No install media'));
    const firstIso = options.find((o) => o.value.startsWith('iso:'));
    f.source.value = select ?? firstIso?.value ?? 'none';
    if (f.source.value.startsWith('iso:')) await this.detect();
  }

  private async detect(): Promise<void> {
    const f = this.f;
    const [kind, rest = ''] = f.source.value.split(':');
    f.detected.textContent = '';
    if (kind !== 'iso') return void this.defaults();
    const [pool = '', name = ''] = rest.split('/');
    try {
      const found = await this.bridge.invoke('guests.detectVolume', { host: f.host.value, pool, name });
      if (found[0]) {
        if (![...f.os.options].some((o) => o.value === found[0]!.id)) f.fillOses(this.osAll);
        f.os.value = found[0].id;
        f.detected.textContent = `Detected: ${found
          .map((o) => o.name)
          .slice(0, 3)
          .join(' or ')}`;
      } else f.detected.textContent = 'Not recognised: choose the operating system from the list';
    } catch (e) {
      f.detected.textContent = `Could not read the ISO: ${e instanceof Error ? e.message : String(e)}`;
    }
    await this.defaults();
  }

  private async defaults(): Promise<void> {
    const f = this.f;
    try {
      const d = await this.bridge.invoke('guests.newDefaults', {
        host: f.host.value,
        osId: f.os.value || 'generic-linux',
        emulate: f.emulate.checked,
      });
      f.applyDefaults(d);
      f.showError(undefined);
    } catch (e) {
      f.showError(e instanceof Error ? e.message : String(e));
    }
  }

  private async preview(): Promise<void> {
    const f = this.f;
    f.xml.hidden = !f.customize.checked;
    if (!f.customize.checked) return;
    try {
      const r = await this.bridge.invoke('guests.previewXml', { ...f.request(), xml: undefined } as NewGuestRequest);
      f.xml.value = r.xml;
    } catch (e) {
      f.showError(e instanceof Error ? e.message : String(e));
    }
  }

  private async upload(): Promise<void> {
    const f = this.f;
    const file = f.uploadFile.files?.[0];
    if (!file) return f.showError('Choose an ISO file to upload first');
    const ac = new AbortController();
    const view = progressView(`Uploading ${file.name}`, () => ac.abort());
    f.jobs.replaceChildren(view.element);
    const target = {
      host: f.host.value,
      pool: f.uploadPool.value,
      name: volumeNameFor(file.name),
      role: 'iso' as const,
    };
    try {
      await uploadFile(this.bridge, target, file, view, ac.signal);
      await this.loadSources(`iso:${target.pool}/${target.name}`);
      f.showError(undefined);
    } catch (e) {
      view.update({
        done: 0,
        total: 1,
        state: ac.signal.aborted ? 'cancelled' : 'failed',
        error: e instanceof Error ? e.message : String(e),
      });
      if (!ac.signal.aborted) f.showError(e instanceof Error ? e.message : String(e));
    }
  }

  private async create(): Promise<void> {
    const f = this.f;
    const view = progressView('Creating the guest');
    view.busy('Creating the guest…');
    f.jobs.replaceChildren(view.element);
    try {
      const made = await this.bridge.invoke('guests.create', f.request());
      this.modal?.close(true);
      this.activate({ host: made.host, uuid: made.uuid });
    } catch (e) {
      f.jobs.replaceChildren();
      f.showError(e instanceof Error ? e.message : String(e));
    }
  }
}
