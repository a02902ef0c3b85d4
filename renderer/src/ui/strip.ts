/**
 * The switcher strip: every guest of every host, grouped by host, each with a live thumbnail (or,
 * in the dense list, one line), its state, its slot and its actions; type to filter, fold a
 * host, drag to reorder. Cards are keyed by UUID, so a guest that moves to another host takes its
 * card, slot and thumbnail along. Only the rows in view are built, so five hundred guests cost what a
 * screenful does; a row's element is made when it scrolls into view and dropped when it leaves.
 */
import type { GuestAction, GuestInfo } from '../../../common/contract.js';
import { slots } from '../../../common/order.js';
import { filterGuests } from '../state/filter.js';
import { hostLabel } from '../state/host-label.js';
import type { Store } from '../state/store.js';
import {
  autoMode,
  layoutRows,
  visibleRange,
  type Layout,
  type RowHeights,
  type StripMode,
} from '../state/strip-layout.js';
import { h, icon, iconButton } from './dom.js';
import { makeCard, updateCard, type Card } from './strip-card.js';
import { cardKey, hostHeader, StripPrefs } from './strip-parts.js';
import { hostMenuFor, openNewGuest } from './guest-life-hub.js';

export { hostLabel };

export interface StripHooks {
  select(key: string): void;
  action(action: GuestAction, key: string): void;
  /** "Move to host…" for this guest. */
  move(key: string): void;
  reorder(moved: string, before: string | undefined): void;
  retryHost(uri: string): void;
  /** Opens settings (where hosts are added). */
  settings(): void;
}

const HEIGHTS: Record<StripMode, RowHeights> = {
  cards: { host: 36, hostWithError: 80, guest: 176, empty: 30 },
  list: { host: 36, hostWithError: 80, guest: 30, empty: 30 },
};
/** Rows built beyond the visible band, above and below, in pixels. */
const OVERSCAN_PX = 600;

export class Strip {
  readonly element = h('aside', { className: 'strip', 'aria-label': 'Guests' });
  private readonly scroller = h('div', { className: 'host-groups' });
  /**
   * The scroller's position and height, as its scroll events and resize observer last said: painting
   * reads these rather than the element, whose scrollTop and clientHeight would force a layout of
   * the whole page in the middle of building it (at start, before the first guest's frame).
   */
  private readonly view = { top: 0, height: 0 };
  private readonly rowsEl = h('div', { className: 'strip-rows', role: 'listbox', 'aria-label': 'Guests' });
  private readonly filterBox = h('input', {
    type: 'search',
    className: 'strip-filter',
    placeholder: 'Filter: name, host, state',
    'aria-label': 'Filter guests',
    spellcheck: false,
    autocomplete: 'off',
  });
  private readonly modeButton: HTMLButtonElement;
  private readonly cards = new Map<string, Card>();
  /** Guests whose screen another viewer holds (a SPICE display lets one viewer in). */
  private readonly elsewhere = new Set<string>();
  private readonly headers = new Map<string, HTMLElement>();
  private readonly prefs = new StripPrefs();
  private layout: Layout = { rows: [], tops: [0] };
  private shown: GuestInfo[] = [];
  private slotOf = new Map<string, number>();
  private mode: StripMode = 'cards';
  private activeKey: string | undefined;
  private dragKey: string | undefined;
  private frame: number | undefined;
  /** More than one host: guests can move. */
  canMove = false;

  constructor(
    private readonly store: Store,
    private readonly hooks: StripHooks,
  ) {
    this.modeButton = iconButton('strip', 'Dense list', () => this.toggleMode(), { 'aria-pressed': 'false' });
    this.filterBox.addEventListener('input', () => this.render());
    this.filterBox.addEventListener('keydown', (ev) => this.onFilterKey(ev));
    this.scroller.addEventListener('scroll', () => {
      this.view.top = this.scroller.scrollTop;
      this.schedulePaint();
    });
    this.rowsEl.addEventListener('dragover', (ev) => {
      if (this.dragKey) ev.preventDefault();
    });
    this.rowsEl.addEventListener('drop', (ev) => {
      ev.preventDefault();
      if (this.dragKey && ev.target === this.rowsEl) this.hooks.reorder(this.dragKey, undefined);
    });
    new ResizeObserver(() => {
      // Laid out already when this runs: reading the size forces nothing.
      this.view.height = this.scroller.clientHeight;
      this.schedulePaint();
    }).observe(this.scroller);
    this.scroller.append(this.rowsEl);
    const footer = h(
      'div',
      { className: 'strip-footer' },
      h('button', { type: 'button', className: 'add-host', onclick: () => hooks.settings() }, icon('plus'), 'Add host'),
      h('button', { type: 'button', className: 'new-guest', onclick: () => openNewGuest() }, icon('plus'), 'New guest'),
      iconButton('settings', 'Settings', () => hooks.settings()),
    );
    this.element.append(
      h('div', { className: 'brand' }, h('span', { className: 'logo' }, icon('osd')), h('span', {}, 'virtswitch')),
      h('div', { className: 'strip-tools' }, this.filterBox, this.modeButton),
      this.scroller,
      footer,
    );
  }

  /** The guests the filter lets through, in switcher order (the OSD shows the same). */
  get filtered(): readonly GuestInfo[] {
    return this.shown;
  }

  get query(): string {
    return this.filterBox.value;
  }

  /** The thumbnail canvas of a guest's card, while its card is built, for the painter. */
  thumbnail(key: string): HTMLCanvasElement | undefined {
    return this.cards.get(key)?.thumb;
  }

  /** Marks the card of a guest whose screen another viewer took (or no longer). */
  screenElsewhere(key: string, yes: boolean): void {
    if (yes === this.elsewhere.has(key)) return;
    if (yes) this.elsewhere.add(key);
    else this.elsewhere.delete(key);
    this.render();
  }

  setActive(key: string | undefined): void {
    const old = this.activeKey ? this.cards.get(this.activeKey) : undefined;
    old?.el.classList.remove('active');
    old?.el.setAttribute('aria-selected', 'false');
    this.activeKey = key;
    const c = key ? this.cards.get(key) : undefined;
    c?.el.classList.add('active');
    c?.el.setAttribute('aria-selected', 'true');
  }

  render(): void {
    const ordered = this.store.ordered();
    this.slotOf = slots(ordered);
    this.shown = filterGuests(ordered, this.filterBox.value, hostLabel);
    const mode = this.prefs.mode ?? autoMode(ordered.length);
    if (mode !== this.mode) this.setMode(mode);
    const filtering = this.filterBox.value.trim() !== '';
    this.layout = layoutRows(this.store.hosts, ordered, this.shown, this.prefs.folded, filtering, HEIGHTS[this.mode]);
    const hostUris = new Set(this.store.hosts.map((x) => x.uri));
    for (const uri of this.headers.keys()) if (!hostUris.has(uri)) this.headers.delete(uri);
    this.rowsEl.style.height = `${this.layout.tops.at(-1)}px`;
    this.paint();
  }

  private setMode(mode: StripMode): void {
    this.mode = mode;
    this.element.classList.toggle('list-mode', mode === 'list');
    this.modeButton.setAttribute('aria-pressed', String(mode === 'list'));
    for (const c of this.cards.values()) c.el.remove();
    this.cards.clear();
  }

  private toggleMode(): void {
    this.prefs.mode = this.mode === 'list' ? 'cards' : 'list';
    this.render();
  }

  private schedulePaint(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.paint();
    });
  }

  /** Builds the rows in (and near) view, drops the rest. */
  private paint(): void {
    const top = this.view.top;
    const bottom = top + (this.view.height || window.innerHeight);
    const [start, end] = visibleRange(this.layout, Math.max(0, top - OVERSCAN_PX), bottom + OVERSCAN_PX);
    const keep = new Set<HTMLElement>();
    for (let i = start; i < end; i++) {
      const el = this.rowElement(i);
      el.style.transform = `translateY(${this.layout.tops[i]}px)`;
      const gap = this.layout.rows[i]!.kind === 'guest' ? (this.mode === 'cards' ? 8 : 2) : 0;
      el.style.height = `${this.layout.tops[i + 1]! - this.layout.tops[i]! - gap}px`;
      keep.add(el);
      if (el.parentElement !== this.rowsEl) this.rowsEl.append(el);
    }
    for (const [key, c] of this.cards) {
      if (!keep.has(c.el)) {
        c.el.remove();
        this.cards.delete(key);
      }
    }
    for (const child of [...this.rowsEl.children]) if (!keep.has(child as HTMLElement)) child.remove();
  }

  private rowElement(i: number): HTMLElement {
    const row = this.layout.rows[i]!;
    if (row.kind === 'empty') return h('div', { className: 'strip-row empty' }, row.text);
    if (row.kind === 'host') {
      const el = hostHeader(row, this.headers.get(row.host.uri), {
        retry: (uri) => this.hooks.retryHost(uri),
        fold: (uri) => this.toggleFold(uri),
        menu: hostMenuFor(row.host.uri, hostLabel(row.host.uri)),
      });
      this.headers.set(row.host.uri, el);
      return el;
    }
    let card = this.cards.get(row.key);
    if (!card) {
      card = makeCard(row.key, this.mode);
      this.wire(card);
      this.cards.set(row.key, card);
      if (row.key === this.activeKey) {
        card.el.classList.add('active');
        card.el.setAttribute('aria-selected', 'true');
      }
    }
    const stats = this.store.stats.get(row.key)?.at(-1);
    updateCard(card, row.guest, this.slotOf.get(row.key), stats?.cpuPercent, (a, k) => this.hooks.action(a, k), {
      moving: !!this.store.moving(row.key),
      screenElsewhere: this.elsewhere.has(row.key),
      onMove: this.canMove ? (k) => this.hooks.move(k) : undefined,
    });
    card.el.setAttribute('aria-posinset', String(this.shown.indexOf(row.guest) + 1));
    card.el.setAttribute('aria-setsize', String(this.shown.length));
    return card.el;
  }

  private toggleFold(uri: string): void {
    this.prefs.toggleFold(uri);
    this.render();
  }

  private wire(card: Card): void {
    const { el, key } = card;
    el.addEventListener('click', () => this.hooks.select(key));
    el.addEventListener('keydown', (ev) => this.onCardKey(el, key, ev));
    this.makeDraggable(el, key);
  }

  /** Enter switches to the first guest that matches; Escape clears the filter; Down moves into the list. */
  private onFilterKey(ev: KeyboardEvent): void {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      const first = this.shown[0];
      if (first) this.hooks.select(first.uuid);
    } else if (ev.key === 'Escape' && this.filterBox.value) {
      ev.preventDefault();
      this.filterBox.value = '';
      this.render();
    } else if (ev.key === 'ArrowDown' && this.shown[0]) {
      ev.preventDefault();
      this.focusGuest(this.shown[0].uuid);
    }
  }

  /** Keys on a focused card: Enter or Space switches, a letter runs an action, the arrows move along. */
  private onCardKey(el: HTMLElement, key: string, ev: KeyboardEvent): void {
    if (ev.target !== el) return;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      const keys = this.layout.rows.flatMap((r) => (r.kind === 'guest' ? [r.key] : []));
      const i = keys.indexOf(key);
      const next = keys[Math.max(0, Math.min(keys.length - 1, i + (ev.key === 'ArrowDown' ? 1 : -1)))];
      if (next) this.focusGuest(next);
      return;
    }
    const a = cardKey(ev, this.store.guest(key));
    if (a === 'select') {
      ev.preventDefault();
      this.hooks.select(key);
    } else if (a) {
      ev.preventDefault();
      this.hooks.action(a, key);
    }
  }

  /** Scrolls the guest's row into view (building it) and focuses it. */
  focusGuest(key: string): void {
    const i = this.layout.rows.findIndex((r) => r.kind === 'guest' && r.key === key);
    if (i < 0) return;
    const top = this.layout.tops[i]!;
    const bottom = this.layout.tops[i + 1]!;
    const view = this.scroller.clientHeight;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (bottom > this.scroller.scrollTop + view) this.scroller.scrollTop = bottom - view;
    this.view.top = this.scroller.scrollTop;
    this.paint();
    this.cards.get(key)?.el.focus({ preventScroll: true });
  }

  /** Drag a card before another of the same host to reorder. */
  private makeDraggable(el: HTMLElement, key: string): void {
    el.addEventListener('dragstart', (ev) => {
      this.dragKey = key;
      el.classList.add('dragging');
      ev.dataTransfer?.setData('text/plain', key);
      if (ev.dataTransfer) ev.dataTransfer.effectAllowed = 'move';
    });
    el.addEventListener('dragend', () => {
      this.dragKey = undefined;
      el.classList.remove('dragging');
      for (const c of this.element.querySelectorAll('.drop-before')) c.classList.remove('drop-before');
    });
    el.addEventListener('dragover', (ev) => {
      if (!this.dragKey || this.dragKey === key) return;
      if (this.store.guest(this.dragKey)?.host !== this.store.guest(key)?.host) return;
      ev.preventDefault();
      el.classList.add('drop-before');
    });
    el.addEventListener('dragleave', () => el.classList.remove('drop-before'));
    el.addEventListener('drop', (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      el.classList.remove('drop-before');
      if (this.dragKey && this.dragKey !== key) this.hooks.reorder(this.dragKey, key);
    });
  }

  /** Updates only the CPU bars of the cards in view (stats arrive every few seconds). */
  renderStats(): void {
    for (const [key, c] of this.cards) {
      const g = this.store.guest(key);
      const s = this.store.stats.get(key)?.at(-1);
      c.cpu.style.setProperty('--cpu', `${s && g?.state === 'running' ? Math.round(s.cpuPercent) : 0}%`);
    }
  }
}
