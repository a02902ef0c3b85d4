/** The action palette's entries and how typing narrows them. Pure: no DOM. */

export interface PaletteEntry {
  /** Stable name for tests and for remembering nothing else: "action:shutdown", "tool:details", … */
  id: string;
  label: string;
  /** What kind of thing it is ("Guest", "Panel", "Send keys", "Switch to"), shown beside the label. */
  group: string;
  /** The keys that also do it, in words, when there are any. */
  keys?: string;
  /** Why it can't be done now, in words; the entry shows but does not run. */
  disabled?: string;
  run(): void;
}

/**
 * The entries that match every word typed (in label or group, any case), best first: those whose
 * label starts with the query, then those with a word starting with it, then the rest in order.
 */
export function filterEntries(entries: readonly PaletteEntry[], query: string): PaletteEntry[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...entries];
  const words = q.split(/\s+/);
  const rank = (e: PaletteEntry): number => {
    const label = e.label.toLowerCase();
    if (label.startsWith(q)) return 0;
    if (label.split(/[\s…(),]+/).some((w) => w.startsWith(words[0]!))) return 1;
    return 2;
  };
  return entries
    .filter((e) => {
      const hay = `${e.label} ${e.group}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    })
    .map((e, i) => ({ e, i, r: rank(e) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.e);
}
