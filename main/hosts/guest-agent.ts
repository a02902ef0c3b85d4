/**
 * What the guest agent gives: the guest's hostname, addresses and file systems (addresses from the
 * DHCP leases when no agent answers), its clock set again after a resume or a restore.
 */
import type { GuestAgentInfo, GuestFileSystem, GuestInterface } from '../../common/guest-devices.js';
import {
  HostnameFlags,
  InterfaceAddressesSource,
  LifecycleDetail,
  LifecycleEvent,
  type DomainRef,
  type LibvirtClient,
} from '../libvirt/index.js';
import type { LifecycleNotice } from './guest-model.js';
import type { Host } from './host.js';

async function interfaces(c: LibvirtClient, dom: DomainRef, source: number): Promise<GuestInterface[]> {
  const r = await c.call('domainInterfaceAddresses', { dom, source, flags: 0 });
  return r.ifaces.map((i) => ({
    name: i.name,
    ...(i.hwaddr ? { mac: i.hwaddr } : {}),
    addresses: i.addrs.map((a) => `${a.addr}/${a.prefix}`),
  }));
}

async function fileSystems(c: LibvirtClient, dom: DomainRef): Promise<GuestFileSystem[]> {
  const r = await c.call('domainGetFsinfo', { dom, flags: 0 });
  return r.info.map((f) => ({ mountpoint: f.mountpoint, name: f.name, type: f.fstype }));
}

/** The guest's own view of itself; a missing agent is no error (less is known, that is all). */
export function agentInfo(h: Host, uuid: string): Promise<GuestAgentInfo> {
  return h.read(uuid, 'read the guest agent of', async (c, dom, info) => {
    const agent = info.hardware?.agent ?? 'none';
    const running = info.state === 'running';
    if (running && agent === 'connected') {
      const [hostname, ifaces, fs] = await Promise.all([
        c.call('domainGetHostname', { dom, flags: HostnameFlags.AGENT }).then((r) => r.hostname),
        interfaces(c, dom, InterfaceAddressesSource.AGENT),
        fileSystems(c, dom).catch(() => []),
      ]);
      return { agent, source: 'agent', hostname, interfaces: ifaces, fileSystems: fs };
    }
    const leases = running ? await interfaces(c, dom, InterfaceAddressesSource.LEASE).catch(() => []) : [];
    return { agent, source: leases.length ? 'lease' : 'none', interfaces: leases, fileSystems: [] };
  });
}

/** After a resume or a restore the guest's clock is behind: the agent sets it to the host's time. */
export function syncClockAfterWake(h: Host, n: LifecycleNotice): void {
  const woke =
    n.event === LifecycleEvent.RESUMED ||
    (n.event === LifecycleEvent.STARTED && n.detail === LifecycleDetail.STARTED_RESTORED);
  if (!woke || h.guest(n.uuid)?.hardware?.agent !== 'connected') return;
  const now = Date.now();
  void h
    .read(n.uuid, 'set the clock of', (c, dom) =>
      c.call('domainSetTime', {
        dom,
        seconds: BigInt(Math.floor(now / 1000)),
        nseconds: (now % 1000) * 1e6,
        flags: 0,
      }),
    )
    .then(
      () => h.emit('clock-set', { host: h.uri, uuid: n.uuid }),
      () => undefined,
    );
}
