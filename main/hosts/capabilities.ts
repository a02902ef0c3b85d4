/** Hypervisor facts from libvirt's capabilities XML. */
import { attr, node, nodes, parseXml, text } from './xml.js';

export interface CapabilityFacts {
  cpuModel: string;
  /** e.g. "Intel", "AMD", when libvirt names one. */
  cpuVendor?: string;
  /** The CPU features libvirt lists for the host (vmx is VT-x, svm is AMD-V). */
  cpuFeatures: string[];
  /** The host CPU advertises VT-x (vmx) or AMD-V (svm). */
  hardwareVirt: boolean;
  /** libvirt offers domain type 'kvm' for some guest arch: /dev/kvm works. */
  kvm: boolean;
}

export function parseCapabilities(xml: string): CapabilityFacts {
  const caps = node(parseXml(xml)['capabilities']);
  const cpu = node(node(caps?.['host'])?.['cpu']);
  const features = nodes(cpu?.['feature'])
    .map((f) => attr(f, 'name'))
    .filter((f): f is string => !!f);
  const kvm = nodes(caps?.['guest']).some((g) =>
    nodes(g['arch']).some((a) => nodes(a['domain']).some((d) => attr(d, 'type') === 'kvm')),
  );
  const vendor = text(cpu?.['vendor']);
  return {
    cpuModel: text(cpu?.['model']) ?? text(cpu?.['arch']) ?? '',
    ...(vendor ? { cpuVendor: vendor } : {}),
    cpuFeatures: features,
    hardwareVirt: features.includes('vmx') || features.includes('svm') || kvm,
    kvm,
  };
}
