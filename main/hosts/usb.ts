/**
 * USB passthrough: the host's USB devices (libvirt node devices with the usb_device capability)
 * and a guest's <hostdev> for one of them, attached and detached now, at next boot, or both.
 * The XML sent is built here from checked fields, never taken from the client.
 */
import { NodeDeviceListFlags } from '../libvirt/index.js';
import { ApiError } from '../../common/api-error.js';
import type { HostUsbDevice } from '../../common/hardware-contract.js';
import type { DeviceApply, GuestUsbDevice } from '../../common/guest-devices.js';
import { modifyFlags, xmlEscape } from './hardware.js';
import type { Host } from './host.js';
import { attr, node, parseXml, text } from './xml.js';

/** One node device's XML (virsh nodedev-dumpxml) as a USB device; undefined when it is not one. */
export function parseUsbNodeDevice(xml: string): HostUsbDevice | undefined {
  const dev = node(parseXml(xml)['device']);
  const caps = dev?.['capability'];
  const cap = (Array.isArray(caps) ? caps : caps && typeof caps !== 'string' ? [caps] : []).find(
    (c) => attr(c, 'type') === 'usb_device',
  );
  const vendorEl = node(cap?.['vendor']);
  const productEl = node(cap?.['product']);
  const vendor = attr(vendorEl, 'id');
  const product = attr(productEl, 'id');
  const name = text(dev?.['name']);
  if (!cap || !name || !vendor || !product) return undefined;
  const vendorName = text(cap['vendor']);
  const productName = text(cap['product']);
  return {
    name,
    vendor,
    product,
    ...(vendorName ? { vendorName } : {}),
    ...(productName ? { productName } : {}),
    bus: Number(text(cap['bus']) ?? 0),
    device: Number(text(cap['device']) ?? 0),
  };
}

/**
 * The <hostdev> naming a USB device: by vendor and product, so it survives being plugged in
 * again (which changes its device number); with bus and device too when given, which tells two
 * devices of the same make apart.
 */
export function usbHostdevXml(d: GuestUsbDevice): string {
  const address = d.bus && d.device ? `<address bus='${d.bus}' device='${d.device}'/>` : '';
  return `<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='${xmlEscape(d.vendor)}'/><product id='${xmlEscape(d.product)}'/>${address}</source></hostdev>`;
}

/** How the guest names `dev`: by make alone, unless the host has another of the same make. */
export function hostdevFor(dev: HostUsbDevice, all: readonly HostUsbDevice[]): GuestUsbDevice {
  const twins = all.filter((d) => d.vendor === dev.vendor && d.product === dev.product).length > 1;
  return { vendor: dev.vendor, product: dev.product, ...(twins ? { bus: dev.bus, device: dev.device } : {}) };
}

/** The host's USB devices; an empty list when it has none. */
export function listUsbDevices(h: Host): Promise<HostUsbDevice[]> {
  return h.withClient('list the USB devices of the host', async (c) => {
    const { devices } = await c.call('connectListAllNodeDevices', {
      needResults: 1,
      flags: NodeDeviceListFlags.USB_DEV,
    });
    const all = await Promise.all(
      devices.map(async ({ name }) =>
        parseUsbNodeDevice((await c.call('nodeDeviceGetXmlDesc', { name, flags: 0 })).xml),
      ),
    );
    return all.filter((d): d is HostUsbDevice => !!d).sort((a, b) => a.bus - b.bus || a.device - b.device);
  });
}

/** Passes the host's USB device `name` through to the guest. */
export async function attachUsb(h: Host, uuid: string, name: string, a: DeviceApply): Promise<void> {
  const all = await listUsbDevices(h);
  const dev = all.find((d) => d.name === name);
  if (!dev) throw new ApiError('invalid-input', `The host has no USB device ${name}`, { host: h.uri });
  const xml = usbHostdevXml(hostdevFor(dev, all));
  await h.act(uuid, `pass USB device ${dev.productName ?? name} through to`, async (c, dom) => {
    await c.call('domainAttachDeviceFlags', { dom, xml, flags: modifyFlags(a) });
  });
}

export function detachUsb(h: Host, uuid: string, d: GuestUsbDevice, a: DeviceApply): Promise<void> {
  return h.act(uuid, `take USB device ${d.vendor}:${d.product} from`, async (c, dom) => {
    await c.call('domainDetachDeviceFlags', { dom, xml: usbHostdevXml(d), flags: modifyFlags(a) });
  });
}
