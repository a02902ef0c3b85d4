/**
 * The switcher's order: hosts in the order added, guests by name within a host, then the user's
 * own reordering on top. Slots 1–9 go to the first nine guests in that order. A guest is known by
 * its UUID alone, so its place (and slot) stays with it when it moves to another host. Pure.
 */
import type { GuestInfo, HostInfo } from './contract.js';
import { compareNames } from './natural-order.js';

export { compareNames };

/**
 * The UUID a stored entry names. Entries are UUIDs; older settings stored `uuid@host`, which
 * still names the same guest wherever it lives now.
 */
export function orderKey(entry: string): string {
  const at = entry.indexOf('@');
  return at < 0 ? entry : entry.slice(0, at);
}

// UUIDs by code point: localeCompare would build an ICU collator for them (see natural-order.ts).
const byUuid = (a: GuestInfo, b: GuestInfo): number => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);
const byName = (a: GuestInfo, b: GuestInfo): number => compareNames(a.name, b.name) || byUuid(a, b);

/**
 * Orders guests. Guests the user placed keep the user's relative order, across hosts (a guest that
 * moved keeps its place and slot). Each guest the user never placed joins its own host's guests:
 * before the first of them whose name sorts after its own, else after the last of them; a host with
 * none yet gets it where the host order says. So new guests land where a person would look for them.
 */
export function switcherOrder(
  hosts: readonly HostInfo[],
  guests: readonly GuestInfo[],
  userOrder: readonly string[],
): GuestInfo[] {
  const rank = new Map<string, number>();
  userOrder.forEach((entry, i) => {
    const k = orderKey(entry);
    if (!rank.has(k)) rank.set(k, i);
  });
  const hostUris = hosts.map((h) => h.uri);
  for (const g of guests) if (!hostUris.includes(g.host)) hostUris.push(g.host);
  const hostRank = (g: GuestInfo): number => hostUris.indexOf(g.host);
  const out = guests.filter((g) => rank.has(g.uuid)).sort((a, b) => rank.get(a.uuid)! - rank.get(b.uuid)!);
  const unplaced = guests.filter((g) => !rank.has(g.uuid)).sort((a, b) => hostRank(a) - hostRank(b) || byName(a, b));
  for (const u of unplaced) out.splice(placeFor(out, u, hostRank), 0, u);
  return out;
}

/** Where an unplaced guest goes in `out`: among its host's guests by name, else after the hosts added before. */
function placeFor(out: readonly GuestInfo[], u: GuestInfo, hostRank: (g: GuestInfo) => number): number {
  let lastOfHost = -1;
  for (let i = 0; i < out.length; i++) {
    if (out[i]!.host !== u.host) continue;
    if (byName(out[i]!, u) > 0) return i;
    lastOfHost = i;
  }
  if (lastOfHost >= 0) return lastOfHost + 1;
  // Right after the last guest of a host added before its own.
  let i = out.length;
  while (i > 0 && hostRank(out[i - 1]!) > hostRank(u)) i--;
  return i;
}

/** UUID → slot number (1–9) for the first nine guests. */
export function slots(ordered: readonly GuestInfo[]): Map<string, number> {
  return new Map(ordered.slice(0, 9).map((g, i) => [g.uuid, i + 1]));
}

/**
 * The order after the user drags guest `moved` (a UUID) to just before `before` (or to the end of
 * its host's group when `before` is undefined). Returns the full list of UUIDs to save.
 */
export function reorder(ordered: readonly GuestInfo[], moved: string, before: string | undefined): string[] {
  const keys = ordered.map((g) => g.uuid).filter((k) => k !== moved);
  const movedGuest = ordered.find((g) => g.uuid === moved);
  if (!movedGuest) return ordered.map((g) => g.uuid);
  let at = before ? keys.indexOf(before) : -1;
  if (at < 0) {
    // End of the moved guest's host group.
    const lastOfHost = ordered.filter((g) => g.host === movedGuest.host && g.uuid !== moved).pop();
    at = lastOfHost ? keys.indexOf(lastOfHost.uuid) + 1 : keys.length;
  }
  keys.splice(at, 0, moved);
  return keys;
}

const ACTIVE = new Set(['running', 'paused', 'blocked', 'pmsuspended', 'shutdown']);

/** How strongly an instance claims to be where the guest is: running, then otherwise active, then defined. */
function claim(g: GuestInfo): number {
  return g.state === 'running' ? 2 : ACTIVE.has(g.state) ? 1 : 0;
}

/**
 * Which of the hosts that know a UUID is where the guest is now. During a move both hosts know it:
 * the source's runs until the switch-over while the target's waits paused, then the source's stops
 * and the target's runs. The strongest claim wins; on a tie the host it was on stays (`previous`),
 * else the host added first.
 */
export function whereItIs(
  instances: readonly GuestInfo[],
  hosts: readonly HostInfo[],
  previous: string | undefined,
): GuestInfo | undefined {
  const hostRank = (g: GuestInfo): number => {
    const i = hosts.findIndex((h) => h.uri === g.host);
    return i < 0 ? hosts.length : i;
  };
  let best: GuestInfo | undefined;
  for (const g of instances) {
    if (!best) best = g;
    else {
      const d = claim(g) - claim(best);
      const tieWin = d === 0 && (g.host === previous || (best.host !== previous && hostRank(g) < hostRank(best)));
      if (d > 0 || tieWin) best = g;
    }
  }
  return best;
}
