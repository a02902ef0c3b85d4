/**
 * The switcher's order: hosts in the order added, guests by name within a host, then the user's
 * own reordering on top. Slots 1–9 go to the first nine guests in that order. Pure.
 */
import { guestKey, type GuestInfo, type HostInfo } from './contract.js';

const byName = (a: GuestInfo, b: GuestInfo): number =>
  a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }) || a.uuid.localeCompare(b.uuid);

/**
 * Orders guests. Within each host, guests the user placed keep the user's relative order;
 * guests the user never placed take their place by name among them.
 */
export function switcherOrder(
  hosts: readonly HostInfo[],
  guests: readonly GuestInfo[],
  userOrder: readonly string[],
): GuestInfo[] {
  const rank = new Map(userOrder.map((k, i) => [k, i]));
  const out: GuestInfo[] = [];
  const hostUris = hosts.map((h) => h.uri);
  const extraHosts = [...new Set(guests.map((g) => g.host))].filter((h) => !hostUris.includes(h));
  for (const uri of [...hostUris, ...extraHosts]) {
    const mine = guests.filter((g) => g.host === uri).sort(byName);
    const placed = mine
      .filter((g) => rank.has(guestKey(g)))
      .sort((a, b) => rank.get(guestKey(a))! - rank.get(guestKey(b))!);
    const unplaced = mine.filter((g) => !rank.has(guestKey(g)));
    // Merge: placed guests in the user's order; each unplaced one goes before the first placed
    // guest whose name sorts after it, so new guests land where a person would look for them.
    const merged: GuestInfo[] = [];
    let i = 0;
    for (const u of unplaced) {
      while (i < placed.length && byName(placed[i]!, u) < 0) merged.push(placed[i++]!);
      merged.push(u);
    }
    while (i < placed.length) merged.push(placed[i++]!);
    out.push(...merged);
  }
  return out;
}

/** guestKey → slot number (1–9) for the first nine guests. */
export function slots(ordered: readonly GuestInfo[]): Map<string, number> {
  return new Map(ordered.slice(0, 9).map((g, i) => [guestKey(g), i + 1]));
}

/**
 * The order after the user drags `moved` to just before `before` (or to the end of its host's
 * group when `before` is undefined). Returns the full list of keys to save.
 */
export function reorder(ordered: readonly GuestInfo[], moved: string, before: string | undefined): string[] {
  const keys = ordered.map(guestKey).filter((k) => k !== moved);
  const movedGuest = ordered.find((g) => guestKey(g) === moved);
  if (!movedGuest) return ordered.map(guestKey);
  let at = before ? keys.indexOf(before) : -1;
  if (at < 0) {
    // End of the moved guest's host group.
    const lastOfHost = ordered
      .map((g) => g)
      .filter((g) => g.host === movedGuest.host && guestKey(g) !== moved)
      .pop();
    at = lastOfHost ? keys.indexOf(guestKey(lastOfHost)) + 1 : keys.length;
  }
  keys.splice(at, 0, moved);
  return keys;
}
