/**
 * A host's details for its panel, read from that host's libvirt when asked (so a remote host's
 * are the remote machine's, never this one's): node info, capabilities, domain capabilities,
 * versions and free memory; and what its virtualisation means, with the fix in words when KVM
 * is not there.
 */
import type { HostDetails, HostVirtualization } from '../../common/host-details.js';
import { parseUri } from '../libvirt/index.js';
import type { Host } from './host.js';
import { toApiError } from './api-error.js';
import { readHostRound } from './facts.js';

export interface VirtualizationFacts {
  /** libvirt's connection type ("QEMU", "Test", …). */
  hypervisor: string;
  cpuVendor?: string;
  cpuFeatures: readonly string[];
  /** The capabilities offer a 'kvm' domain. */
  kvm: boolean;
  /** Why domain capabilities for KVM were refused, when they were. */
  kvmRefusal?: string;
  /** A per-user (qemu:///session) connection: QEMU runs as the user, who needs /dev/kvm. */
  session: boolean;
}

function cpuVirt(f: VirtualizationFacts): HostVirtualization['cpu'] {
  if (f.cpuFeatures.includes('vmx')) return 'VT-x';
  if (f.cpuFeatures.includes('svm')) return 'AMD-V';
  // A CPU that runs KVM has one of them even when its feature list (in a VM, say) leaves it out.
  if (f.kvm && /intel/i.test(f.cpuVendor ?? '')) return 'VT-x';
  if (f.kvm && /amd/i.test(f.cpuVendor ?? '')) return 'AMD-V';
  return 'none';
}

/** What the host's virtualisation is, and what to do when KVM is not there. Pure. */
export function describeVirtualization(f: VirtualizationFacts): HostVirtualization {
  const cpu = cpuVirt(f);
  const why = f.kvmRefusal ? { why: f.kvmRefusal } : {};
  if (!/qemu/i.test(f.hypervisor))
    return { cpu, kvm: false, summary: `not a QEMU/KVM host (libvirt's ${f.hypervisor} driver)`, ...why };
  if (f.kvm) return { cpu, kvm: true, summary: 'KVM: guests run on the CPU at native speed' };
  const summary = 'no KVM: guests run under emulation (TCG), many times slower';
  const module = cpu === 'VT-x' ? 'kvm_intel' : cpu === 'AMD-V' ? 'kvm_amd' : 'kvm_intel or kvm_amd';
  const access = f.session
    ? 'add your user to the group kvm (sudo usermod -aG kvm $USER), then log in again'
    : 'make sure /dev/kvm belongs to the group kvm and that QEMU’s user (in /etc/libvirt/qemu.conf) is in it, then restart libvirtd';
  const fix =
    cpu === 'none'
      ? 'The CPU shows no VT-x or AMD-V: turn on virtualization (Intel VT-x, or AMD SVM) in the machine’s ' +
        'firmware setup (BIOS/UEFI); on a virtual machine, turn on nested virtualization where it runs. ' +
        `Then load the KVM module (sudo modprobe ${module}) and ${access}.`
      : `The CPU has ${cpu}, but /dev/kvm is not usable: load the KVM module (sudo modprobe ${module}) and ${access}.`;
  return { cpu, kvm: false, summary, fix, ...why };
}

/** libvirt's refusal of KVM domain capabilities, in its words; undefined when it offers them. */
async function kvmRefusal(h: Host): Promise<string | undefined> {
  try {
    await h.libvirt().call('connectGetDomainCapabilities', {
      emulatorbin: null,
      arch: null,
      machine: null,
      virttype: 'kvm',
      flags: 0,
    });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const ACTIVE = new Set(['running', 'blocked', 'paused', 'shutdown', 'pmsuspended', 'crashed']);

export async function readHostDetails(h: Host): Promise<HostDetails> {
  const c = h.libvirt();
  try {
    const [round, free] = await Promise.all([readHostRound(c), c.call('nodeGetFreeMemory', undefined)]);
    const { cap, node: info } = round;
    const qemu = /qemu/i.test(round.hypervisor);
    const refusal = qemu && !cap.kvm ? await kvmRefusal(h) : undefined;
    const guests = h.guestList();
    return {
      hostname: round.hostname,
      cpuModel: cap.cpuModel || info.model,
      ...(cap.cpuVendor ? { cpuVendor: cap.cpuVendor } : {}),
      cpus: info.cpus,
      mhz: info.mhz,
      numaNodes: info.nodes,
      sockets: info.sockets,
      cores: info.cores,
      threads: info.threads,
      virtualization: describeVirtualization({
        hypervisor: round.hypervisor,
        ...(cap.cpuVendor ? { cpuVendor: cap.cpuVendor } : {}),
        cpuFeatures: cap.cpuFeatures,
        kvm: cap.kvm,
        ...(refusal ? { kvmRefusal: refusal } : {}),
        session: parseUri(h.uri).session,
      }),
      memoryKiB: info.memory,
      freeMemoryKiB: Math.floor(free.freeMem / 1024),
      libvirtVersion: round.libvirtVersion,
      hypervisor: round.hypervisor,
      hypervisorVersion: round.hypervisorVersion,
      guestsRunning: guests.filter((g) => ACTIVE.has(g.state)).length,
      guestsDefined: guests.length,
    };
  } catch (e) {
    throw toApiError(e, { host: h.uri });
  }
}
