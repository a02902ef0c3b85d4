/** A hypervisor's facts, read in one round of calls: versions, CPUs, memory, virtualisation. */
import type { LibvirtClient } from '../libvirt/index.js';
import type { HostFacts } from '../../common/contract.js';
import { parseCapabilities } from './capabilities.js';

/** libvirt encodes versions as major × 1,000,000 + minor × 1,000 + micro. */
export function versionString(v: number): string {
  return `${Math.floor(v / 1_000_000)}.${Math.floor(v / 1000) % 1000}.${v % 1000}`;
}

/** One round of the calls every view of a host starts from; the capabilities already parsed. */
export async function readHostRound(c: LibvirtClient) {
  const [lib, ver, type, hostname, node, caps] = await Promise.all([
    c.call('connectGetLibVersion', undefined),
    c.call('connectGetVersion', undefined),
    c.call('connectGetType', undefined),
    c.call('connectGetHostname', undefined),
    c.call('nodeGetInfo', undefined),
    c.call('connectGetCapabilities', undefined),
  ]);
  return {
    hostname: hostname.hostname,
    libvirtVersion: versionString(lib.libVer),
    hypervisor: type.type,
    hypervisorVersion: versionString(ver.hvVer),
    node,
    cap: parseCapabilities(caps.capabilities),
  };
}

export async function readHostFacts(c: LibvirtClient): Promise<HostFacts> {
  const r = await readHostRound(c);
  return {
    hostname: r.hostname,
    libvirtVersion: r.libvirtVersion,
    hypervisor: r.hypervisor,
    hypervisorVersion: r.hypervisorVersion,
    cpus: r.node.cpus,
    cpuModel: r.cap.cpuModel || r.node.model,
    memoryKiB: r.node.memory,
    hardwareVirt: r.cap.hardwareVirt,
    kvm: r.cap.kvm,
  };
}
