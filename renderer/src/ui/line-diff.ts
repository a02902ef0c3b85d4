/** A line diff for showing what an edit changes: common lines kept, the rest marked removed or added. */

export interface DiffLine {
  kind: 'same' | 'removed' | 'added';
  text: string;
}

/** Longest common subsequence over the lines that differ (the shared head and tail are cut off first). */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  // lcs[i][j]: the longest common run of x[i..] and y[j..].
  const lcs = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--)
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: DiffLine[] = a.slice(0, head).map((text) => ({ kind: 'same', text }));
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      out.push({ kind: 'same', text: x[i++]! });
      j++;
    } else if (j < y.length && (i >= x.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push({ kind: 'added', text: y[j++]! });
    } else {
      out.push({ kind: 'removed', text: x[i++]! });
    }
  }
  for (const text of a.slice(a.length - tail)) out.push({ kind: 'same', text });
  return out;
}

/** Only the changed lines, with up to `context` unchanged lines around each. */
export function changedHunks(diff: readonly DiffLine[], context = 2): (DiffLine | null)[] {
  const near = diff.map((_, i) => diff.slice(Math.max(0, i - context), i + context + 1).some((d) => d.kind !== 'same'));
  const out: (DiffLine | null)[] = [];
  diff.forEach((d, i) => {
    if (near[i]) out.push(d);
    else if (out.at(-1) !== null && out.length) out.push(null);
  });
  return out.at(-1) === null ? out.slice(0, -1) : out;
}
