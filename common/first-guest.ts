/**
 * The guest the switcher shows first: the one named at launch, else the one remembered, else the
 * first running one in switcher order. One rule for the page and the server, so the server can
 * open that guest's console for a page that has not received the guest list yet (serve shell).
 * Pure.
 */
import type { AppState, GuestInfo, HostInfo } from './contract.js';
import { resolveDomain } from './desktop-api.js';
import { isRunning } from './guest-state.js';
import { orderKey, switcherOrder, whereItIs } from './order.js';

/** The remembered guest if it still exists, else the first running one, else the first. */
export function rememberedOrFirst(order: readonly GuestInfo[], remembered: string | undefined): string | undefined {
  // Older settings remember `uuid@host`; the UUID alone names the guest wherever it is.
  const uuid = remembered ? orderKey(remembered) : undefined;
  if (uuid && order.some((g) => g.uuid === uuid)) return uuid;
  return (order.find(isRunning) ?? order[0])?.uuid;
}

/**
 * The guest to show first. Undefined while hosts are still connecting and could yet list it;
 * `missing` names a launch guest that no host has.
 */
export function initialGuest(
  ordered: readonly GuestInfo[],
  hosts: readonly HostInfo[],
  launch: { domain?: string; remembered?: string },
): { key?: string; missing?: string } | undefined {
  const connecting = hosts.some((h) => h.status === 'connecting');
  // Wait until every host has had its say, or the remembered guest may not be listed yet.
  if (connecting && ordered.length === 0) return undefined;
  let missing: string | undefined;
  if (launch.domain) {
    const g = resolveDomain(ordered, launch.domain);
    if (g) return { key: g.uuid };
    if (connecting) return undefined;
    missing = launch.domain;
  }
  const key = rememberedOrFirst(ordered, launch.remembered);
  return { ...(key ? { key } : {}), ...(missing ? { missing } : {}) };
}

/** The guests of a state as the page lists them: one per UUID, where it is now, in switcher order. */
export function orderedGuests(state: Pick<AppState, 'hosts' | 'guests' | 'settings'>): GuestInfo[] {
  const byUuid = new Map<string, GuestInfo[]>();
  for (const g of state.guests) byUuid.set(g.uuid, [...(byUuid.get(g.uuid) ?? []), g]);
  const here = [...byUuid.values()].flatMap((mine) => whereItIs(mine, state.hosts, undefined) ?? []);
  return switcherOrder(state.hosts, here, state.settings.order);
}

/**
 * The running guest whose VNC display a page opened with `domain` (its ?domain=, if any) shows
 * first; undefined while that is not known yet, null when it is known there is none (no guest,
 * or the first is off or shows through SPICE, whose channels the page opens itself).
 */
export function firstVncGuest(state: AppState, domain: string | undefined): GuestInfo | null | undefined {
  const ordered = orderedGuests(state);
  const c = initialGuest(ordered, state.hosts, {
    ...(domain ? { domain } : {}),
    remembered: state.settings.lastActive,
  });
  if (!c) return undefined;
  const g = ordered.find((x) => x.uuid === c.key);
  return g && isRunning(g) && g.hasVnc ? g : null;
}
