/**
 * The storage and guest-life commands over the hosts: pools, volumes, uploads, the OS database,
 * new guests, clones, deletion with storage. Each runs on the guest's own host connection, so the
 * same works locally and over SSH.
 */
import { randomUUID } from 'node:crypto';
import type { CommandParams, CommandResult, DeleteOptions, GuestRef } from '../../common/contract.js';
import type { JobInfo, StorageCommands, VolumeRef } from '../../common/storage-contract.js';
import { ApiError } from '../../common/api-error.js';
import { readVolumeHead, type LibvirtClient, type StoragePoolRef } from '../libvirt/index.js';
import { ISO_PVD_END, readIsoIdentifiers } from '../../common/iso9660.js';
import type { Host } from '../hosts/host.js';
import type { HostManager } from '../hosts/manager.js';
import * as guest from '../hosts/guest-commands.js';
import { OsCatalog } from '../guests/os-catalog.js';
import { detectOs } from '../guests/detect.js';
import * as st from '../guests/storage.js';
import { createGuest, newGuestDefaults, newGuestXml, osChoice, resolveOs } from '../guests/new-guest.js';
import { cloneGuest } from '../guests/clone.js';
import { deletePlan, volumesToRemove } from '../guests/delete-plan.js';
import type { Uploads } from './uploads.js';
import type { Downloads } from './downloads.js';

type StorageHandlers = {
  [K in keyof StorageCommands]: (p: CommandParams<K>) => Promise<CommandResult<K>>;
};

export interface StorageDeps {
  hosts: HostManager;
  uploads: Uploads;
  downloads: Downloads;
  emitJob: (job: JobInfo) => void;
}

let catalog: Promise<OsCatalog> | undefined;
/** The OS database, read once on first use (about a second for the whole of osinfo-db). */
export function osCatalog(): Promise<OsCatalog> {
  catalog ??= OsCatalog.load();
  return catalog;
}

export function storageHandlers(d: StorageDeps): StorageHandlers {
  return { ...poolHandlers(d), ...guestHandlers(d) };
}

type Pick2<P extends string> = Pick<StorageHandlers, Extract<keyof StorageHandlers, `${P}${string}`>>;

function poolHandlers(d: StorageDeps): Pick2<'storage.'> {
  const H = (p: { host: string }): Host => d.hosts.get(p.host);
  const pool = (
    p: { host: string; pool: string },
    action: string,
    run: (c: LibvirtClient, ref: StoragePoolRef) => Promise<unknown>,
  ): Promise<null> =>
    H(p).withClient(`${action} pool ${p.pool}`, async (c) => {
      await run(c, await st.lookupPool(c, p.host, p.pool));
      return null;
    });
  const nothing = async (p: Promise<unknown>): Promise<null> => {
    await p;
    return null;
  };
  return {
    'storage.pools': (p) => H(p).withClient('list storage pools', (c) => st.listPools(c, p.host)),
    'storage.poolDefineDir': (p) =>
      H(p).withClient(`define pool ${p.name}`, (c) => st.defineDirPool(c, p.host, p.name, p.path)),
    'storage.poolStart': (p) => pool(p, 'start', (c, ref) => c.call('storagePoolCreate', { pool: ref, flags: 0 })),
    'storage.poolStop': (p) => pool(p, 'stop', (c, ref) => c.call('storagePoolDestroy', { pool: ref })),
    'storage.poolRefresh': (p) => pool(p, 'refresh', (c, ref) => c.call('storagePoolRefresh', { pool: ref, flags: 0 })),
    'storage.poolAutostart': (p) =>
      nothing(
        H(p).withClient(`change autostart of pool ${p.pool}`, async (c) => {
          const ref = await st.lookupPool(c, p.host, p.pool);
          await c.call('storagePoolSetAutostart', { pool: ref, autostart: p.enabled });
        }),
      ),
    'storage.volumes': (p) => H(p).withClient(`list volumes of ${p.pool}`, (c) => st.listVolumes(c, p.host, p.pool)),
    'storage.volumeCreate': (p) =>
      H(p).withClient(`create volume ${p.name}`, async (c) => {
        const vol = await st.createVolume(c, p.host, p.pool, p.name, p.format, p.capacity);
        return st.volumeInfo(c, p.host, vol);
      }),
    'storage.volumeResize': (p) => nothing(H(p).withClient(`resize ${p.name}`, (c) => resizeVolume(c, p))),
    'storage.volumeDelete': (p) =>
      nothing(H(p).withClient(`delete ${p.name}`, (c) => st.deleteVolume(c, p.host, p.pool, p.name))),
    'storage.uploadBegin': async (p) => ({ job: await d.uploads.begin(H(p), p) }),
    'storage.uploadCancel': async (p) => {
      d.uploads.cancel(p.job);
      return null;
    },
    'storage.downloadCancel': async (p) => {
      d.downloads.cancel(p.job);
      return null;
    },
  };
}

function guestHandlers(d: StorageDeps): Pick2<'guest'> {
  const H = (p: { host: string }): Host => d.hosts.get(p.host);
  return {
    'guests.osList': async (p) => (await osCatalog()).search(p.query ?? '', 2000).map(osChoice),
    'guests.detectOs': async (p) => detectOs(await osCatalog(), p).map((m) => osChoice(m.os)),
    'guests.detectVolume': async (p) => {
      const head = await H(p).withClient(`read ${p.name}`, async (c) =>
        readVolumeHead(c, await st.lookupVolume(c, p.host, p.pool, p.name), ISO_PVD_END),
      );
      const ids = readIsoIdentifiers(head);
      return ids ? detectOs(await osCatalog(), ids).map((m) => osChoice(m.os)) : [];
    },
    'guests.newDefaults': async (p) => {
      const os = resolveOs(await osCatalog(), p.osId);
      return H(p).withClient('read the host’s capabilities', (c) =>
        newGuestDefaults(c, p.host, os, p.emulate ?? false),
      );
    },
    'guests.previewXml': async (p) => {
      const os = resolveOs(await osCatalog(), p.osId);
      return H(p).withClient(`make the XML of ${p.name}`, (c) => newGuestXml(c, p, os));
    },
    'guests.create': async (p) => {
      const os = resolveOs(await osCatalog(), p.osId);
      const made = await H(p).withClient(`create ${p.name}`, (c) => createGuest(c, p, os));
      await H(p).scheduleRefresh(made.uuid);
      return { host: p.host, ...made };
    },
    'guest.clone': (p) => clone(d, H(p), p),
    'guest.deletePlan': (p) => {
      const h = H(p);
      const info = h.guest(p.uuid);
      return h.act(p.uuid, 'read the disks of', (c, dom) =>
        deletePlan(c, dom, { snapshots: info?.snapshotCount ?? 0, managedSave: info?.managedSave ?? false }),
      );
    },
  };
}

/**
 * Grows a volume. Shrinking is refused in words (the data past the new end would be lost), and so
 * is growth the pool has no room for: libvirt itself would let a qcow2 grow past it.
 */
async function resizeVolume(c: LibvirtClient, p: VolumeRef & { capacity: number }): Promise<void> {
  const vol = await st.lookupVolume(c, p.host, p.pool, p.name);
  const poolRef = await st.lookupPool(c, p.host, p.pool);
  const [info, pool] = await Promise.all([
    c.call('storageVolGetInfo', { vol }),
    c.call('storagePoolGetInfo', { pool: poolRef }),
  ]);
  const what = `${p.name} (${st.gib(info.capacity)})`;
  if (p.capacity < info.capacity)
    throw new ApiError(
      'out-of-range',
      `Can't shrink ${what} to ${st.gib(p.capacity)}: the data past the new end would be lost, so volumes only grow here`,
      { host: p.host },
    );
  if (p.capacity - info.capacity > pool.available)
    throw new ApiError(
      'out-of-range',
      `Can't grow ${what} to ${st.gib(p.capacity)}: pool ${p.pool} has ${st.gib(pool.available)} free`,
      { host: p.host },
    );
  if (p.capacity === info.capacity) return;
  await c.call('storageVolResize', { vol, capacity: p.capacity, flags: 0 });
}

async function clone(d: StorageDeps, h: Host, p: GuestRef & { name: string }): Promise<GuestRef & { name: string }> {
  const source = h.guest(p.uuid);
  if (source && source.state !== 'shutoff')
    throw new ApiError('invalid-state', `Can't clone ${source.name}: shut it down first (it is ${source.state})`, {
      host: p.host,
      guest: source.name,
    });
  const job: JobInfo = {
    id: randomUUID(),
    kind: 'clone',
    host: p.host,
    label: `Cloning ${source?.name ?? p.uuid} as ${p.name}`,
    state: 'running',
    done: 0,
    total: 1,
  };
  d.emitJob({ ...job });
  try {
    const dom = await h.act(
      p.uuid,
      'clone',
      (c, src) =>
        cloneGuest(c, p.host, src, p.name, (done, total) => {
          d.emitJob({ ...job, done, total });
        }),
      'cloning',
    );
    d.emitJob({ ...job, state: 'done', done: 1, total: 1 });
    await h.scheduleRefresh(dom.uuid);
    return { host: p.host, uuid: dom.uuid, name: dom.name };
  } catch (e) {
    d.emitJob({ ...job, state: 'failed', error: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}

/** Deletes a guest and the disks chosen with it; every disk is checked before anything goes. */
export async function deleteWithStorage(h: Host, p: GuestRef & DeleteOptions): Promise<void> {
  const info = h.guest(p.uuid);
  const vols = await h.act(p.uuid, 'delete', async (c, dom) => {
    const plan = await deletePlan(c, dom, {
      snapshots: info?.snapshotCount ?? 0,
      managedSave: info?.managedSave ?? false,
    });
    return volumesToRemove(c, p.host, plan, p.removeDisks ?? []);
  });
  await guest.deleteGuest(h, p.uuid, p);
  await h.withClient('remove the disks of the deleted guest', async (c) => {
    for (const vol of vols) await c.call('storageVolDelete', { vol, flags: 0 });
  });
}
