/**
 * Storage pools and volumes of one host, as the app shows them: sizes, state, which guest uses
 * a volume. Plain functions over a libvirt client; the caller turns libvirt's errors into words.
 */
import { xmlParser } from '../platform/xml-parser.js';
import type { LibvirtClient, StoragePoolRef, StorageVolRef } from '../libvirt/index.js';
import type { PoolInfo, PoolState, VolumeInfo } from '../../common/storage-contract.js';
import { ApiError } from '../../common/api-error.js';
import { xmlEscape } from './domain-builder.js';

const POOL_STATES: PoolState[] = ['inactive', 'building', 'running', 'degraded', 'inaccessible'];

type Node = Record<string, unknown>;
const parser = xmlParser((n) => n === 'disk');
const at = (n: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Node)[k] : undefined), n);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof at(v, '#text') === 'string' ? (at(v, '#text') as string) : undefined;

export async function poolInfo(c: LibvirtClient, host: string, pool: StoragePoolRef): Promise<PoolInfo> {
  const [info, xml, auto, persistent] = await Promise.all([
    c.call('storagePoolGetInfo', { pool }),
    c.call('storagePoolGetXmlDesc', { pool, flags: 0 }),
    c.call('storagePoolGetAutostart', { pool }),
    c.call('storagePoolIsPersistent', { pool }),
  ]);
  const doc = parser.parse(xml.xml) as Node;
  const out: PoolInfo = {
    host,
    name: pool.name,
    uuid: pool.uuid,
    state: POOL_STATES[info.state] ?? 'inaccessible',
    capacity: info.capacity,
    allocation: info.allocation,
    available: info.available,
    autostart: auto.autostart,
    persistent: persistent.persistent,
    type: str(at(doc, 'pool', '@type')) ?? 'unknown',
  };
  const path = str(at(doc, 'pool', 'target', 'path'));
  if (path) out.path = path;
  return out;
}

export async function listPools(c: LibvirtClient, host: string): Promise<PoolInfo[]> {
  const { pools } = await c.call('connectListAllStoragePools', { needResults: true, flags: 0 });
  const infos = await Promise.all(pools.map((p) => poolInfo(c, host, p)));
  return infos.sort((a, b) => a.name.localeCompare(b.name));
}

export async function lookupPool(c: LibvirtClient, host: string, name: string): Promise<StoragePoolRef> {
  try {
    return (await c.call('storagePoolLookupByName', { name })).pool;
  } catch {
    throw new ApiError('invalid-input', `There is no storage pool ${name} on ${host}`, { host });
  }
}

/** Defines a directory pool on `path` (made if missing), starts it and marks it autostart. */
export async function defineDirPool(c: LibvirtClient, host: string, name: string, path: string): Promise<PoolInfo> {
  const xml = `<pool type='dir'><name>${xmlEscape(name)}</name><target><path>${xmlEscape(path)}</path></target></pool>`;
  const { pool } = await c.call('storagePoolDefineXml', { xml, flags: 0 });
  try {
    await c.call('storagePoolBuild', { pool, flags: 0 });
    await c.call('storagePoolCreate', { pool, flags: 0 });
    await c.call('storagePoolSetAutostart', { pool, autostart: true });
  } catch (e) {
    // Nothing half-made: a pool that cannot start is not left defined.
    await c.call('storagePoolUndefine', { pool }).catch(() => undefined);
    throw e;
  }
  return poolInfo(c, host, pool);
}

/** Every disk source path of every guest on the host, with the guests' names. */
export async function diskUsers(c: LibvirtClient): Promise<Map<string, string[]>> {
  const doms = await c.listAllDomains();
  const users = new Map<string, string[]>();
  await Promise.all(
    doms.map(async (dom) => {
      let xml: string;
      try {
        xml = await c.getXml(dom, 0);
      } catch {
        return; // a guest that vanished meanwhile uses nothing
      }
      for (const path of await diskPaths(c, xml)) {
        const list = users.get(path) ?? [];
        if (!list.includes(dom.name)) list.push(dom.name);
        users.set(path, list);
      }
    }),
  );
  return users;
}

export interface DomainDisk {
  target: string;
  device: 'disk' | 'cdrom';
  path: string;
  pool?: string;
  volume?: string;
}

/** A domain's disks with their file paths (volume sources resolved through their pool). */
export async function domainDisks(c: LibvirtClient, xml: string): Promise<DomainDisk[]> {
  const doc = parser.parse(xml) as Node;
  const disks = (at(doc, 'domain', 'devices', 'disk') as Node[] | undefined) ?? [];
  const out: DomainDisk[] = [];
  for (const d of disks) {
    const device = str(d['@device']) === 'cdrom' ? 'cdrom' : 'disk';
    const target = str(at(d, 'target', '@dev')) ?? '';
    const src = at(d, 'source') as Node | undefined;
    const file = str(src?.['@file']) ?? str(src?.['@dev']);
    const pool = str(src?.['@pool']);
    const volume = str(src?.['@volume']);
    if (file) {
      out.push({ target, device, path: file });
    } else if (pool && volume) {
      try {
        const p = (await c.call('storagePoolLookupByName', { name: pool })).pool;
        const v = (await c.call('storageVolLookupByName', { pool: p, name: volume })).vol;
        out.push({ target, device, path: v.key, pool, volume });
      } catch {
        out.push({ target, device, path: `${pool}/${volume}`, pool, volume });
      }
    }
  }
  return out;
}

async function diskPaths(c: LibvirtClient, xml: string): Promise<string[]> {
  return (await domainDisks(c, xml)).map((d) => d.path);
}

export async function volumeInfo(
  c: LibvirtClient,
  host: string,
  vol: StorageVolRef,
  users?: Map<string, string[]>,
): Promise<VolumeInfo> {
  const [info, xml] = await Promise.all([
    c.call('storageVolGetInfo', { vol }),
    c.call('storageVolGetXmlDesc', { vol, flags: 0 }),
  ]);
  const doc = parser.parse(xml.xml) as Node;
  const path = str(at(doc, 'volume', 'target', 'path')) ?? vol.key;
  return {
    host,
    pool: vol.pool,
    name: vol.name,
    key: vol.key,
    path,
    format: str(at(doc, 'volume', 'target', 'format', '@type')) ?? 'raw',
    capacity: info.capacity,
    allocation: info.allocation,
    usedBy: users?.get(path) ?? [],
  };
}

export async function listVolumes(c: LibvirtClient, host: string, poolName: string): Promise<VolumeInfo[]> {
  const pool = await lookupPool(c, host, poolName);
  const [{ vols }, users] = await Promise.all([
    c.call('storagePoolListAllVolumes', { pool, needResults: true, flags: 0 }),
    diskUsers(c),
  ]);
  const infos = await Promise.all(vols.map((v) => volumeInfo(c, host, v, users)));
  return infos.sort((a, b) => a.name.localeCompare(b.name));
}

export async function lookupVolume(
  c: LibvirtClient,
  host: string,
  poolName: string,
  name: string,
): Promise<StorageVolRef> {
  const pool = await lookupPool(c, host, poolName);
  try {
    return (await c.call('storageVolLookupByName', { pool, name })).vol;
  } catch {
    throw new ApiError('invalid-input', `There is no volume ${name} in pool ${poolName} on ${host}`, { host });
  }
}

/** Refuses a volume name already taken in the pool, and a size the pool has no room for. */
export async function checkNewVolume(
  c: LibvirtClient,
  host: string,
  pool: StoragePoolRef,
  name: string,
  bytes: number,
): Promise<void> {
  const { vols } = await c.call('storagePoolListAllVolumes', { pool, needResults: true, flags: 0 });
  if (vols.some((v) => v.name === name))
    throw new ApiError('conflict', `Pool ${pool.name} already has a volume named ${name}`, { host });
  const info = await c.call('storagePoolGetInfo', { pool });
  if (bytes > info.available)
    throw new ApiError(
      'out-of-range',
      `Pool ${pool.name} has ${gib(info.available)} free, not enough for ${name} (${gib(bytes)})`,
      { host },
    );
}

export function gib(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export async function createVolume(
  c: LibvirtClient,
  host: string,
  poolName: string,
  name: string,
  format: string,
  capacity: number,
): Promise<StorageVolRef> {
  const pool = await lookupPool(c, host, poolName);
  // A qcow2 file starts small but may grow to its whole size: the pool must have room for it.
  await checkNewVolume(c, host, pool, name, capacity);
  const xml =
    `<volume><name>${xmlEscape(name)}</name><capacity unit='B'>${capacity}</capacity>` +
    `<target><format type='${xmlEscape(format)}'/></target></volume>`;
  return (await c.call('storageVolCreateXml', { pool, xml, flags: 0 })).vol;
}

/** Deletes a volume, refusing while a guest uses it. */
export async function deleteVolume(c: LibvirtClient, host: string, poolName: string, name: string): Promise<void> {
  const vol = await lookupVolume(c, host, poolName, name);
  const info = await volumeInfo(c, host, vol, await diskUsers(c));
  if (info.usedBy.length)
    throw new ApiError('invalid-state', `Can't delete ${name}: ${info.usedBy.join(', ')} uses it`, { host });
  await c.call('storageVolDelete', { vol, flags: 0 });
}
