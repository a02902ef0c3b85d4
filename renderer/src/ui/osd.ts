/**
 * The on-screen picker, like a hardware KVM's OSD: every guest with its slot, thumbnail and
 * state; digits pick a slot, arrows move, Enter switches, Esc closes; letters filter (then digits
 * type too, and Enter takes the first match). It takes every key while open, so nothing typed
 * into it reaches a guest.
 */
import type { GuestInfo } from '../../../common/contract.js';
import { filterGuests } from '../state/filter.js';
import { hostLabel } from '../state/host-label.js';
import { slots } from '../../../common/order.js';
import { h } from './dom.js';

/** The picker shows this many matches at most; typing narrows the rest. */
const OSD_MAX = 36;

export class Osd {
  private element: HTMLElement | undefined;
  private items: { key: string; el: HTMLElement }[] = [];
  private selected = 0;
  private guests: readonly GuestInfo[] = [];
  private query = '';
  private slotOf = new Map<string, number>();

  constructor(
    private readonly onPick: (key: string) => void,
    private readonly thumbnailOf: (key: string) => HTMLCanvasElement | undefined,
  ) {}

  get isOpen(): boolean {
    return this.element !== undefined;
  }

  /** Opens on `ordered` (every guest, in switcher order), filtered by `query` to begin with. */
  open(ordered: readonly GuestInfo[], activeKey: string | undefined, query = ''): void {
    this.close();
    this.guests = ordered;
    this.slotOf = slots(ordered);
    this.query = query;
    const grid = h('div', { className: 'osd-grid', role: 'listbox', 'aria-label': 'Guests' });
    const queryLine = h('div', { className: 'osd-query', 'aria-live': 'polite' });
    this.element = h(
      'div',
      { className: 'osd', 'data-testid': 'osd', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Pick a guest' },
      h(
        'div',
        { className: 'osd-panel' },
        h('div', { className: 'osd-title' }, 'Switch to…', queryLine),
        grid,
        h('div', { className: 'osd-help' }, '1–9 pick · type to filter · arrows move · Enter switch · Esc close'),
      ),
    );
    this.element.addEventListener('mousedown', (ev) => {
      if (ev.target === this.element) this.close();
    });
    document.body.append(this.element);
    this.fill(activeKey);
  }

  /** Lists the guests that match the query (at most OSD_MAX) and selects `preferKey` or the first. */
  private fill(preferKey: string | undefined): void {
    const grid = this.element?.querySelector('.osd-grid');
    const queryLine = this.element?.querySelector('.osd-query');
    if (!grid || !queryLine) return;
    const matches = filterGuests(this.guests, this.query, hostLabel);
    queryLine.textContent = this.query
      ? `“${this.query}” · ${matches.length} match${matches.length === 1 ? '' : 'es'}`
      : '';
    this.items = matches.slice(0, OSD_MAX).map((g, i) => {
      const key = g.uuid;
      const thumb = h('canvas', { width: 192, height: 108, 'aria-hidden': 'true' });
      const src = this.thumbnailOf(key);
      if (src) thumb.getContext('2d')?.drawImage(src, 0, 0);
      const el = h(
        'div',
        {
          className: `osd-item state-${g.state}`,
          role: 'option',
          'data-osd-key': key,
          'data-name': g.name,
          onclick: () => this.pick(i),
        },
        h('div', { className: 'osd-thumb' }, thumb, slotBadge(this.slotOf.get(key))),
        h('div', { className: 'osd-name' }, g.name),
        h('div', { className: 'osd-state' }, g.state === 'shutoff' ? 'off' : g.state),
      );
      return { key, el };
    });
    const more = matches.length - this.items.length;
    grid.replaceChildren(
      ...this.items.map((x) => x.el),
      ...(more > 0 ? [h('div', { className: 'osd-more' }, `${more} more: type to narrow`)] : []),
    );
    const at = this.items.findIndex((x) => x.key === preferKey);
    this.select(at >= 0 ? at : 0);
  }

  close(): void {
    this.element?.remove();
    this.element = undefined;
    this.items = [];
  }

  private select(i: number): void {
    if (this.items.length === 0) return;
    this.selected = (i + this.items.length) % this.items.length;
    this.items.forEach((x, j) => {
      x.el.classList.toggle('selected', j === this.selected);
      x.el.setAttribute('aria-selected', String(j === this.selected));
    });
  }

  private pick(i: number): void {
    const item = this.items[i];
    this.close();
    if (item) this.onPick(item.key);
  }

  private retype(query: string): void {
    this.query = query;
    this.fill(undefined);
  }

  private pickSlot(slot: number): void {
    const g = this.guests.find((x) => this.slotOf.get(x.uuid) === slot);
    this.close();
    if (g) this.onPick(g.uuid);
  }

  /** Handles a key while open; always consumes it. */
  key(type: 'keydown' | 'keyup', code: string): void {
    if (type !== 'keydown' || !this.element) return;
    const cols = Math.max(1, Math.round((this.element.querySelector('.osd-grid')?.clientWidth ?? 800) / 210));
    const digit = /^(?:Digit|Numpad)([1-9])$/.exec(code);
    const typed = typedChar(code, this.query !== '');
    if (typed !== undefined) this.retype(this.query + typed);
    else if (code === 'Backspace') this.retype(this.query.slice(0, -1));
    else if (digit) this.pickSlot(Number(digit[1]));
    else if (code === 'ArrowRight') this.select(this.selected + 1);
    else if (code === 'ArrowLeft') this.select(this.selected - 1);
    else if (code === 'ArrowDown') this.select(this.selected + cols);
    else if (code === 'ArrowUp') this.select(this.selected - cols);
    else if (code === 'Enter' || code === 'NumpadEnter' || code === 'Space') this.pick(this.selected);
    else if (code === 'Escape') this.close();
  }
}

function slotBadge(slot: number | undefined): HTMLElement | null {
  return slot ? h('span', { className: 'slot' }, String(slot)) : null;
}

/** The character a key types into the picker's filter: letters always; digits, '-' and '.' once a filter is begun. */
function typedChar(code: string, typing: boolean): string | undefined {
  const letter = /^Key([A-Z])$/.exec(code);
  if (letter) return letter[1]!.toLowerCase();
  if (!typing) return undefined;
  const digit = /^(?:Digit|Numpad)([0-9])$/.exec(code);
  if (digit) return digit[1];
  if (code === 'Minus' || code === 'NumpadSubtract') return '-';
  if (code === 'Period') return '.';
  return undefined;
}
