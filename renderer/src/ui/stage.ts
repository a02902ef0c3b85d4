/**
 * The stage: the active guest's console fills it; above it the toolbar for that guest; over it,
 * when there is nothing to show, a calm message and the one thing to do (a big Start for a guest
 * that is off).
 */
import type { GuestAction, GuestInfo, HostInfo, Scaling } from '../../../common/contract.js';
import { SEND_KEY_COMBOS } from '../../../common/keycodes.js';
import type { VncConsole } from '../consoles/vnc-console.js';
import { actionsFor, ACTION_LABELS } from './actions.js';
import { h, icon, iconButton, formatBytes } from './dom.js';
import { Sparkline } from './graphs.js';

export type Tool =
  | 'send-keys'
  | 'type-text'
  | 'serial'
  | 'snapshots'
  | 'resources'
  | 'scan'
  | 'osd'
  | 'fullscreen'
  | 'settings'
  | 'strip'
  | 'screenshot'
  | 'clone';

const SCALING_LABELS: Record<Scaling, string> = {
  fit: 'Fit the window',
  actual: '1:1 (scroll)',
  resize: 'Resize the guest to the window',
};

export interface StageHooks {
  action(a: GuestAction): void;
  tool(t: Tool): void;
  sendKeys(keys: readonly string[]): void;
  scaling(s: Scaling): void;
  reconnect(): void;
}

export class Stage {
  readonly element = h('main', { className: 'stage', 'data-testid': 'stage' });
  /** Consoles live here, stacked; the active one is on top. */
  readonly screen = h('div', { className: 'screen' });
  readonly serialPanel = h('div', { className: 'serial-panel', hidden: true });
  private readonly toolbar = h('div', { className: 'toolbar', role: 'toolbar', 'aria-label': 'Guest controls' });
  private readonly overlay = h('div', { className: 'overlay', role: 'status', 'aria-live': 'polite' });
  private readonly cpuGraph = new Sparkline('CPU');
  private readonly memGraph = new Sparkline('Mem');
  private readonly statsBox = h('div', { className: 'stats-box', 'aria-label': 'CPU and memory use' });
  private toolbarSig = '';
  scanning = false;
  serialOpen = false;

  constructor(private readonly hooks: StageHooks) {
    this.screen.append(this.overlay);
    this.statsBox.append(this.cpuGraph.element, this.memGraph.element);
    this.element.append(this.toolbar, h('div', { className: 'screen-wrap' }, this.screen, this.serialPanel));
  }

  setActiveAttributes(g: GuestInfo | undefined): void {
    if (g) {
      this.element.dataset.activeUuid = g.uuid;
      this.element.dataset.activeName = g.name;
      this.element.dataset.activeHost = g.host;
    } else {
      delete this.element.dataset.activeUuid;
      delete this.element.dataset.activeName;
      delete this.element.dataset.activeHost;
    }
  }

  render(
    g: GuestInfo | undefined,
    c: VncConsole | undefined,
    host: HostInfo | undefined,
    scaling: Scaling,
    nothingAtAll: string | undefined,
  ): void {
    this.renderToolbar(g, scaling);
    this.renderOverlay(g, c, host, nothingAtAll);
  }

  private renderToolbar(g: GuestInfo | undefined, scaling: Scaling): void {
    const acts = g ? actionsFor(g) : [];
    const sig = JSON.stringify([
      g?.uuid,
      g?.name,
      g?.state,
      g?.busy,
      g?.hasVnc,
      g?.hasSerial,
      acts,
      scaling,
      this.scanning,
      this.serialOpen,
      g?.managedSave,
    ]);
    if (sig === this.toolbarSig) return;
    this.toolbarSig = sig;
    if (!g) {
      this.toolbar.replaceChildren(
        h('div', { className: 'title' }, h('span', { className: 'name' }, 'No guest selected')),
        h('div', { className: 'spacer' }),
        iconButton('settings', 'Settings', () => this.hooks.tool('settings')),
      );
      return;
    }
    const state =
      g.busy ?? (g.state === 'shutoff' && g.managedSave ? 'saved' : g.state === 'shutoff' ? 'off' : g.state);
    const actionButtons = acts.map((a) =>
      iconButton(a, `${ACTION_LABELS[a]}${a === 'snapshot' ? '' : ''}`, () => this.hooks.action(a), {
        'data-action': a,
        className: `icon-button action-${a}`,
      }),
    );
    const running = g.state === 'running' || g.state === 'paused' || g.state === 'blocked';
    const sendKeys = h(
      'details',
      { className: 'menu' },
      h('summary', { title: 'Send keys', 'aria-label': 'Send keys' }, icon('keyboard')),
    );
    sendKeys.append(
      h(
        'div',
        { className: 'menu-items', role: 'menu' },
        ...SEND_KEY_COMBOS.map((k) =>
          h(
            'button',
            {
              type: 'button',
              role: 'menuitem',
              onclick: () => {
                sendKeys.open = false;
                this.hooks.sendKeys(k.keys);
              },
            },
            k.label,
          ),
        ),
        h('hr', {}),
        h(
          'button',
          {
            type: 'button',
            role: 'menuitem',
            onclick: () => {
              sendKeys.open = false;
              this.hooks.tool('type-text');
            },
          },
          'Type text…',
        ),
      ),
    );
    const scale = h(
      'details',
      { className: 'menu' },
      h('summary', { title: `Scaling: ${SCALING_LABELS[scaling]}`, 'aria-label': 'Scaling' }, icon('scaling')),
    );
    scale.append(
      h(
        'div',
        { className: 'menu-items', role: 'menu' },
        ...(['fit', 'actual', 'resize'] as const).map((v) =>
          h(
            'button',
            {
              type: 'button',
              role: 'menuitemradio',
              'aria-checked': String(v === scaling),
              'data-scaling': v,
              onclick: () => {
                scale.open = false;
                this.hooks.scaling(v);
              },
            },
            v === scaling ? '● ' : '○ ',
            SCALING_LABELS[v],
          ),
        ),
      ),
    );
    const parts: (HTMLElement | null)[] = [
      iconButton('strip', 'Show or hide the guest list', () => this.hooks.tool('strip'), {
        className: 'icon-button strip-toggle',
      }),
      h(
        'div',
        { className: 'title' },
        h('span', { className: 'name', title: g.name }, g.name),
        h('span', { className: `badge state-${g.state}` }, state),
      ),
      h('div', { className: 'group actions' }, ...actionButtons),
      h('div', { className: 'spacer' }),
      running ? this.statsBox : null,
      h(
        'div',
        { className: 'group tools' },
        running && g.hasVnc ? sendKeys : null,
        running && g.hasSerial && g.hasVnc
          ? iconButton(
              'terminal',
              this.serialOpen ? 'Hide the serial console' : 'Show the serial console',
              () => this.hooks.tool('serial'),
              { 'aria-pressed': String(this.serialOpen) },
            )
          : null,
        g.hasVnc ? scale : null,
        iconButton('snapshots', 'Snapshots', () => this.hooks.tool('snapshots'), {
          className: 'icon-button tool-snapshots',
        }),
        iconButton('resources', 'CPU and memory', () => this.hooks.tool('resources')),
        g.state === 'shutoff' ? iconButton('clone', 'Clone', () => this.hooks.tool('clone')) : null,
        iconButton(
          'scan',
          this.scanning ? 'Stop scanning' : 'Scan: cycle through running guests',
          () => this.hooks.tool('scan'),
          { 'aria-pressed': String(this.scanning) },
        ),
        iconButton('osd', 'Pick a guest (Scroll Lock twice)', () => this.hooks.tool('osd')),
        iconButton('fullscreen', 'Fullscreen (Ctrl+Alt+F)', () => this.hooks.tool('fullscreen')),
        iconButton('settings', 'Settings', () => this.hooks.tool('settings')),
      ),
    ];
    this.toolbar.replaceChildren(...parts.filter((x): x is HTMLElement => x !== null));
  }

  renderStats(cpu: readonly number[], memUsedKiB: number | undefined, memKiB: number | undefined): void {
    this.cpuGraph.draw(cpu, 100, cpu.length ? `${Math.round(cpu[cpu.length - 1]!)}%` : '–');
    this.memGraph.draw(
      memUsedKiB !== undefined && memKiB ? [(memUsedKiB / memKiB) * 100] : [],
      100,
      memUsedKiB !== undefined ? formatBytes(memUsedKiB) : '–',
    );
  }

  renderMemoryHistory(history: readonly number[], label: string): void {
    this.memGraph.draw(history, 100, label);
  }

  private renderOverlay(
    g: GuestInfo | undefined,
    c: VncConsole | undefined,
    host: HostInfo | undefined,
    nothingAtAll: string | undefined,
  ): void {
    const show = (cls: string, ...children: (Node | string | null)[]): void => {
      this.overlay.className = `overlay ${cls}`;
      this.overlay.hidden = false;
      this.overlay.replaceChildren(...children.filter((x): x is Node | string => x !== null));
    };
    if (!g) {
      show(
        'empty',
        h('div', { className: 'big-icon' }, icon('osd')),
        h('h2', {}, nothingAtAll ?? 'No guests yet'),
        h('p', {}, 'Guests appear here as soon as a connected host has them.'),
      );
      return;
    }
    if (host && host.status !== 'connected') {
      show(
        'problem',
        h('h2', {}, `${g.name} is out of reach`),
        h('p', {}, host.error ?? `${host.uri} is ${host.status}`),
      );
      return;
    }
    if (g.state === 'shutoff' || g.state === 'crashed') {
      const start = h(
        'button',
        {
          type: 'button',
          className: 'start-button primary',
          'data-action': 'start',
          onclick: () => this.hooks.action('start'),
        },
        icon('start'),
        g.managedSave ? 'Resume' : 'Start',
      );
      show(
        'off',
        start,
        h('h2', {}, g.name),
        h(
          'p',
          {},
          g.busy
            ? `${g.busy}…`
            : g.managedSave
              ? 'Saved — starting resumes where it left off'
              : g.state === 'crashed'
                ? 'Crashed'
                : `Off${g.reason && g.reason !== 'unknown' ? ` (${g.reason})` : ''}`,
        ),
      );
      return;
    }
    if (!g.hasVnc) {
      if (g.hasSerial) {
        this.overlay.hidden = true;
        return;
      }
      show(
        'problem',
        h('h2', {}, `${g.name} has no screen`),
        h('p', {}, 'It has neither a VNC display nor a serial console virtswitch can show.'),
      );
      return;
    }
    if (!c || c.status === 'connecting') {
      show(
        'connecting',
        h('div', { className: 'spinner', 'aria-hidden': 'true' }),
        h('p', {}, `Connecting to ${g.name}’s screen…`),
      );
      return;
    }
    if (c.status === 'disconnected') {
      show(
        'problem',
        h('h2', {}, `${g.name}’s screen is disconnected`),
        h('p', {}, `${c.reason ?? 'The connection closed'}. Trying again…`),
        h('button', { type: 'button', onclick: () => this.hooks.reconnect() }, 'Reconnect now'),
      );
      return;
    }
    if (g.state === 'paused') {
      show(
        'paused',
        h(
          'button',
          { type: 'button', className: 'primary', 'data-action': 'resume', onclick: () => this.hooks.action('resume') },
          icon('resume'),
          'Resume',
        ),
        h('p', {}, `${g.name} is paused`),
      );
      return;
    }
    this.overlay.hidden = true;
    this.overlay.replaceChildren();
  }
}
