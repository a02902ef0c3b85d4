/**
 * The switcher's order, for the menu's guest list and its slot numbers: hosts in the order added,
 * guests by name within a host, with the user's own reordering on top (design §5). The renderer
 * orders its switcher by the same rule (renderer/src/state/order.ts, which main code may not
 * import); a unit test checks that the two agree.
 */
import { guestKey, type GuestInfo, type HostInfo } from '../app/shared/contract.js';

const byName = (a: GuestInfo, b: GuestInfo): number => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }) || a.uuid.localeCompare(b.uuid);

/**
 * Within each host, guests the user placed keep the user's relative order; a guest never placed
 * goes just before the first placed guest whose name sorts after its own.
 */
export function switcherOrder(hosts: readonly HostInfo[], guests: readonly GuestInfo[], userOrder: readonly string[]): GuestInfo[] {
  const rank = new Map(userOrder.map((k, i) => [k, i]));
  const uris = [...hosts.map((h) => h.uri)];
  for (const g of guests) if (!uris.includes(g.host)) uris.push(g.host);
  const out: GuestInfo[] = [];
  for (const uri of uris) {
    const mine = guests.filter((g) => g.host === uri).sort(byName);
    const placed = mine.filter((g) => rank.has(guestKey(g))).sort((a, b) => rank.get(guestKey(a))! - rank.get(guestKey(b))!);
    let next = 0;
    for (const g of mine) {
      if (rank.has(guestKey(g))) continue;
      while (next < placed.length && byName(placed[next]!, g) < 0) out.push(placed[next++]!);
      out.push(g);
    }
    out.push(...placed.slice(next));
  }
  return out;
}
