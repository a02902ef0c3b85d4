/** What a host is made of, read from its libvirt when asked: CPU, virtualisation, memory, versions, guests. Pure types. */

export interface HostVirtualization {
  /** The CPU's hardware virtualisation, as the host's libvirt reports it. */
  cpu: 'VT-x' | 'AMD-V' | 'none';
  /** libvirt offers KVM guests here: /dev/kvm is there and QEMU may open it. */
  kvm: boolean;
  /** What that means for guests, in words ("KVM: guests run at native speed", "emulation (TCG): …"). */
  summary: string;
  /** What to do so that KVM works, in words; absent when it works (or cannot apply, as on a non-QEMU host). */
  fix?: string;
  /** libvirt's own words on why KVM is not offered, when it gave any. */
  why?: string;
}

export interface HostDetails {
  hostname: string;
  cpuModel: string;
  cpuVendor?: string;
  /** libvirt's node info: logical CPUs, MHz, NUMA cells, and sockets per cell, cores per socket, threads per core. */
  cpus: number;
  mhz: number;
  numaNodes: number;
  sockets: number;
  cores: number;
  threads: number;
  virtualization: HostVirtualization;
  memoryKiB: number;
  freeMemoryKiB: number;
  libvirtVersion: string;
  hypervisor: string;
  hypervisorVersion: string;
  /** Guests active now (running, paused, …) and all guests this host knows (defined or transient). */
  guestsRunning: number;
  guestsDefined: number;
}

export interface HostDetailsCommands {
  'host.details': { params: { host: string }; result: HostDetails };
}
