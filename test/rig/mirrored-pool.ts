/**
 * A directory pool of the same name at the same path on both rig hosts, for moves with "copy
 * storage". The path lies under /var/lib/libvirt, which the second host has as a bind mount over a
 * folder of its own: one path, two different folders, as on two machines without shared storage.
 */
import { rmSync } from 'node:fs';

interface VirshHost {
  virsh(...args: string[]): Promise<string>;
}

export interface MirroredPool {
  name: string;
  path: string;
  /** Makes a qcow2 volume in the pool on the first host; resolves with its path. */
  createVolume(name: string, size: string): Promise<string>;
  /** The pool's volume names on a host, after a refresh. */
  volumes(host: VirshHost): Promise<string[]>;
  remove(): Promise<void>;
}

export async function mirroredPool(prefix: string, first: VirshHost, second: VirshHost): Promise<MirroredPool> {
  const name = `${prefix}mirror`;
  const path = `/var/lib/libvirt/${name}`;
  for (const h of [first, second]) {
    await h.virsh('pool-define-as', name, 'dir', '--target', path);
    await h.virsh('pool-build', name);
    await h.virsh('pool-start', name);
  }
  const quiet = async (h: VirshHost, ...args: string[]): Promise<void> => {
    await h.virsh(...args).catch(() => undefined);
  };
  const volumes = async (h: VirshHost): Promise<string[]> => {
    await h.virsh('pool-refresh', name);
    return (await h.virsh('vol-list', name))
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean);
  };
  return {
    name,
    path,
    volumes,
    async createVolume(vol, size) {
      await first.virsh('vol-create-as', name, vol, size, '--format', 'qcow2');
      return (await first.virsh('vol-path', '--pool', name, vol)).trim();
    },
    async remove() {
      for (const h of [first, second]) {
        for (const v of await volumes(h).catch(() => [])) await quiet(h, 'vol-delete', '--pool', name, v);
        await quiet(h, 'pool-destroy', name);
        await quiet(h, 'pool-undefine', name);
      }
      rmSync(path, { recursive: true, force: true });
    },
  };
}
