/**
 * The USB part of the Hardware dialog: the USB devices passed through to the guest, and the
 * host's own USB devices to pass through (or, in words, that it has none).
 */
import type { HardwareView, HostUsbDevice, PlacedUsb } from '../../../common/hardware-contract.js';
import { h } from './dom.js';
import { placeBadge } from './hardware-parts.js';

export interface UsbSection {
  element: HTMLElement;
  /** Shows the guest's devices from `v` and the host's from `host` (undefined while asking). */
  show(v: HardwareView, host: HostUsbDevice[] | undefined, hostError?: string): void;
}

const describe = (d: { vendor: string; product: string; vendorName?: string; productName?: string }): string =>
  [d.vendorName, d.productName].filter(Boolean).join(' ') || 'USB device';

export function usbSection(attach: (device: HostUsbDevice) => void, detach: (u: PlacedUsb) => void): UsbSection {
  const attached = h('ul', { className: 'hw-list', 'aria-label': 'USB devices of the guest' });
  const hostPart = h('div', { className: 'hw-usb-host' });
  const element = h(
    'section',
    { className: 'hw-section', 'aria-label': 'USB host devices' },
    h('h3', {}, 'USB host devices'),
    attached,
    hostPart,
  );
  return {
    element,
    show(v, host, hostError) {
      attached.replaceChildren(
        ...(v.usb.length
          ? v.usb.map((u) => {
              const known = host?.find((d) => d.vendor === u.vendor && d.product === u.product);
              const at = u.bus && u.device ? ` on bus ${u.bus} device ${u.device}` : '';
              return h(
                'li',
                { 'data-usb': `${u.vendor}:${u.product}` },
                h(
                  'span',
                  {},
                  `${known ? describe(known) : 'USB device'} (${u.vendor}:${u.product})${at}`,
                  placeBadge(u.place),
                ),
                h('button', { type: 'button', onclick: () => detach(u) }, 'Detach'),
              );
            })
          : [h('li', { className: 'muted' }, 'No USB devices passed through')]),
      );
      if (hostError) return void hostPart.replaceChildren(h('p', { className: 'hint' }, hostError));
      if (!host)
        return void hostPart.replaceChildren(h('p', { className: 'hint' }, 'Asking the host for its USB devices…'));
      if (!host.length)
        return void hostPart.replaceChildren(
          h('p', { className: 'hint', 'data-usb-empty': '' }, 'This host has no USB devices.'),
        );
      const pick = h(
        'select',
        { 'aria-label': 'USB device of the host' },
        ...host.map((d) =>
          h('option', { value: d.name }, `${describe(d)} (${d.vendor}:${d.product}) · bus ${d.bus} device ${d.device}`),
        ),
      );
      hostPart.replaceChildren(
        h(
          'div',
          { className: 'hw-form' },
          pick,
          h(
            'button',
            { type: 'button', onclick: () => attach(host.find((d) => d.name === pick.value)!) },
            'Attach USB device',
          ),
        ),
      );
    },
  };
}
