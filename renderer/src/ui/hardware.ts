/**
 * The Hardware dialog of a guest: its disks, CD drives and network cards as the running guest has
 * them, CD insert and eject, and disks and cards attached or removed — now, at next boot, or both.
 */
import type { Bridge, GuestInfo } from '../../../common/contract.js';
import type { DeviceApply, GuestDisk, GuestNic } from '../../../common/guest-devices.js';
import type { Store } from '../state/store.js';
import { field, showModal } from './dialogs.js';
import { h } from './dom.js';

type Fail = (e: unknown, title?: string) => void;
const live = (g: GuestInfo): boolean => g.state === 'running' || g.state === 'paused' || g.state === 'blocked';

/** The two "when" checkboxes every change honours. */
function applyChoice(g: GuestInfo): { element: HTMLElement; value(): DeviceApply } {
  const now = h('input', { type: 'checkbox', checked: live(g), disabled: !live(g), 'data-apply': 'now' });
  const boot = h('input', { type: 'checkbox', checked: g.persistent, disabled: !g.persistent, 'data-apply': 'boot' });
  const element = h(
    'fieldset',
    { className: 'hw-apply' },
    h('legend', {}, 'Changes apply'),
    h('label', {}, now, ' now (the running guest)'),
    h('label', {}, boot, ' at next boot (its definition)'),
  );
  return { element, value: () => ({ live: now.checked, config: boot.checked }) };
}

function button(label: string, run: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  return h('button', { type: 'button', onclick: run, ...attrs }, label);
}

export function hardwareDialog(bridge: Bridge, store: Store, first: GuestInfo, fail: Fail): void {
  const ref = { host: first.host, uuid: first.uuid };
  const when = applyChoice(first);
  const disks = h('ul', { className: 'hw-list', 'aria-label': 'Disks and CD drives' });
  const nics = h('ul', { className: 'hw-list', 'aria-label': 'Network cards' });
  const status = h('p', { className: 'hint', role: 'status' });
  const run = (what: string, p: Promise<unknown>): void => {
    status.textContent = `${what}…`;
    p.then(
      () => (status.textContent = `${what}: done`),
      (e: unknown) => {
        status.textContent = '';
        fail(e, `Could not ${what.toLowerCase()}`);
      },
    );
  };

  const { diskItem, nicItem } = itemBuilders(bridge, ref, when.value, run);
  const render = (): void => {
    const g = store.guest(ref.uuid);
    const hw = g?.hardware;
    disks.replaceChildren(
      ...(hw?.disks.length ? hw.disks.map(diskItem) : [h('li', { className: 'muted' }, 'No disks')]),
    );
    nics.replaceChildren(
      ...(hw?.nics.length ? hw.nics.map(nicItem) : [h('li', { className: 'muted' }, 'No network cards')]),
    );
  };
  render();
  const unsubscribe = store.subscribe((ch) => ch.has('guests') && render());
  showModal({
    title: `Hardware of ${first.name}`,
    wide: true,
    testid: 'hardware',
    onClose: unsubscribe,
    body: [
      when.element,
      h('h3', {}, 'Disks and CD drives'),
      disks,
      attachDiskForm((path, format) =>
        run('Attach the disk', bridge.invoke('guest.attachDisk', { ...ref, ...when.value(), path, format })),
      ),
      h('h3', {}, 'Network cards'),
      nics,
      attachNicForm((kind, source, model) =>
        run('Add the card', bridge.invoke('guest.attachNic', { ...ref, ...when.value(), kind, source, model })),
      ),
      status,
    ],
  });
}

/** One list entry per disk, CD drive and network card, with what can be done to it. */
function itemBuilders(
  bridge: Bridge,
  ref: { host: string; uuid: string },
  apply: () => DeviceApply,
  run: (what: string, p: Promise<unknown>) => void,
): { diskItem(d: GuestDisk): HTMLElement; nicItem(n: GuestNic): HTMLElement } {
  const diskItem = (d: GuestDisk): HTMLElement => {
    const label = `${d.target} · ${d.device} on ${d.bus}${d.source ? ` · ${d.source}` : ' · empty'}`;
    if (d.device !== 'cdrom')
      return h(
        'li',
        { 'data-disk': d.target },
        h('span', {}, label),
        button('Detach', () =>
          run(`Detach ${d.target}`, bridge.invoke('guest.detachDisk', { ...ref, ...apply(), target: d.target })),
        ),
      );
    const iso = h('input', { type: 'text', placeholder: '/path/to/image.iso', 'aria-label': `ISO for ${d.target}` });
    const insert = (): void =>
      run(
        `Insert into ${d.target}`,
        bridge.invoke('guest.changeMedia', { ...ref, ...apply(), target: d.target, path: iso.value.trim() }),
      );
    const eject = (): void =>
      run(`Eject ${d.target}`, bridge.invoke('guest.changeMedia', { ...ref, ...apply(), target: d.target }));
    return h(
      'li',
      { 'data-disk': d.target },
      h('span', {}, label),
      d.source ? button('Eject', eject) : h('span', { className: 'hw-insert' }, iso, button('Insert', insert)),
    );
  };
  const nicItem = (n: GuestNic): HTMLElement =>
    h(
      'li',
      { 'data-nic': n.mac },
      h('span', {}, `${n.mac} · ${n.type} ${n.source} · ${n.model}`),
      button('Remove', () =>
        run(`Remove ${n.mac}`, bridge.invoke('guest.detachNic', { ...ref, ...apply(), mac: n.mac })),
      ),
    );

  return { diskItem, nicItem };
}

function attachDiskForm(attach: (path: string, format: 'raw' | 'qcow2') => void): HTMLElement {
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

function attachNicForm(add: (kind: 'network' | 'bridge', source: string, model: string) => void): HTMLElement {
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
