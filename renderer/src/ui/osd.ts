/**
 * The on-screen picker, like a hardware KVM's OSD: every guest with its slot, thumbnail and
 * state; digits pick a slot, arrows move, Enter switches, Esc closes. It takes every key while
 * open, so nothing typed into it reaches a guest.
 */
import type { GuestInfo } from '../../../common/contract.js';
import { h } from './dom.js';

export class Osd {
  private element: HTMLElement | undefined;
  private items: { key: string; el: HTMLElement }[] = [];
  private selected = 0;

  constructor(
    private readonly onPick: (key: string) => void,
    private readonly thumbnailOf: (key: string) => HTMLCanvasElement | undefined,
  ) {}

  get isOpen(): boolean {
    return this.element !== undefined;
  }

  open(ordered: readonly GuestInfo[], activeKey: string | undefined): void {
    this.close();
    const grid = h('div', { className: 'osd-grid', role: 'listbox', 'aria-label': 'Guests' });
    this.items = ordered.map((g, i) => {
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
        h('div', { className: 'osd-thumb' }, thumb, i < 9 ? h('span', { className: 'slot' }, String(i + 1)) : null),
        h('div', { className: 'osd-name' }, g.name),
        h('div', { className: 'osd-state' }, g.state === 'shutoff' ? 'off' : g.state),
      );
      return { key, el };
    });
    grid.append(...this.items.map((x) => x.el));
    this.element = h(
      'div',
      { className: 'osd', 'data-testid': 'osd', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Pick a guest' },
      h(
        'div',
        { className: 'osd-panel' },
        h('div', { className: 'osd-title' }, 'Switch to…'),
        grid,
        h('div', { className: 'osd-help' }, '1–9 pick · arrows move · Enter switch · Esc close'),
      ),
    );
    this.element.addEventListener('mousedown', (ev) => {
      if (ev.target === this.element) this.close();
    });
    document.body.append(this.element);
    const at = this.items.findIndex((x) => x.key === activeKey);
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

  /** Handles a key while open; always consumes it. */
  key(type: 'keydown' | 'keyup', code: string): void {
    if (type !== 'keydown' || !this.element) return;
    const cols = Math.max(1, Math.round((this.element.querySelector('.osd-grid')?.clientWidth ?? 800) / 210));
    const digit = /^(?:Digit|Numpad)([1-9])$/.exec(code);
    if (digit) this.pick(Number(digit[1]) - 1);
    else if (code === 'ArrowRight') this.select(this.selected + 1);
    else if (code === 'ArrowLeft') this.select(this.selected - 1);
    else if (code === 'ArrowDown') this.select(this.selected + cols);
    else if (code === 'ArrowUp') this.select(this.selected - cols);
    else if (code === 'Enter' || code === 'NumpadEnter' || code === 'Space') this.pick(this.selected);
    else if (code === 'Escape') this.close();
  }
}
