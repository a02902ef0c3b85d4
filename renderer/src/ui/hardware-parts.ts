/**
 * Pieces of the Hardware dialog: the mark of where a device is (now only, at next boot only), the
 * CD picker over the host pools' ISO volumes, and the forms that attach a disk or a network card.
 */
import type { Bridge } from '../../../common/contract.js';
import type { DevicePlace } from '../../../common/hardware-contract.js';
import { field } from './dialogs.js';
import { h } from './dom.js';

const PLACE_WORDS: Record<Exclude<DevicePlace, 'both'>, [string, string]> = {
  now: ['until shutdown', 'in the running guest only: gone at shutdown'],
  'next-boot': ['at next boot', 'in the definition only: the guest gets it at next boot'],
};

/** Nothing for a device in both definitions; a short mark, explained on hover, for one in one only. */
export function placeBadge(place: DevicePlace): HTMLElement | null {
  if (place === 'both') return null;
  const [word, why] = PLACE_WORDS[place];
  return h('span', { className: `hw-place hw-place-${place}`, title: why, 'data-place': place }, word);
}

export interface IsoChoice {
  path: string;
  label: string;
}

/** The ISO volumes of the host's running pools (by extension or by libvirt's format word). */
export async function poolIsos(bridge: Bridge, host: string): Promise<IsoChoice[]> {
  const pools = (await bridge.invoke('storage.pools', { host })).filter((p) => p.state === 'running');
  const lists = await Promise.all(
    pools.map(async (p) =>
      (await bridge.invoke('storage.volumes', { host, pool: p.name }))
        .filter((v) => v.format === 'iso' || /\.iso$/i.test(v.name))
        .map((v) => ({ path: v.path, label: `${p.name}/${v.name}` })),
    ),
  );
  return lists.flat().sort((a, b) => a.label.localeCompare(b.label));
}

/** A pick of a pool ISO, or a typed path; `value()` is the path chosen ('' for none). */
export function cdPicker(target: string, isos: readonly IsoChoice[]): { element: HTMLElement; value(): string } {
  const TYPED = '';
  const select = h(
    'select',
    { 'aria-label': `ISO for ${target}` },
    ...isos.map((i) => h('option', { value: i.path }, i.label)),
    h('option', { value: TYPED }, 'Type a path…'),
  );
  const path = h('input', { type: 'text', placeholder: '/path/to/image.iso', 'aria-label': `ISO path for ${target}` });
  const sync = (): void => {
    path.hidden = select.value !== TYPED;
  };
  select.addEventListener('change', sync);
  sync();
  return {
    element: h('span', { className: 'hw-cd-pick' }, select, path),
    value: () => (select.value === TYPED ? path.value.trim() : select.value),
  };
}

export function attachDiskForm(attach: (path: string, format: 'raw' | 'qcow2') => void): HTMLElement {
  const path = h('input', { type: 'text', required: true, placeholder: '/var/lib/libvirt/images/data.qcow2' });
  const format = h('select', {}, h('option', { value: 'qcow2' }, 'qcow2'), h('option', { value: 'raw' }, 'raw'));
  const form = h(
    'form',
    { className: 'hw-form', 'aria-label': 'Attach a disk' },
    field('Disk image path', path),
    field('Format', format),
    h('button', { type: 'submit' }, 'Attach disk'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    attach(path.value.trim(), format.value as 'raw' | 'qcow2');
  });
  return form;
}

export function attachNicForm(add: (kind: 'network' | 'bridge', source: string, model: string) => void): HTMLElement {
  const kind = h(
    'select',
    {},
    h('option', { value: 'network' }, 'Virtual network'),
    h('option', { value: 'bridge' }, 'Bridge'),
  );
  const source = h('input', { type: 'text', required: true, value: 'default' });
  const model = h('select', {}, ...['virtio', 'e1000', 'rtl8139'].map((m) => h('option', { value: m }, m)));
  const form = h(
    'form',
    { className: 'hw-form', 'aria-label': 'Add a network card' },
    field('Connect to', kind),
    field('Network or bridge name', source),
    field('Model', model),
    h('button', { type: 'submit' }, 'Add network card'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    add(kind.value as 'network' | 'bridge', source.value.trim(), model.value);
  });
  return form;
}
