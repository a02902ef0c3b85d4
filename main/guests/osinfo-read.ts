/**
 * Reading the osinfo database (libosinfo's XML files, the data virt-manager, GNOME Boxes and
 * Cockpit use): one `<os>` element at a time, as written, before inheritance is resolved.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { xmlParser } from '../platform/xml-parser.js';

export const OSINFO_DIRS = ['/usr/share/osinfo', '/usr/local/share/osinfo', '/etc/osinfo'];

export interface RawMedia {
  arch: string;
  live: boolean;
  variant?: string;
  volumeId?: string;
  systemId?: string;
  publisherId?: string;
  applicationId?: string;
}

export interface RawResources {
  arch: string;
  inherit: boolean;
  minimum: { ram?: number; nCpus?: number; storage?: number };
  recommended: { ram?: number; nCpus?: number; storage?: number };
}

export interface RawOs {
  id: string;
  shortId: string;
  name: string;
  family: string;
  distro?: string;
  version?: string;
  releaseDate?: string;
  eolDate?: string;
  derivesFrom?: string;
  media: RawMedia[];
  resources: RawResources[];
  /** Device id → supported (false: explicitly not, overriding what the OS derives from). */
  devices: Map<string, boolean>;
  firmware: { arch: string; type: string; supported: boolean }[];
}

type Node = Record<string, unknown>;

const ARRAYS = new Set(['os', 'short-id', 'name', 'media', 'resources', 'device', 'firmware', 'variant', 'iso']);
const parser = xmlParser((name) => ARRAYS.has(name));

const list = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : v && typeof v === 'object' ? [v as Node] : []);
const str = (v: unknown): string | undefined => {
  const first: unknown = Array.isArray(v) ? v[0] : v;
  if (typeof first === 'string') return first;
  if (first && typeof first === 'object' && typeof (first as Node)['#text'] === 'string')
    return (first as Node)['#text'] as string;
  return undefined;
};
const attr = (n: Node | undefined, name: string): string | undefined => {
  const v = n?.[`@${name}`];
  return typeof v === 'string' ? v : undefined;
};
const num = (v: unknown): number | undefined => {
  const s = str(v);
  const n = s === undefined ? NaN : Number(s);
  return Number.isFinite(n) ? n : undefined;
};

/** The untranslated text of an element that comes once per language (`<name xml:lang=…>`). */
function untranslated(v: unknown): string | undefined {
  for (const item of Array.isArray(v) ? v : [v]) if (typeof item === 'string') return item;
  return str(v);
}

function readMedia(m: Node): RawMedia {
  const iso = list(m['iso'])[0];
  const media: RawMedia = { arch: attr(m, 'arch') ?? 'all', live: attr(m, 'live') === 'true' };
  const variant = attr(list(m['variant'])[0], 'id');
  if (variant) media.variant = variant;
  const fields = [
    ['volumeId', 'volume-id'],
    ['systemId', 'system-id'],
    ['publisherId', 'publisher-id'],
    ['applicationId', 'application-id'],
  ] as const;
  for (const [key, tag] of fields) {
    const v = str(iso?.[tag]);
    if (v !== undefined) media[key] = v;
  }
  return media;
}

function readResources(r: Node): RawResources {
  const amounts = (n: unknown): RawResources['minimum'] => {
    const o = list(n)[0];
    const out: RawResources['minimum'] = {};
    const ram = num(o?.['ram']);
    const nCpus = num(o?.['n-cpus']);
    const storage = num(o?.['storage']);
    if (ram !== undefined) out.ram = ram;
    if (nCpus !== undefined) out.nCpus = nCpus;
    if (storage !== undefined) out.storage = storage;
    return out;
  };
  return {
    arch: attr(r, 'arch') ?? 'all',
    inherit: attr(r, 'inherit') === 'true',
    minimum: amounts(r['minimum']),
    recommended: amounts(r['recommended']),
  };
}

export function readOsElement(os: Node): RawOs | undefined {
  const id = attr(os, 'id');
  const name = untranslated(os['name']);
  if (!id || !name) return undefined;
  const devices = new Map<string, boolean>();
  for (const d of list(list(os['devices'])[0]?.['device'])) {
    const did = attr(d, 'id');
    if (did) devices.set(did, attr(d, 'supported') !== 'false');
  }
  const raw: RawOs = {
    id,
    shortId: str(os['short-id']) ?? id,
    name,
    family: str(os['family']) ?? 'unknown',
    media: list(os['media']).map(readMedia),
    resources: list(os['resources']).map(readResources),
    devices,
    firmware: list(os['firmware']).map((f) => ({
      arch: attr(f, 'arch') ?? 'all',
      type: attr(f, 'type') ?? '',
      supported: attr(f, 'supported') !== 'false',
    })),
  };
  const extra: [keyof RawOs, string | undefined][] = [
    ['distro', str(os['distro'])],
    ['version', str(os['version'])],
    ['releaseDate', str(os['release-date'])],
    ['eolDate', str(os['eol-date'])],
    ['derivesFrom', attr(list(os['derives-from'])[0], 'id')],
  ];
  for (const [k, v] of extra) if (v !== undefined) (raw as unknown as Record<string, string>)[k] = v;
  return raw;
}

/** Every `<os>` of one database file's text. */
export function readOsFile(xml: string): RawOs[] {
  const doc = parser.parse(xml) as Node;
  return list((doc['libosinfo'] as Node | undefined)?.['os'])
    .map(readOsElement)
    .filter((o): o is RawOs => o !== undefined);
}

async function xmlFilesUnder(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  // Per-OS subfolders (win-10.d/…) hold driver and install-script data, not OS entries.
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.xml') && !e.parentPath.endsWith('.d'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every OS of the database under `dirs` (their `os/` folders); empty when none is installed. */
export async function readOsinfoDatabase(dirs: readonly string[] = OSINFO_DIRS): Promise<RawOs[]> {
  const out: RawOs[] = [];
  for (const dir of dirs) {
    for (const file of await xmlFilesUnder(join(dir, 'os'))) {
      try {
        out.push(...readOsFile(await readFile(file, 'utf8')));
      } catch {
        // One unreadable file must not hide the rest of the database.
      }
    }
  }
  return out;
}
