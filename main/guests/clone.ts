/**
 * Cloning a stopped guest: new name, new UUID and MAC addresses (libvirt assigns them when the
 * XML leaves them out), each disk that is a pool volume copied as a new volume in the same pool.
 * Nothing half-made on failure: copied volumes are deleted again.
 */
import { DomainXmlFlags, type DomainRef, type LibvirtClient, type StorageVolRef } from '../libvirt/index.js';
import { ApiError } from '../../common/api-error.js';
import { xmlEscape } from './domain-builder.js';
import { checkNewVolume, domainDisks } from './storage.js';

export interface CloneProgress {
  (done: number, total: number): void;
}

function cloneVolumeName(original: string, from: string, to: string, target: string): string {
  if (original.includes(from)) return original.split(from).join(to);
  const ext = /\.[A-Za-z0-9]+$/.exec(original)?.[0] ?? '';
  return `${to}-${target}${ext}`;
}

function volumeXml(name: string, capacity: number, format: string): string {
  return (
    `<volume><name>${xmlEscape(name)}</name><capacity unit='B'>${capacity}</capacity>` +
    `<target><format type='${xmlEscape(format)}'/></target></volume>`
  );
}

/** The clone's XML: the original's with the new name, no UUID, no MACs, no NVRAM file, new disk sources. */
export function cloneXml(xml: string, name: string, sources: Map<string, { path: string; volume: string }>): string {
  let out = xml
    .replace(/<name>[^<]*<\/name>/, `<name>${xmlEscape(name)}</name>`)
    .replace(/\s*<uuid>[^<]*<\/uuid>/, '')
    .replace(/\s*<mac address=['"][^'"]*['"]\s*\/>/g, '')
    // The clone gets its own UEFI variables, made from the firmware's template.
    .replace(/\s*<nvram(\s[^>]*)?>[^<]*<\/nvram>/, '')
    .replace(/\s*<nvram(\s[^>]*)?\/>/, '');
  for (const [oldPath, n] of sources) {
    const esc = xmlEscape(oldPath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(<source file=['"])${esc}(['"])`, 'g'), `$1${xmlEscape(n.path)}$2`);
  }
  return out;
}

export async function cloneGuest(
  c: LibvirtClient,
  host: string,
  dom: DomainRef,
  name: string,
  progress: CloneProgress,
): Promise<DomainRef> {
  if ((await c.listAllDomains()).some((d) => d.name === name))
    throw new ApiError('conflict', `A guest named ${name} already exists on ${host}`, { host });
  const xml = await c.getXml(dom, DomainXmlFlags.INACTIVE);
  const disks = (await domainDisks(c, xml)).filter((d) => d.device === 'disk');
  const copies: { from: StorageVolRef; name: string; path: string; capacity: number; format: string }[] = [];
  for (const d of disks) {
    let vol: StorageVolRef;
    try {
      vol = (await c.call('storageVolLookupByPath', { path: d.path })).vol;
    } catch {
      throw new ApiError('unsupported', `Can't clone ${dom.name}: its disk ${d.path} is not in a storage pool`, {
        host,
      });
    }
    const info = await c.call('storageVolGetInfo', { vol });
    const volXml = (await c.call('storageVolGetXmlDesc', { vol, flags: 0 })).xml;
    const format = /<format type=['"]([^'"]+)['"]/.exec(volXml)?.[1] ?? 'raw';
    const newName = cloneVolumeName(vol.name, dom.name, name, d.target);
    const pool = (await c.call('storagePoolLookupByVolume', { vol })).pool;
    await checkNewVolume(c, host, pool, newName, info.allocation);
    copies.push({ from: vol, name: newName, path: '', capacity: info.capacity, format });
  }
  const made: StorageVolRef[] = [];
  const total = copies.length + 1;
  try {
    const sources = new Map<string, { path: string; volume: string }>();
    for (const [i, cp] of copies.entries()) {
      progress(i, total);
      const pool = (await c.call('storagePoolLookupByVolume', { vol: cp.from })).pool;
      const { vol } = await c.call('storageVolCreateXmlFrom', {
        pool,
        xml: volumeXml(cp.name, cp.capacity, cp.format),
        clonevol: cp.from,
        flags: 0,
      });
      made.push(vol);
      sources.set(cp.from.key, { path: vol.key, volume: vol.name });
    }
    progress(copies.length, total);
    let newXml = cloneXml(xml, name, sources);
    for (const [from, to] of [...copies.entries()].map(([i, cp]) => [cp.from, made[i]!] as const)) {
      newXml = newXml.replace(
        new RegExp(`(volume=['"])${from.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(['"])`, 'g'),
        `$1${xmlEscape(to.name)}$2`,
      );
    }
    const { dom: clone } = await c.call('domainDefineXmlFlags', { xml: newXml, flags: 0 });
    progress(total, total);
    return clone;
  } catch (e) {
    for (const vol of made) await c.call('storageVolDelete', { vol, flags: 0 }).catch(() => undefined);
    throw e;
  }
}
