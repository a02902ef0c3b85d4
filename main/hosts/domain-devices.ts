/** A guest's hardware from its domain XML: disks, network cards, USB host devices, boot and agent. */
import type { AgentState, GuestDisk, GuestHardware, GuestNic, GuestUsbDevice } from '../../common/guest-devices.js';
import { attr, node, nodes, type XmlNode } from './xml.js';

/** The name of the virtio-serial channel QEMU's guest agent listens on. */
export const AGENT_CHANNEL = 'org.qemu.guest_agent.0';

const DISK_DEVICES = new Set(['disk', 'cdrom', 'floppy', 'lun']);

function diskOf(d: XmlNode): GuestDisk | undefined {
  const target = attr(node(d['target']), 'dev');
  if (!target) return undefined;
  const device = attr(d, 'device') ?? 'disk';
  const src = node(d['source']);
  const source =
    attr(src, 'file') ?? attr(src, 'dev') ?? (attr(src, 'volume') ? `${attr(src, 'pool')}/${attr(src, 'volume')}` : '');
  const order = Number(attr(node(d['boot']), 'order'));
  return {
    target,
    device: (DISK_DEVICES.has(device) ? device : 'disk') as GuestDisk['device'],
    bus: attr(node(d['target']), 'bus') ?? '',
    ...(source ? { source } : {}),
    readonly: d['readonly'] !== undefined,
    ...(order > 0 ? { bootOrder: order } : {}),
  };
}

function nicOf(i: XmlNode): GuestNic {
  const src = node(i['source']);
  return {
    mac: attr(node(i['mac']), 'address') ?? '',
    type: attr(i, 'type') ?? '',
    source: attr(src, 'network') ?? attr(src, 'bridge') ?? attr(src, 'dev') ?? '',
    model: attr(node(i['model']), 'type') ?? '',
  };
}

function usbOf(h: XmlNode): GuestUsbDevice | undefined {
  if (attr(h, 'type') !== 'usb') return undefined;
  const src = node(h['source']);
  const vendor = attr(node(src?.['vendor']), 'id');
  const product = attr(node(src?.['product']), 'id');
  if (!vendor || !product) return undefined;
  const address = node(src?.['address']);
  const bus = Number(attr(address, 'bus'));
  const device = Number(attr(address, 'device'));
  return { vendor, product, ...(bus > 0 && device > 0 ? { bus, device } : {}) };
}

function agentOf(devices: XmlNode | undefined): AgentState {
  const channel = nodes(devices?.['channel']).find((c) => attr(node(c['target']), 'name') === AGENT_CHANNEL);
  if (!channel) return 'none';
  // The live XML says whether the agent is connected; the persistent one says nothing.
  return attr(node(channel['target']), 'state') === 'connected' ? 'connected' : 'disconnected';
}

/** Reads the hardware out of a parsed <domain> element. */
export function hardwareOf(d: XmlNode): GuestHardware {
  const devices = node(d['devices']);
  const os = node(d['os']);
  return {
    disks: nodes(devices?.['disk'])
      .map(diskOf)
      .filter((x): x is GuestDisk => !!x),
    nics: nodes(devices?.['interface']).map(nicOf),
    usb: nodes(devices?.['hostdev'])
      .map(usbOf)
      .filter((x): x is GuestUsbDevice => !!x),
    bootDevices: nodes(os?.['boot'])
      .map((b) => attr(b, 'dev') ?? '')
      .filter(Boolean),
    bootMenu: attr(node(os?.['bootmenu']), 'enable') === 'yes',
    agent: agentOf(devices),
  };
}
