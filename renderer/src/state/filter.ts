/**
 * Type-to-filter: a guest matches when every word of the query is found in its name, its host
 * (label or URI) or its state, ignoring case. An empty query matches every guest.
 */
import type { GuestInfo } from '../../../common/contract.js';

/** The state as the switcher words it, plus libvirt's word, so "off" and "shutoff" both match. */
export function stateWords(g: GuestInfo): string {
  if (g.state === 'shutoff') return g.managedSave ? 'off saved shutoff' : 'off shutoff';
  return g.busy ? `${g.state} ${g.busy}` : g.state;
}

export function queryWords(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

export function guestMatches(g: GuestInfo, words: readonly string[], labelOf: (uri: string) => string): boolean {
  if (words.length === 0) return true;
  const hay = `${g.name} ${labelOf(g.host)} ${g.host} ${stateWords(g)}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** The guests of `ordered` that match, in the same order. */
export function filterGuests(
  ordered: readonly GuestInfo[],
  query: string,
  labelOf: (uri: string) => string,
): GuestInfo[] {
  const words = queryWords(query);
  return words.length === 0 ? [...ordered] : ordered.filter((g) => guestMatches(g, words, labelOf));
}
