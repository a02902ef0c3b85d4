/**
 * What deleting a guest can take with it: its disks (with their paths, and the other guests that
 * share each one, which is then never removed), its UEFI variables, snapshots, managed save.
 */
import { DomainXmlFlags, type DomainRef, type LibvirtClient, type StorageVolRef } from '../libvirt/index.js';
import type { DeletePlan } from '../../common/storage-contract.js';
import { ApiError } from '../../common/api-error.js';
import { diskUsers, domainDisks } from './storage.js';

export async function deletePlan(
  c: LibvirtClient,
  dom: DomainRef,
  extra: { snapshots: number; managedSave: boolean },
): Promise<DeletePlan> {
  const xml = await c.getXml(dom, DomainXmlFlags.INACTIVE);
  const [disks, users] = await Promise.all([domainDisks(c, xml), diskUsers(c)]);
  return {
    disks: disks.map((d) => ({
      ...d,
      sharedWith: (users.get(d.path) ?? []).filter((n) => n !== dom.name),
    })),
    nvram: /<nvram[\s>]/.test(xml),
    snapshots: extra.snapshots,
    managedSave: extra.managedSave,
  };
}

/**
 * The volumes to remove with a guest: each path must be one of its disks, used by no other guest,
 * and a volume of a pool (libvirt removes only those). Checked before anything is deleted.
 */
export async function volumesToRemove(
  c: LibvirtClient,
  host: string,
  plan: DeletePlan,
  paths: readonly string[],
): Promise<StorageVolRef[]> {
  const out: StorageVolRef[] = [];
  for (const path of paths) {
    const d = plan.disks.find((x) => x.path === path);
    if (!d) throw new ApiError('invalid-input', `${path} is not a disk of this guest`, { host });
    if (d.sharedWith.length)
      throw new ApiError('invalid-state', `${path} is kept: ${d.sharedWith.join(', ')} also uses it`, { host });
    try {
      out.push((await c.call('storageVolLookupByPath', { path })).vol);
    } catch {
      throw new ApiError('unsupported', `${path} is not in a storage pool, so virtswitch cannot remove it`, { host });
    }
  }
  return out;
}
