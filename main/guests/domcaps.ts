/**
 * What a host can give a new guest, from libvirt's domain capabilities (`virsh domcapabilities`):
 * machine type, firmware (UEFI, Secure Boot), TPM emulation, Hyper-V enlightenments, disk buses,
 * video models. Firmware is left to libvirt's auto-selection, so no firmware path is ever needed.
 */
import { xmlParser } from '../platform/xml-parser.js';

export interface DomainCaps {
  /** 'kvm' (hardware virtualisation) or 'qemu' (emulation). */
  virtType: string;
  /** The machine type's canonical name, e.g. pc-q35-7.2. */
  machine: string;
  arch: string;
  maxVcpus: number;
  /** libvirt can pick a UEFI firmware image itself (`<os firmware='efi'>`). */
  efi: boolean;
  /** A UEFI image with Secure Boot exists (needs a q35 machine). */
  secureBoot: boolean;
  /** An emulated TPM 2.0 (swtpm) can be attached. */
  tpm2: boolean;
  hyperv: boolean;
  diskBuses: string[];
  videoModels: string[];
  /** vnc, spice, … */
  graphics: string[];
}

type Node = Record<string, unknown>;

const parser = xmlParser((name) => name === 'enum' || name === 'value');

const child = (n: unknown, name: string): Node | undefined => {
  const v = n && typeof n === 'object' ? (n as Node)[name] : undefined;
  return v && typeof v === 'object' ? (v as Node) : undefined;
};
const textOf = (n: unknown, name: string): string => {
  const v = n && typeof n === 'object' ? (n as Node)[name] : undefined;
  if (typeof v === 'string') return v;
  const t = v && typeof v === 'object' ? (v as Node)['#text'] : undefined;
  return typeof t === 'string' ? t : '';
};
const supported = (n: Node | undefined): boolean => n?.['@supported'] === 'yes';

/** The values of `<enum name=…>` under an element. */
function enumValues(n: Node | undefined, name: string): string[] {
  const e = ((n?.['enum'] as Node[] | undefined) ?? []).find((x) => x['@name'] === name);
  return ((e?.['value'] as unknown[] | undefined) ?? []).map((v) => (typeof v === 'string' ? v : '')).filter(Boolean);
}

export function parseDomainCaps(xml: string): DomainCaps {
  const root = child(parser.parse(xml) as Node, 'domainCapabilities');
  if (!root) throw new Error('not a domainCapabilities document');
  const os = child(root, 'os');
  const loader = child(os, 'loader');
  const devices = child(root, 'devices');
  const tpm = child(devices, 'tpm');
  const tpmVersions = enumValues(tpm, 'backendVersion');
  const machine = textOf(root, 'machine');
  return {
    virtType: textOf(root, 'domain'),
    machine,
    arch: textOf(root, 'arch'),
    maxVcpus: Number(child(root, 'vcpu')?.['@max'] ?? 1) || 1,
    efi: supported(os) && enumValues(os, 'firmware').includes('efi'),
    secureBoot:
      enumValues(os, 'firmware').includes('efi') && supported(loader) && enumValues(loader, 'secure').includes('yes'),
    // Before libvirt 8.x no backendVersion enum was given; the emulator then meant swtpm's 2.0.
    tpm2:
      supported(tpm) &&
      enumValues(tpm, 'backendModel').includes('emulator') &&
      (tpmVersions.length === 0 || tpmVersions.includes('2.0')),
    hyperv: supported(child(child(root, 'features'), 'hyperv')),
    diskBuses: enumValues(child(devices, 'disk'), 'bus'),
    videoModels: enumValues(child(devices, 'video'), 'modelType'),
    graphics: enumValues(child(devices, 'graphics'), 'type'),
  };
}

/** The machine is a q35 (PCIe, SATA AHCI, SMM for Secure Boot) rather than the older i440fx. */
export function isQ35(caps: DomainCaps): boolean {
  return /q35/.test(caps.machine);
}
