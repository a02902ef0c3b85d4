/**
 * The operating systems a new guest can be made for: the osinfo database with inheritance
 * resolved (an OS takes the devices and resources of the one it derives from), reduced to what
 * guest creation needs, plus "Generic Linux / Windows / other" entries with safe defaults, which
 * are all the list holds where the database is not installed.
 */
import { readOsinfoDatabase, OSINFO_DIRS, type RawMedia, type RawOs, type RawResources } from './osinfo-read.js';

export type OsKind = 'linux' | 'windows' | 'other';

export interface OsProfile {
  id: string;
  shortId: string;
  name: string;
  kind: OsKind;
  family: string;
  version?: string;
  releaseDate?: string;
  recommended: { memoryMiB: number; vcpus: number; diskGiB: number };
  /** The OS has drivers for virtio disks and NICs out of the box. */
  virtio: boolean;
  /** UEFI firmware: required (the OS does not boot from BIOS), preferred (it names EFI), or not. */
  uefi: 'required' | 'preferred' | 'no';
  secureBoot: boolean;
  tpm: boolean;
  /** Installer media of this OS, every architecture. */
  media: RawMedia[];
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const DEFAULTS: Record<OsKind, OsProfile['recommended']> = {
  linux: { memoryMiB: 2048, vcpus: 2, diskGiB: 20 },
  windows: { memoryMiB: 4096, vcpus: 2, diskGiB: 64 },
  other: { memoryMiB: 1024, vcpus: 1, diskGiB: 10 },
};

export const GENERIC_OSES: readonly OsProfile[] = [
  { id: 'generic-linux', shortId: 'linux', name: 'Generic Linux', kind: 'linux', family: 'linux', virtio: true },
  {
    id: 'generic-windows',
    shortId: 'windows',
    name: 'Generic Windows',
    kind: 'windows',
    family: 'winnt',
    virtio: false,
  },
  { id: 'generic-other', shortId: 'other', name: 'Generic / other', kind: 'other', family: 'other', virtio: false },
].map((o) => ({
  ...o,
  kind: o.kind as OsKind,
  recommended: DEFAULTS[o.kind as OsKind],
  uefi: 'no' as const,
  secureBoot: false,
  tpm: false,
  media: [],
}));

/** PCI ids of virtio block devices (transitional and 1.0): an OS listing one drives virtio disks. */
const VIRTIO_BLOCK = ['http://pcisig.com/pci/1af4/1001', 'http://pcisig.com/pci/1af4/1042'];
/**
 * Windows 11 needs UEFI with Secure Boot and a TPM 2.0 (Microsoft's stated requirements); this
 * version of the database records only the UEFI part, so the rest is known here.
 */
const TPM_SECURE_BOOT_OSES = ['http://microsoft.com/win/11'];

function kindOf(family: string): OsKind {
  if (family === 'linux') return 'linux';
  if (family === 'winnt') return 'windows';
  return 'other';
}

class Resolver {
  private readonly byId: Map<string, RawOs>;
  constructor(
    raws: readonly RawOs[],
    private readonly arch: string,
  ) {
    this.byId = new Map(raws.map((r) => [r.id, r]));
  }

  /** The OS and those it derives from, itself first (a cycle in the data ends the chain). */
  chain(os: RawOs): RawOs[] {
    const out: RawOs[] = [];
    for (
      let o: RawOs | undefined = os;
      o && !out.includes(o);
      o = o.derivesFrom ? this.byId.get(o.derivesFrom) : undefined
    )
      out.push(o);
    return out;
  }

  devices(os: RawOs): Set<string> {
    const seen = new Map<string, boolean>();
    for (const o of this.chain(os)) for (const [id, ok] of o.devices) if (!seen.has(id)) seen.set(id, ok);
    return new Set([...seen].filter(([, ok]) => ok).map(([id]) => id));
  }

  resources(os: RawOs): RawResources | undefined {
    for (const o of this.chain(os)) {
      const r = o.resources.find((x) => x.arch === this.arch) ?? o.resources.find((x) => x.arch === 'all');
      if (r && !r.inherit && (r.recommended.ram || r.minimum.ram)) return r;
    }
    return undefined;
  }

  profile(os: RawOs): OsProfile {
    const kind = kindOf(os.family);
    const res = this.resources(os);
    const d = DEFAULTS[kind];
    const pick = (k: 'ram' | 'nCpus' | 'storage'): number | undefined => res?.recommended[k] ?? res?.minimum[k];
    const ram = pick('ram');
    const storage = pick('storage');
    const fw = os.firmware.filter((f) => f.arch === this.arch || f.arch === 'all');
    const efiOnly = fw.some((f) => f.type === 'bios' && !f.supported);
    const chainIds = this.chain(os).map((o) => o.id);
    const strict = TPM_SECURE_BOOT_OSES.some((id) => chainIds.includes(id));
    const profile: OsProfile = {
      id: os.id,
      shortId: os.shortId,
      name: os.name,
      kind,
      family: os.family,
      recommended: {
        memoryMiB: ram ? Math.max(256, Math.round(ram / MiB)) : d.memoryMiB,
        // The database's CPU minimum is usually 1, which makes a slow desktop; recommend at least ours.
        vcpus: res?.recommended.nCpus ?? Math.max(res?.minimum.nCpus ?? 1, d.vcpus),
        diskGiB: storage ? Math.max(1, Math.ceil(storage / GiB)) : d.diskGiB,
      },
      virtio: VIRTIO_BLOCK.some((id) => this.devices(os).has(id)),
      uefi: efiOnly || strict ? 'required' : fw.some((f) => f.type === 'efi' && f.supported) ? 'preferred' : 'no',
      secureBoot: strict,
      tpm: strict,
      media: os.media,
    };
    if (os.version !== undefined) profile.version = os.version;
    if (os.releaseDate !== undefined) profile.releaseDate = os.releaseDate;
    return profile;
  }
}

export class OsCatalog {
  private readonly byId: Map<string, OsProfile>;

  constructor(
    /** Database entries, newest release first, then the generic ones. */
    readonly oses: readonly OsProfile[],
    /** Whether an osinfo database was found (else only the generic entries are offered). */
    readonly fromDatabase: boolean,
  ) {
    this.byId = new Map(oses.map((o) => [o.id, o]));
  }

  static fromRaw(raws: readonly RawOs[], arch = 'x86_64'): OsCatalog {
    const r = new Resolver(raws, arch);
    const profiles = raws.map((raw) => r.profile(raw));
    profiles.sort((a, b) => (b.releaseDate ?? '').localeCompare(a.releaseDate ?? '') || a.name.localeCompare(b.name));
    return new OsCatalog([...profiles, ...GENERIC_OSES], raws.length > 0);
  }

  static async load(dirs: readonly string[] = OSINFO_DIRS, arch = 'x86_64'): Promise<OsCatalog> {
    return OsCatalog.fromRaw(await readOsinfoDatabase(dirs), arch);
  }

  get(id: string): OsProfile | undefined {
    return this.byId.get(id);
  }

  /** The generic entry of a kind: what an OS not in the database is treated as. */
  generic(kind: OsKind): OsProfile {
    return this.byId.get(`generic-${kind}`)!;
  }

  /** OSes whose name or short id contains every word of `query` (case-insensitive), at most `limit`. */
  search(query: string, limit = 50): OsProfile[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const hits = this.oses.filter((o) => {
      const hay = `${o.name} ${o.shortId}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
    return hits.slice(0, limit);
  }
}
