/**
 * A guest's hardware seen two ways (what the running guest has now, what its definition gives it
 * at next boot), the host's USB devices that can be passed through, and the commands on them.
 * Pure types: no Node, no DOM.
 */
import type { DeviceApply, GuestDisk, GuestNic, GuestUsbDevice } from './guest-devices.js';

/**
 * Where a device is: in the running guest and its definition alike, only in the running guest
 * (gone at shutdown), or only in the definition (it arrives at next boot).
 */
export type DevicePlace = 'both' | 'now' | 'next-boot';

export interface PlacedDisk extends GuestDisk {
  place: DevicePlace;
  /** In both, but the definition holds another medium: what the drive has at next boot ('' = empty). */
  nextSource?: string;
}
export type PlacedNic = GuestNic & { place: DevicePlace };
export type PlacedUsb = GuestUsbDevice & { place: DevicePlace };

/** What the boot firmware is told: devices in order (hd, cdrom, network, fd) and whether it offers a menu. */
export interface BootSettings {
  devices: BootDevice[];
  menu: boolean;
}
export const BOOT_DEVICES = ['hd', 'cdrom', 'network', 'fd'] as const;
export type BootDevice = (typeof BOOT_DEVICES)[number];

export interface HardwareView {
  /** The guest runs: "now" is its live definition. */
  running: boolean;
  /** It has a definition that outlives a shutdown. */
  persistent: boolean;
  disks: PlacedDisk[];
  nics: PlacedNic[];
  usb: PlacedUsb[];
  /** The definition's boot settings (the running guest's when it has no definition). */
  boot: BootSettings;
  /** The definition's boot settings differ from those the running guest booted with. */
  bootChanged: boolean;
  /** Disks or cards carry their own boot order (<boot order=…/>), which a saved boot order replaces. */
  perDeviceBoot: boolean;
}

/** One USB device of the host, as libvirt's node devices list it. */
export interface HostUsbDevice {
  /** libvirt's node device name, e.g. "usb_1_4". */
  name: string;
  /** Hex ids as lsusb prints them: "0x0781". */
  vendor: string;
  product: string;
  vendorName?: string;
  productName?: string;
  bus: number;
  device: number;
}

export interface HardwareCommands {
  /** Both of the guest's definitions side by side: what applies now and what at next boot. */
  'guest.hardware': { params: { host: string; uuid: string }; result: HardwareView };
  /** Sets the boot order and boot menu in the definition: it applies at next boot. */
  'guest.setBoot': {
    params: { host: string; uuid: string } & BootSettings;
    result: { appliesAtNextBoot: boolean };
  };
  /** The host's USB devices (node devices with the usb_device capability). */
  'host.usbDevices': { params: { host: string }; result: HostUsbDevice[] };
  /** Passes one of the host's USB devices (by node device name) through to the guest. */
  'guest.attachUsb': { params: { host: string; uuid: string; device: string } & DeviceApply; result: null };
  /** Takes a passed-through USB device away from the guest again. */
  'guest.detachUsb': { params: { host: string; uuid: string } & GuestUsbDevice & DeviceApply; result: null };
}
