/**
 * Making a new guest on a host: the dialog's defaults from the host's capabilities and the OS,
 * the XML, and creation (disk volume, define, start) with nothing left half-made on failure.
 */
import type { LibvirtClient, StorageVolRef } from '../libvirt/index.js';
import { UndefineFlags } from '../libvirt/index.js';
import type { NewGuestDefaults, NewGuestRequest, OsChoice } from '../../common/storage-contract.js';
import { ApiError } from '../../common/api-error.js';
import { parseDomainCaps, type DomainCaps } from './domcaps.js';
import { buildDomainXml } from './domain-builder.js';
import type { OsCatalog, OsProfile } from './os-catalog.js';
import { planGuest, type GuestChoices } from './plan.js';
import { checkNewVolume, createVolume, listPools, lookupPool, lookupVolume, volumeInfo } from './storage.js';

const GiB = 2 ** 30;

export function osChoice(o: OsProfile): OsChoice {
  return { id: o.id, name: o.name, kind: o.kind, ...o.recommended };
}

export function resolveOs(catalog: OsCatalog, id: string): OsProfile {
  const os = catalog.get(id);
  if (!os) throw new ApiError('invalid-input', `Unknown operating system ${id}`);
  return os;
}

/** The host's domain capabilities for a new x86_64 guest: q35 where QEMU has it, KVM unless emulating. */
export async function hostCaps(c: LibvirtClient, emulate: boolean): Promise<DomainCaps> {
  const ask = async (virttype: string, machine: string | null): Promise<DomainCaps> =>
    parseDomainCaps(
      (await c.call('connectGetDomainCapabilities', { emulatorbin: null, arch: 'x86_64', machine, virttype, flags: 0 }))
        .capabilities,
    );
  for (const virttype of emulate ? ['qemu'] : ['kvm', 'qemu']) {
    for (const machine of ['q35', null]) {
      try {
        return await ask(virttype, machine);
      } catch {
        // no KVM here, or no q35 machine: try the next
      }
    }
  }
  throw new ApiError('unsupported', 'This host runs no QEMU that can emulate an x86_64 machine');
}

async function networks(c: LibvirtClient): Promise<string[]> {
  const { nets } = await c.call('connectListAllNetworks', { needResults: true, flags: 0 });
  return nets.map((n) => n.name).sort();
}

async function findVirtioWin(c: LibvirtClient, host: string): Promise<{ pool: string; volume: string } | undefined> {
  for (const p of await listPools(c, host)) {
    if (p.state !== 'running') continue;
    const pool = await lookupPool(c, host, p.name);
    const { vols } = await c.call('storagePoolListAllVolumes', { pool, needResults: true, flags: 0 });
    const v = vols.find((x) => /^virtio-win.*\.iso$/i.test(x.name));
    if (v) return { pool: p.name, volume: v.name };
  }
  return undefined;
}

async function freeName(c: LibvirtClient, base: string): Promise<string> {
  const taken = new Set((await c.listAllDomains()).map((d) => d.name));
  const stem = base.replace(/[^A-Za-z0-9._+-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'guest';
  for (let i = 1; ; i++) if (!taken.has(`${stem}-${i}`)) return `${stem}-${i}`;
}

export async function newGuestDefaults(
  c: LibvirtClient,
  host: string,
  os: OsProfile,
  emulate: boolean,
): Promise<NewGuestDefaults> {
  const [caps, pools, nets, name] = await Promise.all([
    hostCaps(c, emulate),
    listPools(c, host),
    networks(c),
    freeName(c, os.shortId),
  ]);
  const virtioWin = os.kind === 'windows' ? await findVirtioWin(c, host) : undefined;
  const kvmCaps = emulate ? await hostCaps(c, false).catch(() => caps) : caps;
  const plan = planGuest(os, caps, {
    emulate: emulate && kvmCaps.virtType === 'kvm',
    name,
    memoryMiB: os.recommended.memoryMiB,
    vcpus: os.recommended.vcpus,
    network: { kind: 'none' },
    ...(virtioWin ? { virtioWin } : {}),
  });
  return {
    os: osChoice(os),
    firmware: plan.firmware,
    secureBoot: plan.secureBoot,
    tpm: plan.tpm,
    kvm: kvmCaps.virtType === 'kvm',
    pools,
    networks: nets,
    ...(virtioWin ? { virtioWin } : {}),
    notices: plan.notices,
    name,
  };
}

/** The plan's inputs from a request: which volumes the guest's disk and CD-ROM are. */
async function choices(c: LibvirtClient, req: NewGuestRequest, os: OsProfile): Promise<GuestChoices> {
  const ch: GuestChoices = {
    name: req.name,
    memoryMiB: req.memoryMiB,
    vcpus: req.vcpus,
    network: req.network,
  };
  if (req.emulate) ch.emulate = true;
  for (const k of ['firmware', 'secureBoot', 'tpm'] as const)
    if (req[k] !== undefined) (ch as never as Record<string, unknown>)[k] = req[k];
  if (req.source.kind === 'import') {
    const vol = await lookupVolume(c, req.host, req.source.pool, req.source.volume);
    const info = await volumeInfo(c, req.host, vol);
    ch.disk = { pool: req.source.pool, volume: req.source.volume, format: info.format === 'qcow2' ? 'qcow2' : 'raw' };
  } else if (req.diskGiB > 0) {
    ch.disk = { pool: req.diskPool, volume: diskVolumeName(req.name), format: 'qcow2' };
  }
  if (req.source.kind === 'iso') {
    await lookupVolume(c, req.host, req.source.pool, req.source.volume);
    ch.cdrom = { pool: req.source.pool, volume: req.source.volume };
  }
  if (req.source.kind === 'network') ch.networkBoot = true;
  if (os.kind === 'windows') {
    const vw = await findVirtioWin(c, req.host);
    if (vw) ch.virtioWin = vw;
  }
  return ch;
}

export function diskVolumeName(guest: string): string {
  return `${guest}.qcow2`;
}

export async function newGuestXml(
  c: LibvirtClient,
  req: NewGuestRequest,
  os: OsProfile,
): Promise<{ xml: string; notices: string[] }> {
  const caps = await hostCaps(c, req.emulate ?? false);
  const plan = planGuest(os, caps, await choices(c, req, os));
  return { xml: buildDomainXml(plan), notices: plan.notices };
}

async function nameTaken(c: LibvirtClient, name: string): Promise<boolean> {
  return (await c.listAllDomains()).some((d) => d.name === name);
}

/**
 * Creates the guest: its disk volume, its definition, and starts it. A failure at any step undoes
 * the steps before it, so nothing half-made is left on the host.
 */
export async function createGuest(
  c: LibvirtClient,
  req: NewGuestRequest,
  os: OsProfile,
): Promise<{ uuid: string; name: string; notices: string[] }> {
  if (await nameTaken(c, req.name))
    throw new ApiError('conflict', `A guest named ${req.name} already exists on ${req.host}`, { host: req.host });
  const { xml: generated, notices } = await newGuestXml(c, req, os);
  const newDisk = req.source.kind !== 'import' && req.diskGiB > 0;
  let disk: StorageVolRef | undefined;
  if (newDisk) {
    const capacity = Math.round(req.diskGiB * GiB);
    const pool = await lookupPool(c, req.host, req.diskPool);
    await checkNewVolume(c, req.host, pool, diskVolumeName(req.name), capacity);
    disk = await createVolume(c, req.host, req.diskPool, diskVolumeName(req.name), 'qcow2', capacity);
  }
  let dom;
  try {
    dom = (await c.call('domainDefineXmlFlags', { xml: req.xml ?? generated, flags: 0 })).dom;
  } catch (e) {
    if (disk) await c.call('storageVolDelete', { vol: disk, flags: 0 }).catch(() => undefined);
    throw e;
  }
  try {
    await c.call('domainCreateWithFlags', { dom, flags: 0 });
  } catch (e) {
    const flags = UndefineFlags.NVRAM | UndefineFlags.MANAGED_SAVE | UndefineFlags.SNAPSHOTS_METADATA;
    await c.call('domainUndefineFlags', { dom, flags }).catch(() => undefined);
    if (disk) await c.call('storageVolDelete', { vol: disk, flags: 0 }).catch(() => undefined);
    throw e;
  }
  return { uuid: dom.uuid, name: dom.name, notices };
}
