/**
 * Which OS an installer ISO holds: its primary volume descriptor's identifiers matched against
 * each medium's patterns in the OS database, as libosinfo does (every pattern a medium gives must
 * match; patterns are regular expressions searched anywhere in the field, case-sensitively).
 */
import type { IsoIdentifiers } from '../../common/iso9660.js';
import type { OsCatalog, OsProfile } from './os-catalog.js';
import type { RawMedia } from './osinfo-read.js';

export interface OsMatch {
  os: OsProfile;
  arch: string;
  live: boolean;
}

const FIELDS = [
  ['volumeId', 'volumeId'],
  ['systemId', 'systemId'],
  ['publisherId', 'publisherId'],
  ['applicationId', 'applicationId'],
] as const satisfies readonly (readonly [keyof RawMedia, keyof IsoIdentifiers])[];

const compiled = new Map<string, RegExp | null>();

function regex(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern);
    } catch {
      re = null; // a pattern JavaScript cannot read matches nothing rather than failing detection
    }
    compiled.set(pattern, re);
  }
  return re;
}

export function mediaMatches(media: RawMedia, ids: IsoIdentifiers): boolean {
  let any = false;
  for (const [mk, ik] of FIELDS) {
    const pattern = media[mk];
    if (typeof pattern !== 'string') continue;
    any = true;
    const re = regex(pattern);
    if (!re || !re.test(ids[ik])) return false;
  }
  return any;
}

/**
 * Every OS with a medium matching `ids`, the host's architecture first, then newest first (the
 * catalog's order). Several OSes may share a pattern (Windows 10 and 11 install media carry the
 * same volume ID): the caller shows the first and lets the user choose among the rest.
 */
export function detectOs(catalog: OsCatalog, ids: IsoIdentifiers, hostArch = 'x86_64'): OsMatch[] {
  const hits: OsMatch[] = [];
  for (const os of catalog.oses) {
    const m =
      os.media.find((x) => mediaMatches(x, ids) && x.arch === hostArch) ?? os.media.find((x) => mediaMatches(x, ids));
    if (m) hits.push({ os, arch: m.arch, live: m.live });
  }
  const onHost = (h: OsMatch): number => (h.arch === hostArch || h.arch === 'all' ? 0 : 1);
  return hits.sort((a, b) => onHost(a) - onHost(b));
}
