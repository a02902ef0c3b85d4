/**
 * A guest's hardware as the app shows it: disks and CD drives, network cards, USB host devices,
 * the boot order and the guest agent's channel. Pure types: no Node, no DOM.
 */

export interface GuestDisk {
  /** The guest's name for it: vda, sda, hdc, … */
  target: string;
  device: 'disk' | 'cdrom' | 'floppy' | 'lun';
  bus: string;
  /** The file, block device or volume behind it; absent for an empty CD drive. */
  source?: string;
  readonly: boolean;
  /** Position in the boot order (1 first), when the disk has one. */
  bootOrder?: number;
}

export interface GuestNic {
  mac: string;
  /** "network" (a libvirt virtual network), "bridge", "user", "direct", … */
  type: string;
  /** The network's or the bridge's name. */
  source: string;
  /** virtio, e1000, rtl8139, … */
  model: string;
}

export interface GuestUsbDevice {
  /** Hex ids as lsusb prints them: "0x046d". */
  vendor: string;
  product: string;
  /** The host's bus and device numbers, when the guest names the device by them too. */
  bus?: number;
  device?: number;
}

/** The guest agent's channel: absent, present with no agent answering, or an agent connected. */
export type AgentState = 'none' | 'disconnected' | 'connected';

export interface GuestHardware {
  disks: GuestDisk[];
  nics: GuestNic[];
  usb: GuestUsbDevice[];
  /** Boot devices in order from <os><boot dev=…/>, when the per-device order is not used. */
  bootDevices: string[];
  bootMenu: boolean;
  agent: AgentState;
}

/** One network interface of a guest with its addresses, from the guest agent or the DHCP lease. */
export interface GuestInterface {
  name: string;
  mac?: string;
  /** "192.168.122.15/24", "fe80::1/64" */
  addresses: string[];
}

export interface GuestFileSystem {
  mountpoint: string;
  /** The guest's device name, e.g. "vda1". */
  name: string;
  type: string;
}

/** What the guest tells about itself: through its agent when one is connected, else from DHCP leases. */
export interface GuestAgentInfo {
  agent: AgentState;
  /** Where the addresses came from. */
  source: 'agent' | 'lease' | 'none';
  hostname?: string;
  interfaces: GuestInterface[];
  fileSystems: GuestFileSystem[];
}

/** When a hardware change applies: now (the running guest), at next boot (its definition), or both. */
export interface DeviceApply {
  live: boolean;
  config: boolean;
}
