/**
 * The Networks dialog of a host: its virtual networks with state, autostart, bridge and
 * addressing; start, stop, autostart, delete; DHCP leases; and a form for a new NAT or isolated
 * network with a DHCP range.
 */
import type { Bridge } from '../../../common/contract.js';
import type { NetworkInfo } from '../../../common/network-contract.js';
import { field, showModal } from './dialogs.js';
import { h } from './dom.js';

type Fail = (e: unknown, title?: string) => void;

export function networksDialog(bridge: Bridge, host: string, fail: Fail): void {
  const list = h(
    'ul',
    { className: 'hw-list', 'aria-label': 'Virtual networks' },
    h('li', { className: 'muted' }, 'Loading…'),
  );
  const leases = h('pre', { className: 'xml-diff', 'aria-label': 'DHCP leases', hidden: true });
  const refresh = (): void => {
    bridge.invoke('network.list', { host }).then((nets) => list.replaceChildren(...nets.map(item)), fail);
  };
  const act = (what: string, p: Promise<unknown>): void => {
    p.then(refresh, (e: unknown) => fail(e, `Could not ${what}`));
  };
  const showLeases = (n: NetworkInfo): void => {
    bridge.invoke('network.leases', { host, name: n.name }).then((ls) => {
      leases.hidden = false;
      leases.textContent = ls.length
        ? ls.map((l) => `${l.ip}/${l.prefix}  ${l.mac ?? ''}  ${l.hostname ?? ''}`).join('\n')
        : `No DHCP leases on ${n.name}.`;
    }, fail);
  };
  const item = (n: NetworkInfo): HTMLElement => {
    const ref = { host, name: n.name };
    const b = (label: string, run: () => void): HTMLButtonElement =>
      h('button', { type: 'button', onclick: run }, label);
    const addressing = [n.forward, n.bridge, n.address, n.dhcpStart && `DHCP ${n.dhcpStart}–${n.dhcpEnd}`].filter(
      Boolean,
    );
    return h(
      'li',
      { 'data-network': n.name },
      h('span', {}, h('strong', {}, n.name), ` · ${n.active ? 'active' : 'inactive'} · ${addressing.join(' · ')}`),
      h(
        'span',
        { className: 'hw-insert' },
        h(
          'label',
          {},
          h('input', {
            type: 'checkbox',
            checked: n.autostart,
            onchange: (ev: Event) =>
              act(
                'set autostart',
                bridge.invoke('network.setAutostart', { ...ref, enabled: (ev.target as HTMLInputElement).checked }),
              ),
          }),
          ' autostart',
        ),
        n.active
          ? b('Stop', () => act('stop the network', bridge.invoke('network.stop', ref)))
          : b('Start', () => act('start the network', bridge.invoke('network.start', ref))),
        b('Leases', () => showLeases(n)),
        b('Delete', () => act('delete the network', bridge.invoke('network.delete', ref))),
      ),
    );
  };
  showModal({
    title: `Networks of ${host}`,
    wide: true,
    testid: 'networks',
    body: [list, leases, h('h3', {}, 'New network'), newNetworkForm(bridge, host, refresh, fail)],
  });
  refresh();
}

function newNetworkForm(bridge: Bridge, host: string, done: () => void, fail: Fail): HTMLElement {
  const input = (value: string, label: string): HTMLInputElement =>
    h('input', { type: 'text', required: true, value, 'aria-label': label });
  const name = input('', 'Name');
  const mode = h('select', {}, h('option', { value: 'nat' }, 'NAT'), h('option', { value: 'isolated' }, 'Isolated'));
  const address = input('10.77.0.1', 'Host address');
  const prefix = h('input', { type: 'number', min: 8, max: 30, value: 24, required: true });
  const start = input('10.77.0.100', 'DHCP from');
  const end = input('10.77.0.200', 'DHCP to');
  const form = h(
    'form',
    { className: 'hw-form', 'aria-label': 'New network' },
    field('Name', name),
    field('Mode', mode),
    field('Host address', address),
    field('Prefix', prefix),
    field('DHCP from', start),
    field('DHCP to', end),
    h('button', { type: 'submit', className: 'primary' }, 'Create network'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    bridge
      .invoke('network.create', {
        host,
        name: name.value.trim(),
        mode: mode.value as 'nat' | 'isolated',
        address: address.value.trim(),
        prefix: Number(prefix.value),
        dhcpStart: start.value.trim(),
        dhcpEnd: end.value.trim(),
        autostart: false,
      })
      .then(done, (e: unknown) => fail(e, 'Could not create the network'));
  });
  return form;
}
