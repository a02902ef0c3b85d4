/** Hypervisor facts from libvirt's capabilities XML. */
import { attr, node, nodes, parseXml, text } from './xml.js';

export interface CapabilityFacts {
  cpuModel: string;
  /** The host CPU advertises VT-x (vmx) or AMD-V (svm). */
  hardwareVirt: boolean;
  /** libvirt offers domain type 'kvm' for some guest arch: /dev/kvm works. */
  kvm: boolean;
}

export function parseCapabilities(xml: string): CapabilityFacts {
  const caps = node(parseXml(xml)['capabilities']);
  const cpu = node(node(caps?.['host'])?.['cpu']);
  const features = nodes(cpu?.['feature']).map((f) => attr(f, 'name'));
  const kvm = nodes(caps?.['guest']).some((g) =>
    nodes(g['arch']).some((a) => nodes(a['domain']).some((d) => attr(d, 'type') === 'kvm')),
  );
  return {
    cpuModel: text(cpu?.['model']) ?? text(cpu?.['arch']) ?? '',
    hardwareVirt: features.includes('vmx') || features.includes('svm') || kvm,
    kvm,
  };
}
