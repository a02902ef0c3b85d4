/**
 * A second host whose QEMU lacks some CPU models, as a target with an older QEMU does. Both rig
 * hosts run the same QEMU on the same machine, so the difference is made where libvirt learns what
 * its QEMU can do: the capabilities cache (/var/cache/libvirt/qemu/capabilities, one file per QEMU
 * binary). The second daemon probes its QEMU into its own cache; the rig stops it, leaves the models
 * out of that file and starts it again, and it then refuses a guest with such a model ("CPU model X
 * is not supported by hypervisor") exactly as a real host without it does.
 *
 * libvirt trusts a cache file only while the host's CPUID reads as it did at the probe, and some
 * leaves (the x2APIC ID) differ between the CPUs of one machine, so a cache probed on one CPU is
 * stale for a daemon that reads CPUID on another (a copy of the first daemon's would be, at random).
 * The second daemon therefore runs pinned to one CPU (its QEMUs are not: libvirt gives them every
 * CPU), probing and reading on the same one.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RigError } from './errors.js';

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
 * Leaves these models out of the qemu-system-x86_64 file in a daemon's own cache folder (its
 * /var/cache/libvirt), written by its probe; the daemon must be stopped, and reads it when started.
 */
export function leaveOutCpuModels(cacheDir: string, models: readonly string[]): void {
  const dir = join(cacheDir, 'qemu', 'capabilities');
  const x86 = readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .map((f) => ({ path: join(dir, f), xml: readFileSync(join(dir, f), 'utf8') }))
    .filter((c) => c.xml.includes('<emulator>/usr/bin/qemu-system-x86_64</emulator>'));
  if (x86.length === 0) throw new RigError(`the second libvirtd has not probed qemu-system-x86_64 into ${dir}`);
  for (const c of x86) {
    const absent = models.filter((m) => !c.xml.includes(` name='${m}' `));
    if (absent.length > 0)
      throw new RigError(`qemu-system-x86_64 has no CPU model to leave out named ${absent.join(', ')}`);
    writeFileSync(c.path, withoutCpuModels(c.xml, models), { mode: 0o600 });
  }
}

/**
 * Throws unless the running second daemon really lacks the models: had it found its edited cache
 * stale, it probed QEMU again.
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
      `the second host still offers CPU model ${offered.join(', ')}: its libvirtd found its edited capabilities cache stale and probed QEMU again`,
    );
  }
}
