/**
 * The action palette: every action on the active guest (and a few of the app's) in one list,
 * opened by a hotkey over a guest's console. Typing narrows the list, arrows move, Enter runs,
 * Esc closes. Its field holds the focus while it is open, so nothing typed into it reaches a guest.
 */
import { filterEntries, type PaletteEntry } from './palette-filter.js';
import { h } from './dom.js';

export class ActionPalette {
  private element: HTMLElement | undefined;
  private entries: readonly PaletteEntry[] = [];
  private shown: PaletteEntry[] = [];
  private selected = 0;
  private readonly input = h('input', {
    type: 'text',
    className: 'palette-input',
    role: 'combobox',
    'aria-label': 'Action',
    'aria-expanded': 'true',
    'aria-controls': 'palette-list',
    'aria-autocomplete': 'list',
    placeholder: 'Type an action, e.g. “shut down”, “details”, “ctrl+alt+del”',
    spellcheck: false,
    autocomplete: 'off',
  });
  private readonly list = h('ul', {
    className: 'palette-list',
    id: 'palette-list',
    role: 'listbox',
    'aria-label': 'Actions',
  });
  private readonly note = h('p', { className: 'palette-note', role: 'status', 'aria-live': 'polite' });

  /** `closed` runs whenever the palette closes without running an entry (the console takes the keys back). */
  constructor(private readonly closed: () => void) {
    this.input.addEventListener('input', () => this.fill(0));
    this.input.addEventListener('keydown', (ev) => this.key(ev));
  }

  get isOpen(): boolean {
    return this.element !== undefined;
  }

  open(title: string, entries: readonly PaletteEntry[]): void {
    this.remove();
    this.entries = entries;
    this.input.value = '';
    this.note.textContent = '';
    this.element = h(
      'div',
      { className: 'palette', 'data-testid': 'palette', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Actions' },
      h(
        'div',
        { className: 'palette-panel' },
        h('div', { className: 'palette-title' }, title),
        this.input,
        this.list,
        this.note,
        h('div', { className: 'palette-help' }, 'type to filter · ↑↓ move · Enter run · Esc close'),
      ),
    );
    this.element.addEventListener('mousedown', (ev) => {
      if (ev.target === this.element) this.close();
    });
    document.body.append(this.element);
    this.fill(0);
    this.input.focus();
  }

  /** Closes without running anything. */
  close(): void {
    if (!this.remove()) return;
    this.closed();
  }

  private remove(): boolean {
    if (!this.element) return false;
    this.element.remove();
    this.element = undefined;
    return true;
  }

  private fill(selected: number): void {
    this.shown = filterEntries(this.entries, this.input.value);
    this.selected = Math.max(0, Math.min(selected, this.shown.length - 1));
    this.list.replaceChildren(
      ...(this.shown.length === 0
        ? [h('li', { className: 'palette-empty', role: 'presentation' }, 'No action matches')]
        : this.shown.map((e, i) => this.item(e, i))),
    );
    const active = this.shown[this.selected];
    if (active) this.input.setAttribute('aria-activedescendant', `palette-${this.selected}`);
    else this.input.removeAttribute('aria-activedescendant');
    this.list.children[this.selected]?.scrollIntoView({ block: 'nearest' });
  }

  private item(e: PaletteEntry, i: number): HTMLElement {
    const li = h(
      'li',
      {
        id: `palette-${i}`,
        role: 'option',
        className: 'palette-item',
        'aria-selected': String(i === this.selected),
        'aria-disabled': e.disabled ? 'true' : undefined,
        'data-entry': e.id,
        title: e.disabled ?? '',
      },
      h('span', { className: 'palette-label' }, e.label),
      e.keys ? h('kbd', {}, e.keys) : h('span', { 'aria-hidden': 'true' }),
      h('span', { className: 'palette-group' }, e.group),
    );
    li.addEventListener('mousedown', (ev) => ev.preventDefault());
    li.addEventListener('click', () => this.run(i));
    return li;
  }

  private key(ev: KeyboardEvent): void {
    const move = (by: number): void => {
      ev.preventDefault();
      if (this.shown.length) this.fill((this.selected + by + this.shown.length) % this.shown.length);
    };
    if (ev.key === 'ArrowDown') move(1);
    else if (ev.key === 'ArrowUp') move(-1);
    else if (ev.key === 'Enter') {
      ev.preventDefault();
      this.run(this.selected);
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      this.close();
    }
  }

  private run(i: number): void {
    const e = this.shown[i];
    if (!e) return;
    if (e.disabled) {
      this.note.textContent = `${e.label}: ${e.disabled}`;
      return;
    }
    this.remove();
    e.run();
    // An entry that opened nothing of its own hands the keyboard back to the console.
    if (!document.activeElement || document.activeElement === document.body) this.closed();
  }
}
