/**
 * The strip as a flat list of rows (a header per host, then its guests), with the height and
 * top of each, so the strip builds only the rows in view. Pure: no DOM.
 */
import type { GuestInfo, HostInfo } from '../../../common/contract.js';

export type StripMode = 'cards' | 'list';

export type Row =
  | { kind: 'host'; host: HostInfo; total: number; shown: number; folded: boolean }
  | { kind: 'guest'; key: string; guest: GuestInfo }
  | { kind: 'empty'; uri: string; text: string };

export interface RowHeights {
  host: number;
  /** A host header that also shows its error. */
  hostWithError: number;
  guest: number;
  empty: number;
}

export interface Layout {
  rows: Row[];
  /** tops[i] is where row i starts; tops[rows.length] is the whole height. */
  tops: number[];
}

/** Beyond this many guests the strip picks the one-line list by itself (until the user chooses). */
export const AUTO_LIST_ABOVE = 36;

export function autoMode(guestCount: number): StripMode {
  return guestCount > AUTO_LIST_ABOVE ? 'list' : 'cards';
}

/** Rows for `shown` (the guests that pass the filter, in switcher order), hosts in the order added. */
export function layoutRows(
  hosts: readonly HostInfo[],
  all: readonly GuestInfo[],
  shown: readonly GuestInfo[],
  folded: ReadonlySet<string>,
  filtering: boolean,
  heights: RowHeights,
): Layout {
  const totals = new Map<string, number>();
  for (const g of all) totals.set(g.host, (totals.get(g.host) ?? 0) + 1);
  const byHost = new Map<string, GuestInfo[]>();
  for (const g of shown) {
    const list = byHost.get(g.host) ?? [];
    list.push(g);
    byHost.set(g.host, list);
  }
  const rows: Row[] = [];
  for (const host of hosts) {
    const guests = byHost.get(host.uri) ?? [];
    // While filtering, hosts with no match step aside.
    if (filtering && guests.length === 0) continue;
    const isFolded = folded.has(host.uri);
    rows.push({ kind: 'host', host, total: totals.get(host.uri) ?? 0, shown: guests.length, folded: isFolded });
    if (isFolded) continue;
    for (const g of guests) rows.push({ kind: 'guest', key: g.uuid, guest: g });
    if (guests.length === 0 && host.status === 'connected')
      rows.push({ kind: 'empty', uri: host.uri, text: 'No guests on this host' });
  }
  const tops = [0];
  for (const r of rows) tops.push(tops.at(-1)! + rowHeight(r, heights));
  return { rows, tops };
}

function rowHeight(r: Row, h: RowHeights): number {
  if (r.kind === 'guest') return h.guest;
  if (r.kind === 'empty') return h.empty;
  return hostProblem(r.host) ? h.hostWithError : h.host;
}

/** What is wrong with a host, in words, for the line under its name: why it is not connected, else a failing stats round. */
export function hostProblem(host: HostInfo): string | undefined {
  if (host.status !== 'connected') return host.error;
  return host.statsError;
}

/** The rows [start, end) that overlap the band from `top` to `bottom` (pixels). */
export function visibleRange(layout: Layout, top: number, bottom: number): [number, number] {
  const { tops, rows } = layout;
  // The first row whose bottom is below `top`, by binary search.
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tops[mid + 1]! <= top) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < rows.length && tops[end]! < bottom) end++;
  return [lo, end];
}
