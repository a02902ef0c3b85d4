/**
 * The Details panel beside the active guest's screen (which stays live): what the guest is and
 * tells about itself, its recent CPU, memory, disk and network use, and the switches that belong to
 * it (autostart, view only) with a screenshot button.
 */
import { guestKey, type Bridge, type GuestInfo, type GuestStats } from '../../../common/contract.js';
import type { GuestAgentInfo } from '../../../common/guest-devices.js';
import { formatBytes, formatRate, h } from './dom.js';
import { Sparkline } from './graphs.js';
import { hardwareDialog } from './hardware.js';
import { saveScreenshot } from './screenshot.js';
import { xmlEditorDialog } from './xml-editor.js';
import { networksDialog } from './networks.js';
import type { Store } from '../state/store.js';
import type { ConsolePool } from '../consoles/pool.js';
import type { KeyboardRouter } from '../input/keyboard.js';

type Fail = (e: unknown, title?: string) => void;

const AGENT_POLL_MS = 10_000;
const running = (g: GuestInfo): boolean => g.state === 'running' || g.state === 'paused' || g.state === 'blocked';

/** A labelled on/off switch (role="switch"); the click is handed to `toggle`. */
function switchButton(label: string, toggle: (on: boolean) => void): HTMLButtonElement {
  const b = h(
    'button',
    { type: 'button', role: 'switch', className: 'switch', 'aria-checked': 'false' },
    h('span', { className: 'switch-track', 'aria-hidden': 'true' }, h('span', { className: 'switch-thumb' })),
    h('span', { className: 'switch-label' }, label),
  );
  b.addEventListener('click', () => toggle(b.getAttribute('aria-checked') !== 'true'));
  return b;
}

export class DetailsPanel {
  readonly element = h('aside', { className: 'details-panel', 'aria-label': 'Guest details', hidden: true });
  private readonly overview = h('dl', { className: 'details-overview' });
  private readonly cpu = new Sparkline('CPU', 200, 40);
  private readonly mem = new Sparkline('Memory', 200, 40);
  private readonly disk = new Sparkline('Disk', 200, 40);
  private readonly net = new Sparkline('Network', 200, 40);
  private readonly autostart: HTMLButtonElement;
  private readonly viewOnly: HTMLButtonElement;
  private readonly shot = h('button', { type: 'button', className: 'screenshot-button' }, 'Screenshot');
  private readonly shotNote = h('p', { className: 'hint', role: 'status' });
  private guest: GuestInfo | undefined;
  private agent: GuestAgentInfo | undefined;
  private agentFor = '';
  private agentTimer: number | undefined;

  constructor(
    private readonly bridge: Bridge,
    private readonly store: Store,
    private readonly pool: ConsolePool,
    private readonly keyboard: KeyboardRouter,
    private readonly fail: Fail,
  ) {
    this.autostart = switchButton('Autostart', (on) => this.setAutostart(on));
    this.viewOnly = switchButton('View only', (on) => this.setViewOnly(on));
    this.shot.addEventListener('click', () => this.screenshot());
    this.element.append(
      h('h2', {}, 'Details'),
      this.overview,
      h('h3', {}, 'Performance'),
      h(
        'div',
        { className: 'details-graphs' },
        this.cpu.element,
        this.mem.element,
        this.disk.element,
        this.net.element,
      ),
      h('h3', {}, 'Options'),
      h('div', { className: 'details-switches' }, this.autostart, this.viewOnly),
      h(
        'div',
        { className: 'details-actions' },
        this.shot,
        h(
          'button',
          { type: 'button', onclick: () => this.guest && hardwareDialog(bridge, store, this.guest, fail) },
          'Hardware',
        ),
        h('button', { type: 'button', onclick: () => this.guest && xmlEditorDialog(bridge, this.guest) }, 'Edit XML'),
        h(
          'button',
          { type: 'button', onclick: () => this.guest && networksDialog(bridge, this.guest.host, fail) },
          'Networks',
        ),
      ),
      this.shotNote,
    );
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Opens or closes the panel; true when it is open now. */
  toggle(): boolean {
    this.element.hidden = !this.element.hidden;
    if (!this.isOpen) window.clearInterval(this.agentTimer);
    this.agentFor = '';
    return this.isOpen;
  }

  /** Shows `g` (the active guest) and its recent stats; every console gets its view-only setting. */
  render(g: GuestInfo | undefined): void {
    this.guest = g;
    for (const c of this.pool.all()) c.setViewOnly(this.store.isViewOnly(c.key));
    if (!this.isOpen) return;
    if (!g) {
      this.overview.replaceChildren(h('dd', {}, 'No guest selected'));
      return;
    }
    this.watchAgent(g);
    this.renderOverview(g);
    this.autostart.setAttribute('aria-checked', String(g.autostart));
    this.autostart.disabled = !g.persistent;
    this.viewOnly.setAttribute('aria-checked', String(this.store.isViewOnly(g.uuid)));
    this.shot.disabled = !running(g) || !g.hasVnc;
    this.renderGraphs(this.store.stats.get(g.uuid) ?? []);
  }

  private renderOverview(g: GuestInfo): void {
    const a = this.agent;
    const addresses = (a?.interfaces ?? [])
      .filter((i) => i.name !== 'lo')
      .flatMap((i) => i.addresses.map((x) => `${x} (${i.name})`));
    const row = (label: string, value: string): HTMLElement[] => [h('dt', {}, label), h('dd', {}, value)];
    const agentWord = { none: 'no agent channel', disconnected: 'not answering', connected: 'connected' };
    this.overview.replaceChildren(
      ...row('Name', g.name),
      ...row('OS', g.os ? g.os.replace(/^https?:\/\//, '') : 'not recorded in its definition'),
      ...row('State', g.busy ?? (g.reason ? `${g.state} (${g.reason})` : g.state)),
      ...row('vCPUs', `${g.vcpus} of ${g.maxVcpus}`),
      ...row('Memory', `${formatBytes(g.memoryKiB)} of ${formatBytes(g.maxMemoryKiB)}`),
      ...row('Guest agent', agentWord[g.hardware?.agent ?? a?.agent ?? 'none']),
      ...row('Hostname', a?.hostname ?? (running(g) ? 'unknown (needs the guest agent)' : '–')),
      ...row('IP addresses', addresses.length ? addresses.join(', ') : running(g) ? 'none known' : '–'),
    );
    this.overview.dataset.agentSource = a?.source ?? 'none';
  }

  private renderGraphs(history: readonly GuestStats[]): void {
    this.cpu.element.parentElement!.dataset.samples = String(history.length);
    const last = history.at(-1);
    const peak = (xs: number[]): number => Math.max(1024, ...xs);
    const cpu = history.map((s) => s.cpuPercent);
    this.cpu.draw(cpu, 100, last ? `${Math.round(last.cpuPercent)}%` : '–');
    const mem = history.map((s) => (s.memoryKiB ? (s.memoryUsedKiB / s.memoryKiB) * 100 : 0));
    this.mem.draw(mem, 100, last ? formatBytes(last.memoryUsedKiB) : '–');
    const disk = history.map((s) => s.diskReadBps + s.diskWriteBps);
    this.disk.draw(
      disk,
      peak(disk),
      last ? `${formatRate(last.diskReadBps)} r, ${formatRate(last.diskWriteBps)} w` : '–',
    );
    const net = history.map((s) => s.netRxBps + s.netTxBps);
    this.net.draw(net, peak(net), last ? `${formatRate(last.netRxBps)} in, ${formatRate(last.netTxBps)} out` : '–');
  }

  /** Asks the guest agent (or the DHCP leases) now and every few seconds while the panel is open. */
  private watchAgent(g: GuestInfo): void {
    const key = `${guestKey(g)}:${g.state}:${g.hardware?.agent ?? ''}`;
    if (key === this.agentFor) return;
    this.agentFor = key;
    this.agent = undefined;
    window.clearInterval(this.agentTimer);
    if (!running(g)) return;
    const ask = (): void => {
      this.bridge.invoke('guest.agentInfo', { host: g.host, uuid: g.uuid }).then(
        (info) => {
          if (this.guest?.uuid !== g.uuid) return;
          this.agent = info;
          if (this.isOpen) this.renderOverview(this.guest);
        },
        () => undefined,
      );
    };
    ask();
    this.agentTimer = window.setInterval(ask, AGENT_POLL_MS);
  }

  /** Per guest and remembered: the list in the settings gains or loses this guest. */
  private setViewOnly(on: boolean): void {
    const g = this.guest;
    if (!g) return;
    const key = g.uuid;
    // The console lets go of the keys held down before it stops taking input.
    this.pool.get(key)?.setViewOnly(on, on ? this.keyboard.takeHeld() : []);
    this.viewOnly.setAttribute('aria-checked', String(on));
    const viewOnly = (this.store.settings.viewOnly ?? []).filter((k) => k !== key).concat(on ? [key] : []);
    this.bridge.invoke('settings.update', { viewOnly }).catch((e: unknown) => this.fail(e));
  }

  private setAutostart(on: boolean): void {
    const g = this.guest;
    if (!g) return;
    this.bridge
      .invoke('guest.setAutostart', { host: g.host, uuid: g.uuid, enabled: on })
      .catch((e: unknown) => this.fail(e, 'Could not change autostart'));
  }

  private screenshot(): void {
    const g = this.guest;
    if (!g) return;
    this.shot.disabled = true;
    saveScreenshot(this.bridge, g).then(
      (name) => {
        this.shot.disabled = false;
        this.shotNote.textContent = `Saved ${name}`;
      },
      (e: unknown) => {
        this.shot.disabled = false;
        this.fail(e, 'Could not take a screenshot');
      },
    );
  }
}
