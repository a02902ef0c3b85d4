/**
 * A second host whose QEMU lacks some CPU models, as a target with an older QEMU does. Both rig
 * hosts run the same QEMU on the same machine, so the difference is made where libvirt learns what
 * its QEMU can do: the capabilities cache (/var/cache/libvirt/qemu/capabilities, one file per QEMU
 * binary). libvirt trusts a cache file while the QEMU and libvirtd binaries, the kernel and the
 * host CPU are those it was probed with, which holds for a copy of the first daemon's files on this
 * machine; the second daemon then refuses a guest with such a model ("CPU model X is not supported
 * by hypervisor") exactly as a real host without it does, and never probes QEMU itself.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RigError } from './errors.js';

/** The first (system) daemon's cache, probed by it from the QEMU binaries both hosts run. */
const FIRST_HOST_CACHE = '/var/cache/libvirt/qemu/capabilities';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A QEMU capabilities cache file without these CPU models, in every accelerator's list (TCG, KVM). */
export function withoutCpuModels(xml: string, models: readonly string[]): string {
  let out = xml;
  for (const m of models) {
    // Each model is one element, <cpu .../> when usable, else <cpu ...> with its blockers </cpu>.
    out = out.replace(
      new RegExp(`^ *<cpu type='[^']*' name='${escapeRegExp(m)}'[^>]*?(?:/>|>[\\s\\S]*?</cpu>)\\n`, 'gm'),
      '',
    );
  }
  return out;
}

/**
 * Fills the second host's cache folder (its /var/cache/libvirt, before its daemon starts) with the
 * first daemon's capabilities of every QEMU binary, these CPU models left out.
 */
export function seedCapabilitiesWithout(cacheDir: string, models: readonly string[]): void {
  const files = existsSync(FIRST_HOST_CACHE) ? readdirSync(FIRST_HOST_CACHE).filter((f) => f.endsWith('.xml')) : [];
  const x86 = files.filter((f) =>
    readFileSync(join(FIRST_HOST_CACHE, f), 'utf8').includes('<emulator>/usr/bin/qemu-system-x86_64</emulator>'),
  );
  if (x86.length === 0) {
    throw new RigError(
      `no capabilities of qemu-system-x86_64 in ${FIRST_HOST_CACHE}: the system libvirtd has not probed it`,
    );
  }
  const dir = join(cacheDir, 'qemu', 'capabilities');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const f of files) {
    const xml = readFileSync(join(FIRST_HOST_CACHE, f), 'utf8');
    const edited = withoutCpuModels(xml, models);
    if (x86.includes(f)) {
      const kept = models.filter((m) => edited.includes(`name='${m}'`) || !xml.includes(` name='${m}' `));
      if (kept.length > 0)
        throw new RigError(`qemu-system-x86_64 has no CPU model to leave out named ${kept.join(', ')}`);
    }
    writeFileSync(join(dir, f), edited, { mode: 0o600 });
  }
}

/**
 * Throws unless the running second daemon really lacks the models: had it found the copied cache
 * stale (the first daemon's QEMU or libvirt changed since it probed them), it probed QEMU itself.
 */
export async function assertCpuModelsMissing(
  virsh: (...args: string[]) => Promise<string>,
  models: readonly string[],
): Promise<void> {
  const caps = await virsh('domcapabilities', '--virttype', 'qemu', '--arch', 'x86_64');
  const custom = caps.slice(caps.indexOf("<mode name='custom'"));
  const offered = models.filter((m) => custom.includes(`>${m}</model>`));
  if (offered.length > 0) {
    throw new RigError(
      `the second host still offers CPU model ${offered.join(', ')}: its libvirtd found the first daemon's capabilities cache stale and probed QEMU itself (restart the system libvirtd so that it re-probes)`,
    );
  }
}
