/**
 * The boot part of the Hardware dialog: which devices the firmware tries, in what order, and
 * whether it offers a boot menu. Saved in the guest's definition, so it applies at next boot.
 */
import { BOOT_DEVICES, type BootDevice, type HardwareView } from '../../../common/hardware-contract.js';
import { h } from './dom.js';

const BOOT_WORDS: Record<BootDevice, string> = {
  hd: 'Hard disk',
  cdrom: 'CD-ROM',
  network: 'Network (PXE)',
  fd: 'Floppy',
};

interface BootEntry {
  dev: BootDevice;
  on: boolean;
}
/** Where the focus goes after a move redraws the list: the same button of the entry that moved. */
let focusAfter = '';

/** One device of the order: on or off, and up and down buttons that swap it with its neighbour. */
function bootRow(order: BootEntry[], i: number, redraw: () => void): HTMLElement {
  const entry = order[i]!;
  const word = BOOT_WORDS[entry.dev];
  const box = h('input', { type: 'checkbox', checked: entry.on, 'aria-label': `Boot from ${word}` });
  box.addEventListener('change', () => (entry.on = box.checked));
  const move = (by: number, label: string, glyph: string): HTMLButtonElement =>
    h(
      'button',
      {
        type: 'button',
        'data-move': String(by),
        disabled: i + by < 0 || i + by >= order.length,
        'aria-label': `Move ${word} ${label}`,
        onclick: () => {
          [order[i], order[i + by]] = [order[i + by]!, entry];
          focusAfter = `[data-boot="${entry.dev}"] button[data-move="${by}"]`;
          redraw();
        },
      },
      glyph,
    );
  return h(
    'li',
    { 'data-boot': entry.dev },
    h('label', {}, box, ` ${word}`),
    h('span', { className: 'hw-boot-move' }, move(-1, 'up', '↑'), move(1, 'down', '↓')),
  );
}

export interface BootSection {
  element: HTMLElement;
  show(v: HardwareView): void;
}

/** The boot order editor; `save` is handed the chosen order and menu. */
export function bootSection(save: (devices: BootDevice[], menu: boolean) => void): BootSection {
  const list = h('ol', { className: 'hw-boot', 'aria-label': 'Boot order' });
  const menu = h('input', { type: 'checkbox', 'data-boot-menu': '' });
  const notes = h('p', { className: 'hint', 'data-boot-note': '' });
  const saveButton = h('button', { type: 'button' }, 'Save boot order');
  let order: BootEntry[] = [];
  let shown = '';

  const draw = (): void => {
    list.replaceChildren(...order.map((_, i) => bootRow(order, i, draw)));
    if (focusAfter) list.querySelector<HTMLButtonElement>(focusAfter)?.focus();
    focusAfter = '';
  };

  saveButton.addEventListener('click', () =>
    save(
      order.filter((e) => e.on).map((e) => e.dev),
      menu.checked,
    ),
  );
  const element = h(
    'section',
    { className: 'hw-section', 'aria-label': 'Boot' },
    h('h3', {}, 'Boot order'),
    notes,
    list,
    h('label', { className: 'hw-check' }, menu, ' Show the boot menu at start'),
    h('div', { className: 'hw-save' }, saveButton),
  );
  return {
    element,
    show(v: HardwareView): void {
      const words = ['Saved in the guest’s definition: it applies at next boot.'];
      if (v.running && v.bootChanged) words.push('The running guest booted with another order.');
      if (v.perDeviceBoot) words.push('Its disks carry their own boot order, which a saved order replaces.');
      if (!v.persistent) words.push('This guest is transient: it has no definition to keep a boot order.');
      notes.textContent = words.join(' ');
      saveButton.disabled = !v.persistent;
      // A redraw for some other change keeps the order being edited.
      if (JSON.stringify(v.boot) === shown) return;
      shown = JSON.stringify(v.boot);
      const chosen = v.boot.devices;
      order = [
        ...chosen.map((dev) => ({ dev, on: true })),
        ...BOOT_DEVICES.filter((d) => !chosen.includes(d)).map((dev) => ({ dev, on: false })),
      ];
      menu.checked = v.boot.menu;
      draw();
    },
  };
}
