/**
 * A host's virtual networks: listed with their state and addressing, started, stopped, set to
 * autostart, created (NAT or isolated, with a DHCP range) and deleted, and their DHCP leases. A new
 * network whose subnet overlaps another's is refused in words before libvirt is asked.
 */
import type { NetworkInfo, NetworkLease, NewNetwork } from '../../common/network-contract.js';
import { ApiError } from '../../common/api-error.js';
import type { LibvirtClient } from '../libvirt/index.js';
import type { Host } from './host.js';
import { toApiError } from './api-error.js';
import { xmlEscape } from './hardware.js';

const attr = (xml: string, el: string, name: string): string | undefined =>
  new RegExp(`<${el}\\b[^>]*\\b${name}=['"]([^'"]*)['"]`).exec(xml)?.[1];

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new ApiError('invalid-input', `${ip} is not an IPv4 address`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** The first and last address of the subnet `ip/prefix`. */
export function subnet(ip: string, prefix: number): [number, number] {
  const size = 2 ** (32 - prefix);
  const start = Math.floor(ipToInt(ip) / size) * size;
  return [start, start + size - 1];
}

const prefixOf = (netmask: string): number => ipToInt(netmask).toString(2).replace(/0+$/, '').length;

/** What a network's XML says about it. */
export function parseNetworkXml(xml: string): Omit<NetworkInfo, 'active' | 'autostart' | 'persistent'> {
  const ip = attr(xml, 'ip', 'address');
  const prefix =
    attr(xml, 'ip', 'prefix') ??
    (attr(xml, 'ip', 'netmask') ? String(prefixOf(attr(xml, 'ip', 'netmask')!)) : undefined);
  return {
    name: /<name>([^<]*)<\/name>/.exec(xml)?.[1] ?? '',
    forward: /<forward\b/.test(xml) ? (attr(xml, 'forward', 'mode') ?? 'nat') : 'isolated',
    bridge: attr(xml, 'bridge', 'name'),
    address: ip && prefix ? `${ip}/${prefix}` : undefined,
    dhcpStart: attr(xml, 'range', 'start'),
    dhcpEnd: attr(xml, 'range', 'end'),
  };
}

async function run<T>(h: Host, action: string, f: (c: LibvirtClient) => Promise<T>): Promise<T> {
  try {
    return await f(h.libvirt());
  } catch (e) {
    throw toApiError(e, { host: h.uri, action });
  }
}

export function listNetworks(h: Host): Promise<NetworkInfo[]> {
  return run(h, 'list the networks of this host', async (c) => {
    const { nets } = await c.call('connectListAllNetworks', { needResults: true, flags: 0 });
    return Promise.all(
      nets.map(async (net) => {
        const { xml } = await c.call('networkGetXmlDesc', { net, flags: 0 });
        const { active } = await c.call('networkIsActive', { net });
        const { autostart } = await c.call('networkGetAutostart', { net });
        const { persistent } = await c.call('networkIsPersistent', { net });
        return { ...parseNetworkXml(xml), name: net.name, active, autostart, persistent };
      }),
    );
  });
}

/** Refuses a subnet that overlaps another network's, and a DHCP range outside its own subnet. */
export function checkNewNetwork(n: NewNetwork, others: readonly NetworkInfo[]): void {
  const [lo, hi] = subnet(n.address, n.prefix);
  for (const o of others) {
    if (o.name === n.name) throw new ApiError('conflict', `A network named "${n.name}" exists already`);
    if (!o.address) continue;
    const [ip, p] = o.address.split('/');
    const [olo, ohi] = subnet(ip!, Number(p));
    if (lo <= ohi && olo <= hi)
      throw new ApiError('conflict', `${n.address}/${n.prefix} overlaps network "${o.name}" (${o.address})`);
  }
  const [s, e] = [ipToInt(n.dhcpStart), ipToInt(n.dhcpEnd)];
  if (s > e || s < lo || e > hi)
    throw new ApiError(
      'invalid-input',
      `The DHCP range ${n.dhcpStart}–${n.dhcpEnd} must lie within ${n.address}/${n.prefix}`,
    );
}

export async function createNetwork(h: Host, n: NewNetwork): Promise<void> {
  checkNewNetwork(n, await listNetworks(h));
  const xml =
    `<network><name>${xmlEscape(n.name)}</name>${n.mode === 'nat' ? "<forward mode='nat'/>" : ''}` +
    `<ip address='${n.address}' prefix='${n.prefix}'><dhcp><range start='${n.dhcpStart}' end='${n.dhcpEnd}'/></dhcp></ip></network>`;
  await run(h, `create network ${n.name}`, async (c) => {
    const { net } = await c.call('networkDefineXml', { xml });
    await c.call('networkCreate', { net });
    if (n.autostart) await c.call('networkSetAutostart', { net, autostart: true });
  });
}

export function networkAction(
  h: Host,
  name: string,
  what: 'start' | 'stop' | 'delete' | { autostart: boolean },
): Promise<void> {
  const verb = typeof what === 'string' ? what : 'set autostart of';
  return run(h, `${verb} network ${name}`, async (c) => {
    const { net } = await c.call('networkLookupByName', { name });
    if (what === 'start') await c.call('networkCreate', { net });
    else if (what === 'stop') await c.call('networkDestroy', { net });
    else if (what === 'delete') {
      if ((await c.call('networkIsActive', { net })).active) await c.call('networkDestroy', { net });
      await c.call('networkUndefine', { net });
    } else await c.call('networkSetAutostart', { net, autostart: what.autostart });
  });
}

export function networkLeases(h: Host, name: string): Promise<NetworkLease[]> {
  return run(h, `read the DHCP leases of network ${name}`, async (c) => {
    const { net } = await c.call('networkLookupByName', { name });
    const { leases } = await c.call('networkGetDhcpLeases', { net, mac: null, needResults: true, flags: 0 });
    return leases.map((l) => ({
      ip: l.ipaddr,
      prefix: l.prefix,
      mac: l.mac ?? undefined,
      hostname: l.hostname ?? undefined,
      expires: Number(l.expirytime) * 1000,
    }));
  });
}
