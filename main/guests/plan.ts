/**
 * Deciding a new guest's hardware from what its OS needs and what its host can do: firmware,
 * Secure Boot, TPM, disk bus, NIC model, clock, enlightenments. Where the host lacks what the OS
 * needs, the plan says so in words naming the package to install, and does without.
 */
import { isQ35, type DomainCaps } from './domcaps.js';
import type { OsProfile } from './os-catalog.js';

export interface VolumeRef {
  pool: string;
  volume: string;
}

export interface GuestChoices {
  name: string;
  memoryMiB: number;
  vcpus: number;
  /** Unset: what the OS prefers and the host has. */
  firmware?: 'bios' | 'uefi';
  secureBoot?: boolean;
  tpm?: boolean;
  /** The main disk (an existing volume: a new one made for the guest, or an imported image). */
  disk?: VolumeRef & { format: string };
  /** An installer ISO, attached as a CD-ROM and booted first. */
  cdrom?: VolumeRef;
  /** A virtio-win driver ISO: Windows gets virtio devices and this ISO as a second CD-ROM. */
  virtioWin?: VolumeRef;
  networkBoot?: boolean;
  network: { kind: 'network' | 'bridge'; source: string } | { kind: 'none' };
  /** Emulation was asked for although the host may have KVM. */
  emulate?: boolean;
}

export interface GuestPlan extends GuestChoices {
  os: OsProfile;
  virtType: string;
  machine: string;
  arch: string;
  firmware: 'bios' | 'uefi';
  secureBoot: boolean;
  tpm: boolean;
  diskBus: 'virtio' | 'sata';
  nicModel: 'virtio' | 'e1000e' | 'e1000';
  video: string;
  localtime: boolean;
  hyperv: boolean;
  /** Linux: serial console, guest-agent channel, virtio RNG and balloon. */
  linuxExtras: boolean;
  /** What the user should know: emulation, missing firmware or TPM and which package brings it. */
  notices: string[];
}

function firmwarePlan(
  os: OsProfile,
  caps: DomainCaps,
  c: GuestChoices,
  notices: string[],
): Pick<GuestPlan, 'firmware' | 'secureBoot' | 'tpm'> {
  const wantUefi = c.firmware ? c.firmware === 'uefi' : os.uefi !== 'no' && (caps.efi || os.uefi === 'required');
  const wantSecure = wantUefi && (c.secureBoot ?? os.secureBoot);
  const wantTpm = c.tpm ?? os.tpm;
  let firmware: 'bios' | 'uefi' = wantUefi ? 'uefi' : 'bios';
  let secureBoot = wantSecure;
  if (wantUefi && !caps.efi) {
    firmware = 'bios';
    secureBoot = false;
    notices.push(
      `This host has no UEFI firmware for its virtual machines: install the ovmf package on it. ${os.name} gets BIOS firmware instead${os.uefi === 'required' ? ', which it cannot boot from' : ''}.`,
    );
  } else if (wantSecure && !(caps.secureBoot && isQ35(caps))) {
    secureBoot = false;
    notices.push(
      `This host has no UEFI firmware with Secure Boot: install the ovmf package on it. ${os.name} gets UEFI without Secure Boot.`,
    );
  }
  let tpm = wantTpm;
  if (wantTpm && !caps.tpm2) {
    tpm = false;
    notices.push(`This host cannot emulate a TPM 2.0: install the swtpm package on it. ${os.name} gets no TPM.`);
  }
  return { firmware, secureBoot, tpm };
}

export function planGuest(os: OsProfile, caps: DomainCaps, c: GuestChoices): GuestPlan {
  const notices: string[] = [];
  if (caps.virtType !== 'kvm') {
    notices.push(
      c.emulate
        ? 'KVM is not used, as asked: the guest will be emulated, and slow.'
        : 'This host offers no hardware virtualisation (/dev/kvm): the guest will be emulated, and slow.',
    );
  }
  const fw = firmwarePlan(os, caps, c, notices);
  const windows = os.kind === 'windows';
  const virtio = (os.virtio || (windows && c.virtioWin !== undefined)) && caps.diskBuses.includes('virtio');
  if (windows && !virtio) {
    notices.push(
      'No virtio-win driver ISO is in a pool: Windows gets a SATA disk and an e1000e network card, which it drives itself.',
    );
  }
  const video = os.kind === 'linux' && caps.videoModels.includes('virtio') ? 'virtio' : 'vga';
  return {
    ...c,
    ...fw,
    os,
    virtType: caps.virtType,
    machine: caps.machine,
    arch: caps.arch,
    diskBus: virtio ? 'virtio' : 'sata',
    nicModel: virtio ? 'virtio' : windows || isQ35(caps) ? 'e1000e' : 'e1000',
    video,
    localtime: windows,
    // Hyper-V enlightenments need KVM; QEMU's emulation does not provide them.
    hyperv: windows && caps.hyperv && caps.virtType === 'kvm',
    linuxExtras: os.kind === 'linux',
    notices,
  };
}
