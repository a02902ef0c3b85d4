import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareNames } from '../../common/natural-order.js';

/** What the ASCII path must agree with: the root collation, numbers by value, case aside. */
const icu = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
const sign = (n: number): number => Math.sign(n);

/** A deterministic generator, so a failure names a reproducible pair. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Names mostly like guests' (letters, digit runs with zeros, separators), with every printable ASCII code in the mix. */
function nameFrom(next: () => number): string {
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
  const parts = ['vm', 'VM', 'web', 'db-', 'a', 'A', '0', '00', '1', '9', '10', '007', '-', '_', '.', ' ', '~', '$'];
  let s = '';
  const n = Math.floor(next() * 5);
  for (let k = 0; k < n; k++)
    s += next() < 0.7 ? parts[Math.floor(next() * parts.length)] : printable[Math.floor(next() * printable.length)];
  return s;
}

describe('names in natural order', () => {
  it('orders as a person would: numbers by value, case aside, punctuation before digits before letters', () => {
    const names = ['vm10', 'VM2', 'vm1', 'db', 'vm-3', 'vm_3', 'Vm02', 'web', '9lives', 'vm'];
    assert.deepEqual(names.sort(compareNames), [
      '9lives',
      'db',
      'vm',
      'vm_3',
      'vm-3',
      'vm1',
      'VM2',
      'Vm02',
      'vm10',
      'web',
    ]);
    assert.equal(compareNames('vm01', 'vm1'), 0);
    assert.equal(compareNames('Alpha', 'alpha'), 0);
    assert.equal(compareNames('', 'a'), -1);
    assert.equal(compareNames('n99999999999999999999', 'n100000000000000000000'), -1);
  });

  it('agrees with the root collation on every pair of 40,000 generated ASCII names', () => {
    const next = random(16);
    for (let k = 0; k < 40_000; k++) {
      const a = nameFrom(next);
      const b = nameFrom(next);
      assert.equal(compareNames(a, b), sign(icu.compare(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });

  it('agrees with it on each printable ASCII character against each other, alone and before a digit', () => {
    const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
    for (const a of chars)
      for (const b of chars) {
        assert.equal(compareNames(a, b), sign(icu.compare(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
        assert.equal(compareNames(`x${a}1`, `x${b}2`), sign(icu.compare(`x${a}1`, `x${b}2`)));
      }
  });

  it('gives names beyond ASCII to the collator, in one consistent order with the rest', () => {
    assert.equal(compareNames('Øst', 'Ost'), sign(icu.compare('Øst', 'Ost')));
    assert.equal(compareNames('é2', 'e10'), -1);
    const names = ['zeta', 'Ångström', 'alpha', 'émile', 'Emil', 'vm2', 'vm10', 'ünter', 'unter'];
    const expected = [...names].sort((a, b) => icu.compare(a, b));
    assert.deepEqual([...names].sort(compareNames), expected);
  });
});
