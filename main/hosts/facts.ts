/** A hypervisor's facts, read in one round of calls: versions, CPUs, memory, virtualisation. */
import type { LibvirtClient } from '../libvirt/index.js';
import type { HostFacts } from '../../common/contract.js';
import { parseCapabilities } from './capabilities.js';

/** libvirt encodes versions as major × 1,000,000 + minor × 1,000 + micro. */
export function versionString(v: number): string {
  return `${Math.floor(v / 1_000_000)}.${Math.floor(v / 1000) % 1000}.${v % 1000}`;
}

export async function readHostFacts(c: LibvirtClient): Promise<HostFacts> {
  const [lib, ver, type, hostname, node, caps] = await Promise.all([
    c.call('connectGetLibVersion', undefined),
    c.call('connectGetVersion', undefined),
    c.call('connectGetType', undefined),
    c.call('connectGetHostname', undefined),
    c.call('nodeGetInfo', undefined),
    c.call('connectGetCapabilities', undefined),
  ]);
  const cap = parseCapabilities(caps.capabilities);
  return {
    hostname: hostname.hostname,
    libvirtVersion: versionString(lib.libVer),
    hypervisor: type.type,
    hypervisorVersion: versionString(ver.hvVer),
    cpus: node.cpus,
    cpuModel: cap.cpuModel || node.model,
    memoryKiB: node.memory,
    hardwareVirt: cap.hardwareVirt,
    kvm: cap.kvm,
  };
}
