/**
 * Changing a guest's hardware: the CD in its drive, disks and network cards attached and
 * detached — now (live), at next boot (persistent), or both. The XML sent is built here from
 * checked fields, never taken from the client.
 */
import { DeviceModifyFlags } from '../libvirt/index.js';
import { ApiError } from '../../common/api-error.js';
import type { Host } from './host.js';

/** When a change applies: now, from the next boot, or both. */
export interface Apply {
  live: boolean;
  config: boolean;
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');
}

export function modifyFlags(a: Apply): number {
  if (!a.live && !a.config) throw new ApiError('invalid-input', 'Choose now, at next boot, or both');
  return (a.live ? DeviceModifyFlags.LIVE : 0) | (a.config ? DeviceModifyFlags.CONFIG : 0);
}

export function cdromXml(target: string, bus: string, path: string | undefined): string {
  const source = path ? `<source file='${xmlEscape(path)}'/>` : '';
  return `<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>${source}<target dev='${xmlEscape(target)}' bus='${xmlEscape(bus)}'/><readonly/></disk>`;
}

export function diskXml(target: string, path: string, format: string): string {
  return `<disk type='file' device='disk'><driver name='qemu' type='${xmlEscape(format)}'/><source file='${xmlEscape(path)}'/><target dev='${xmlEscape(target)}' bus='virtio'/></disk>`;
}

export function nicXml(kind: 'network' | 'bridge', source: string, model: string, mac?: string): string {
  const macEl = mac ? `<mac address='${xmlEscape(mac)}'/>` : '';
  return `<interface type='${kind}'>${macEl}<source ${kind}='${xmlEscape(source)}'/><model type='${xmlEscape(model)}'/></interface>`;
}

/** Inserts a medium into a CD drive (a path) or ejects it (no path). */
export function changeMedia(h: Host, uuid: string, target: string, path: string | undefined, a: Apply): Promise<void> {
  return h.act(uuid, path ? 'insert the CD into' : 'eject the CD of', async (c, dom, info) => {
    const drive = info.hardware?.disks.find((d) => d.target === target && d.device === 'cdrom');
    if (!drive) throw new ApiError('invalid-input', `${info.name} has no CD drive ${target}`, { guest: info.name });
    const xml = cdromXml(target, drive.bus, path);
    await c.call('domainUpdateDeviceFlags', { dom, xml, flags: modifyFlags(a) });
  });
}

/** The first free virtio disk name (vdb, vdc, …) the guest does not use. */
export function nextDiskTarget(used: readonly string[]): string {
  for (let i = 0; i < 26; i++) {
    const t = `vd${String.fromCharCode(97 + i)}`;
    if (!used.includes(t)) return t;
  }
  throw new ApiError('out-of-range', 'No free virtio disk name left (vda to vdz are taken)');
}

export function attachDisk(h: Host, uuid: string, path: string, format: string, a: Apply): Promise<string> {
  return h.act(uuid, 'attach a disk to', async (c, dom, info) => {
    const target = nextDiskTarget(info.hardware?.disks.map((d) => d.target) ?? []);
    await c.call('domainAttachDeviceFlags', { dom, xml: diskXml(target, path, format), flags: modifyFlags(a) });
    return target;
  });
}

export function detachDisk(h: Host, uuid: string, target: string, a: Apply): Promise<void> {
  return h.act(uuid, `detach disk ${target} from`, async (c, dom, info) => {
    const disk = info.hardware?.disks.find((d) => d.target === target);
    if (!disk) throw new ApiError('invalid-input', `${info.name} has no disk ${target}`, { guest: info.name });
    const xml =
      disk.device === 'cdrom' ? cdromXml(target, disk.bus, disk.source) : diskXml(target, disk.source ?? '', 'raw');
    await c.call('domainDetachDeviceFlags', { dom, xml, flags: modifyFlags(a) });
  });
}

export function attachNic(
  h: Host,
  uuid: string,
  nic: { kind: 'network' | 'bridge'; source: string; model: string },
  a: Apply,
): Promise<void> {
  return h.act(uuid, 'add a network card to', async (c, dom) => {
    await c.call('domainAttachDeviceFlags', {
      dom,
      xml: nicXml(nic.kind, nic.source, nic.model),
      flags: modifyFlags(a),
    });
  });
}

export function detachNic(h: Host, uuid: string, mac: string, a: Apply): Promise<void> {
  return h.act(uuid, `remove network card ${mac} from`, async (c, dom, info) => {
    const nic = info.hardware?.nics.find((n) => n.mac.toLowerCase() === mac.toLowerCase());
    if (!nic) throw new ApiError('invalid-input', `${info.name} has no network card ${mac}`, { guest: info.name });
    const kind = nic.type === 'bridge' ? 'bridge' : 'network';
    await c.call('domainDetachDeviceFlags', {
      dom,
      xml: nicXml(kind, nic.source, nic.model, nic.mac),
      flags: modifyFlags(a),
    });
  });
}
