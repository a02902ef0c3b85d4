/**
 * A guest's hardware as it is now (the running guest's live definition) beside what it will be
 * at next boot (its persistent definition, VIR_DOMAIN_XML_INACTIVE): each device marked with where
 * it is, so a change made for one of them only is seen as such.
 */
import { DomainXmlFlags } from '../libvirt/index.js';
import type { GuestHardware, GuestUsbDevice } from '../../common/guest-devices.js';
import type { BootDevice, DevicePlace, HardwareView, PlacedDisk } from '../../common/hardware-contract.js';
import { BOOT_DEVICES } from '../../common/hardware-contract.js';
import { parseDomainXml } from './domain-xml.js';
import type { Host } from './host.js';

const ACTIVE = new Set(['running', 'paused', 'blocked', 'shutdown', 'pmsuspended']);

/** Pairs the items of the two lists by key, in the order of `now` then what only `next` has. */
function placed<T, K>(
  now: readonly T[] | undefined,
  next: readonly T[] | undefined,
  key: (t: T) => K,
): { item: T; other?: T; place: DevicePlace }[] {
  const out: { item: T; other?: T; place: DevicePlace }[] = [];
  const nextByKey = new Map((next ?? []).map((t) => [key(t), t]));
  for (const item of now ?? []) {
    const other = next ? nextByKey.get(key(item)) : undefined;
    if (!next) out.push({ item, place: 'both' });
    else if (other) out.push({ item, other, place: 'both' });
    else out.push({ item, place: 'now' });
    nextByKey.delete(key(item));
  }
  for (const item of nextByKey.values()) out.push({ item, place: now ? 'next-boot' : 'both' });
  return out;
}

const usbKey = (u: GuestUsbDevice): string => `${u.vendor}:${u.product}:${u.bus ?? ''}:${u.device ?? ''}`.toLowerCase();
const bootOf = (hw: GuestHardware): { devices: BootDevice[]; menu: boolean } => ({
  devices: hw.bootDevices.filter((d): d is BootDevice => (BOOT_DEVICES as readonly string[]).includes(d)),
  menu: hw.bootMenu,
});

/**
 * Puts the two side by side. `now` is absent for a guest that does not run, `next` for one with
 * no persistent definition (a transient guest); what exists in one view only counts as "both".
 */
export function mergeHardware(now: GuestHardware | undefined, next: GuestHardware | undefined): HardwareView {
  const disks: PlacedDisk[] = placed(now?.disks, next?.disks, (d) => d.target).map(({ item, other, place }) => ({
    ...item,
    place,
    ...(other && (other.source ?? '') !== (item.source ?? '') ? { nextSource: other.source ?? '' } : {}),
  }));
  const nics = placed(now?.nics, next?.nics, (n) => n.mac.toLowerCase()).map(({ item, place }) => ({
    ...item,
    place,
  }));
  const usb = placed(now?.usb, next?.usb, usbKey).map(({ item, place }) => ({ ...item, place }));
  const bootNow = now ? bootOf(now) : undefined;
  const boot = next ? bootOf(next) : (bootNow ?? { devices: [], menu: false });
  return {
    running: !!now,
    persistent: !!next,
    disks,
    nics,
    usb,
    boot,
    bootChanged: !!bootNow && !!next && JSON.stringify(bootNow) !== JSON.stringify(boot),
    perDeviceBoot: (next ?? now)?.disks.some((d) => d.bootOrder !== undefined) ?? false,
  };
}

/** Reads both definitions of the guest (the live one only while it runs). */
export function hardwareView(h: Host, uuid: string): Promise<HardwareView> {
  return h.read(uuid, 'read the hardware of', async (c, dom, info) => {
    const [now, next] = await Promise.all([
      ACTIVE.has(info.state) ? c.getXml(dom, 0) : undefined,
      info.persistent ? c.getXml(dom, DomainXmlFlags.INACTIVE) : undefined,
    ]);
    return mergeHardware(
      now === undefined ? undefined : parseDomainXml(now).hardware,
      next === undefined ? undefined : parseDomainXml(next).hardware,
    );
  });
}
