/**
 * The stage: the active guest's console fills it; above it the toolbar for that guest; over it,
 * when there is nothing to show, a calm message and the one thing to do (a big Start for a guest
 * that is off).
 */
import type { GuestAction, GuestInfo, GuestStats, HostInfo, Scaling } from '../../../common/contract.js';
import { SEND_KEY_COMBOS } from '../../../common/keycodes.js';
import type { ScreenConsole } from '../consoles/screen-console.js';
import { actionsFor, ACTION_LABELS, stateLabel } from './actions.js';
import { openClone } from './guest-life-hub.js';
import { h, icon, iconButton, formatBytes } from './dom.js';
import { Sparkline } from './graphs.js';
import type { VncOffer } from './vnc-offer.js';
import { SCALING_LABELS, SCALINGS } from './scaling.js';
import { SPICE_LIMITS } from '../consoles/spice-note.js';
import type { Tool } from './tools.js';
import { VIEW_ONLY_WHY } from './view-only.js';
import { droppedScreen } from './screen-drop.js';

/** The guest runs (or is paused or blocked): it has a live screen and stats. */
const isLive = (g: GuestInfo): boolean => g.state === 'running' || g.state === 'paused' || g.state === 'blocked';

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
  /** A line under the toolbar for what waits on the guest (a display that comes at its next start). */
  private readonly notice = h('div', { className: 'stage-notice' });
  private readonly cpuGraph = new Sparkline('CPU');
  private readonly memGraph = new Sparkline('Mem');
  private readonly statsBox = h('div', { className: 'stats-box', 'aria-label': 'CPU and memory use' });
  private toolbarSig = '';
  private readonly viewOnlyNote = h(
    'p',
    { className: 'view-only-note', 'data-testid': 'view-only-note' },
    VIEW_ONLY_WHY,
  );
  /** The screen and, beside it, the Details panel. */
  readonly body = h('div', { className: 'stage-body' });
  scanning = false;
  serialOpen = false;
  detailsOpen = false;
  /** More than one host: guests can move. */
  canMove = false;
  /** The active guest is moving to another host. */
  moving = false;
  /** The active guest's console shows but takes no input: keys and typed text are not offered. */
  viewOnly = false;

  constructor(
    private readonly hooks: StageHooks,
    private readonly vncOffer?: VncOffer,
  ) {
    this.screen.append(this.overlay);
    this.statsBox.append(this.cpuGraph.element, this.memGraph.element);
    this.body.append(h('div', { className: 'screen-wrap' }, this.screen, this.serialPanel));
    this.element.append(this.toolbar, this.notice, this.body);
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
    c: ScreenConsole | undefined,
    host: HostInfo | undefined,
    scaling: Scaling,
    nothingAtAll: string | undefined,
    unavailable?: string,
  ): void {
    this.renderToolbar(g, scaling);
    this.renderOverlay(g, c, host, nothingAtAll, unavailable);
    const notice = this.vncOffer?.notice(g) ?? (g && isLive(g) && this.viewOnly ? this.viewOnlyNote : undefined);
    this.notice.replaceChildren(...(notice ? [notice] : []));
  }

  private renderToolbar(g: GuestInfo | undefined, scaling: Scaling): void {
    const acts = g ? actionsFor(g) : [];
    const sig = JSON.stringify([
      g?.uuid,
      g?.name,
      g?.state,
      g?.busy,
      g?.hasVnc,
      g?.hasSpice,
      g && this.vncOffer?.button(g)?.textContent,
      g?.hasSerial,
      acts,
      scaling,
      this.scanning,
      this.serialOpen,
      this.detailsOpen,
      g?.managedSave,
      this.canMove,
      this.moving,
      this.viewOnly,
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
    const state = stateLabel(g, this.moving);
    const actionButtons = acts.map((a) =>
      iconButton(a, ACTION_LABELS[a], () => this.hooks.action(a), {
        'data-action': a,
        className: `icon-button action-${a}`,
      }),
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
        isLive(g) && g.hasSpice && !g.hasVnc
          ? h('span', { className: 'badge console-spice', title: SPICE_LIMITS, tabIndex: 0 }, 'SPICE')
          : null,
      ),
      h('div', { className: 'group actions' }, ...actionButtons),
      h('div', { className: 'spacer' }),
      isLive(g) ? this.statsBox : null,
      this.tools(g, scaling),
    ];
    this.toolbar.replaceChildren(...parts.filter((x): x is HTMLElement => x !== null));
  }

  /** The toolbar's right-hand group: what can be done to or with the guest's screen. */
  private tools(g: GuestInfo, scaling: Scaling): HTMLElement {
    const running = isLive(g);
    return h(
      'div',
      { className: 'group tools' },
      running && (g.hasVnc || g.hasSpice) ? this.sendKeysMenu() : null,
      running ? (this.vncOffer?.button(g) ?? null) : null,
      running && g.hasSerial && (g.hasVnc || g.hasSpice)
        ? iconButton(
            'terminal',
            this.serialOpen ? 'Hide the serial console' : 'Show the serial console',
            () => this.hooks.tool('serial'),
            { 'aria-pressed': String(this.serialOpen) },
          )
        : null,
      g.hasVnc || g.hasSpice ? this.scalingMenu(scaling) : null,
      iconButton('snapshots', 'Snapshots', () => this.hooks.tool('snapshots'), {
        className: 'icon-button tool-snapshots',
      }),
      iconButton('resources', 'CPU and memory', () => this.hooks.tool('resources')),
      iconButton('details', 'Details', () => this.hooks.tool('details'), { 'aria-pressed': String(this.detailsOpen) }),
      g.state === 'shutoff' ? iconButton('clone', 'Clone', () => openClone(g)) : null,
      this.canMove ? iconButton('move', 'Move to host…', () => this.hooks.tool('move')) : null,
      iconButton(
        'scan',
        this.scanning ? 'Stop scanning' : 'Scan: cycle through running guests',
        () => this.hooks.tool('scan'),
        { 'aria-pressed': String(this.scanning) },
      ),
      iconButton('osd', 'Pick a guest (Scroll Lock twice)', () => this.hooks.tool('osd')),
      iconButton('fullscreen', 'Fullscreen (Ctrl+Alt+F)', () => this.hooks.tool('fullscreen')),
      iconButton('settings', 'Settings', () => this.hooks.tool('settings')),
    );
  }

  /** A drop-down menu under an icon; picking an item closes it, then runs the item. */
  private menu(summary: HTMLElement, items: (close: () => void) => HTMLElement[]): HTMLDetailsElement {
    const menu = h('details', { className: 'menu' }, summary);
    menu.append(h('div', { className: 'menu-items', role: 'menu' }, ...items(() => (menu.open = false))));
    return menu;
  }

  private sendKeysMenu(): HTMLElement {
    if (this.viewOnly)
      return iconButton('keyboard', 'Send keys', () => undefined, { disabled: true, title: VIEW_ONLY_WHY });
    const item = (label: string, run: () => void, close: () => void): HTMLElement =>
      h(
        'button',
        {
          type: 'button',
          role: 'menuitem',
          onclick: () => {
            close();
            run();
          },
        },
        label,
      );
    return this.menu(h('summary', { title: 'Send keys', 'aria-label': 'Send keys' }, icon('keyboard')), (close) => [
      ...SEND_KEY_COMBOS.map((k) => item(k.label, () => this.hooks.sendKeys(k.keys), close)),
      h('hr', {}),
      item('Type text…', () => this.hooks.tool('type-text'), close),
    ]);
  }

  private scalingMenu(scaling: Scaling): HTMLDetailsElement {
    const summary = h(
      'summary',
      { title: `Scaling: ${SCALING_LABELS[scaling].menu}`, 'aria-label': 'Scaling' },
      icon('scaling'),
    );
    return this.menu(summary, (close) =>
      SCALINGS.map((v) =>
        h(
          'button',
          {
            type: 'button',
            role: 'menuitemradio',
            'aria-checked': String(v === scaling),
            'data-scaling': v,
            onclick: () => {
              close();
              this.hooks.scaling(v);
            },
          },
          v === scaling ? '● ' : '○ ',
          SCALING_LABELS[v].menu,
        ),
      ),
    );
  }

  /** The active guest's CPU and memory graphs, from its recent stats (oldest first). */
  renderStats(history: readonly GuestStats[]): void {
    const cpu = history.map((s) => s.cpuPercent);
    const last = history.at(-1);
    this.cpuGraph.draw(cpu, 100, cpu.length ? `${Math.round(cpu[cpu.length - 1]!)}%` : '–');
    if (history.length > 1 && last)
      this.memGraph.draw(
        history.map((s) => (s.memoryKiB ? (s.memoryUsedKiB / s.memoryKiB) * 100 : 0)),
        100,
        `${Math.round(last.memoryUsedKiB / 1024)} MiB`,
      );
    else
      this.memGraph.draw(
        last?.memoryKiB ? [(last.memoryUsedKiB / last.memoryKiB) * 100] : [],
        100,
        last ? formatBytes(last.memoryUsedKiB) : '–',
      );
  }

  private renderOverlay(
    g: GuestInfo | undefined,
    c: ScreenConsole | undefined,
    host: HostInfo | undefined,
    nothingAtAll: string | undefined,
    unavailable?: string,
  ): void {
    if (!g) {
      this.showOverlay(
        'empty',
        h('div', { className: 'big-icon' }, icon('osd')),
        h('h2', {}, nothingAtAll ?? 'No guests yet'),
        h('p', {}, 'Guests appear here as soon as a connected host has them.'),
      );
    } else if (host && host.status !== 'connected') {
      this.showOverlay(
        'problem',
        h('h2', {}, `${g.name} is out of reach`),
        h('p', {}, host.error ?? `${host.uri} is ${host.status}`),
      );
    } else if (g.state === 'shutoff' || g.state === 'crashed') {
      this.showOff(g);
    } else if (!g.hasVnc && !g.hasSpice) {
      if (g.hasSerial) this.overlay.hidden = true;
      else
        this.showOverlay(
          'problem',
          h('h2', {}, `${g.name} has no screen`),
          h('p', {}, 'It has neither a VNC or SPICE display nor a serial console virtswitch can show.'),
        );
    } else if (!this.showScreenProblem(g, c, unavailable)) {
      this.overlay.hidden = true;
      this.overlay.replaceChildren();
    }
  }

  private showOverlay(cls: string, ...children: (Node | string | null)[]): void {
    this.overlay.className = `overlay ${cls}`;
    this.overlay.hidden = false;
    this.overlay.replaceChildren(...children.filter((x): x is Node | string => x !== null));
  }

  /** A guest that is off: its name, why, and a big Start (Resume when it was saved). */
  private showOff(g: GuestInfo): void {
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
    const why = this.moving
      ? 'Moving to another host…'
      : g.busy
        ? `${g.busy}…`
        : g.managedSave
          ? 'Saved — starting resumes where it left off'
          : g.state === 'crashed'
            ? 'Crashed'
            : `Off${g.reason && g.reason !== 'unknown' ? ` (${g.reason})` : ''}`;
    this.showOverlay(
      'off',
      start,
      h('h2', {}, g.name),
      h('p', {}, why),
      ...this.spiceOnlyOffer(g, 'Its screen is a SPICE display.'),
    );
  }

  /** For a SPICE-only guest: what its display is, and the button that adds a VNC one beside it. */
  private spiceOnlyOffer(g: GuestInfo, what: string): HTMLElement[] {
    const button = this.vncOffer?.button(g);
    if (!button) return [];
    return [
      h(
        'p',
        {},
        `${what} A VNC display beside it, listening on the host itself only, shows it here from the guest's next start; the SPICE display stays.`,
      ),
      button,
    ];
  }

  /** Over a running guest's screen: unreachable, moving, connecting, disconnected, or paused. False when fine. */
  private showScreenProblem(g: GuestInfo, c: ScreenConsole | undefined, unavailable?: string): boolean {
    // A moving guest's old picture stands in, marked "moving…", until the new host's display draws.
    if (c?.frozen) return false;
    if (unavailable && !c?.moving && c?.status !== 'connected') {
      // Not a wait: the display can't be reached as defined, and the app said why.
      this.showOverlay(
        'problem unavailable',
        h('h2', {}, `${g.name}’s screen can’t be reached`),
        h('p', {}, `${unavailable.charAt(0).toUpperCase()}${unavailable.slice(1)}.`),
      );
    } else if (c?.moving && c.status !== 'connected') {
      this.showOverlay(
        'connecting',
        h('div', { className: 'spinner', 'aria-hidden': 'true' }),
        h('p', {}, `${g.name} is moving…`),
      );
    } else if (!c || c.status === 'connecting') {
      this.showOverlay(
        'connecting',
        h('div', { className: 'spinner', 'aria-hidden': 'true' }),
        h('p', {}, `Connecting to ${g.name}’s screen…`),
      );
    } else if (c.status === 'disconnected') {
      this.showOverlay(
        'problem',
        ...droppedScreen(g.name, c, () => this.hooks.reconnect()),
        ...this.spiceOnlyOffer(g, 'Its display is SPICE.'),
      );
    } else if (g.state === 'paused') {
      this.showOverlay(
        'paused',
        h(
          'button',
          { type: 'button', className: 'primary', 'data-action': 'resume', onclick: () => this.hooks.action('resume') },
          icon('resume'),
          'Resume',
        ),
        h('p', {}, `${g.name} is paused`),
      );
    } else return false;
    return true;
  }
}
