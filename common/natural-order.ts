/**
 * Names as a person orders them: "vm2" before "vm10", case aside, punctuation before digits
 * before letters. This is Unicode's root collation with numbers compared by value (what
 * `Intl.Collator('en', { numeric: true, sensitivity: 'base' })` gives), the same in every locale
 * so the server and every page agree on one order, and with it on slots 1–9.
 *
 * Why not just the collator: building the first ICU collator of a process loads collation data,
 * ~12 ms on an idle machine and far more at start, when the server and the page compete for the
 * CPU; that sat on the path to the first frame twice. Names made of printable ASCII, which are
 * nearly all guest and host names, are compared here without it; any other name goes to the
 * collator, built on first need. The ASCII table below reproduces the root collation exactly,
 * so mixing the two paths still gives one consistent order.
 */

/** Printable ASCII punctuation and symbols in the root collation's order (space first). */
const PUNCTUATION = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$';

/** Primary weight of each printable ASCII code: punctuation, then all digits, then letters (case aside). */
const WEIGHT = new Uint8Array(128);
for (let i = 0; i < PUNCTUATION.length; i++) WEIGHT[PUNCTUATION.charCodeAt(i)] = i + 1;
const DIGIT_WEIGHT = PUNCTUATION.length + 1;
for (let c = 48; c <= 57; c++) WEIGHT[c] = DIGIT_WEIGHT;
for (let l = 0; l < 26; l++) WEIGHT[65 + l] = WEIGHT[97 + l] = DIGIT_WEIGHT + 1 + l;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

let collator: Intl.Collator | undefined;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** The end of the digit run starting at `i`. */
function runEnd(s: string, i: number): number {
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/** Two digit runs by value (leading zeros aside, as the collator does): -1, 0 or 1. */
function compareNumbers(a: string, ai: number, ae: number, b: string, bi: number, be: number): number {
  while (ai < ae && a.charCodeAt(ai) === 48) ai++;
  while (bi < be && b.charCodeAt(bi) === 48) bi++;
  if (ae - ai !== be - bi) return ae - ai < be - bi ? -1 : 1;
  for (; ai < ae; ai++, bi++) {
    const d = a.charCodeAt(ai) - b.charCodeAt(bi);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

function compareAscii(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      const ae = runEnd(a, i);
      const be = runEnd(b, j);
      const n = compareNumbers(a, i, ae, b, j, be);
      if (n) return n;
      i = ae;
      j = be;
      continue;
    }
    if (WEIGHT[ca] !== WEIGHT[cb]) return WEIGHT[ca]! < WEIGHT[cb]! ? -1 : 1;
    i++;
    j++;
  }
  return i < a.length ? 1 : j < b.length ? -1 : 0;
}

/** -1, 0 or 1: `a` before, beside (same name but for case or leading zeros) or after `b`. */
export function compareNames(a: string, b: string): number {
  if (PRINTABLE_ASCII.test(a) && PRINTABLE_ASCII.test(b)) return compareAscii(a, b);
  return Math.sign((collator ??= new Intl.Collator('en', { numeric: true, sensitivity: 'base' })).compare(a, b));
}
