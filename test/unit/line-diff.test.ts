import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { changedHunks, lineDiff } from '../../renderer/src/ui/line-diff.js';

describe('lineDiff', () => {
  it('marks added and removed lines and keeps the rest', () => {
    const d = lineDiff('a\nb\nc\nd', 'a\nB\nc\nd\ne');
    assert.deepEqual(d, [
      { kind: 'same', text: 'a' },
      { kind: 'added', text: 'B' },
      { kind: 'removed', text: 'b' },
      { kind: 'same', text: 'c' },
      { kind: 'same', text: 'd' },
      { kind: 'added', text: 'e' },
    ]);
  });

  it('finds nothing to change in equal texts', () => {
    assert.ok(lineDiff('x\ny', 'x\ny').every((l) => l.kind === 'same'));
    assert.deepEqual(changedHunks(lineDiff('x\ny', 'x\ny')), []);
  });

  it('keeps only the changes with a little context, gaps marked', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const after = before.replace('l2\n', 'l2\nnew\n').replace('l17', 'L17');
    const hunks = changedHunks(lineDiff(before, after), 1);
    const shown = hunks.map((l) => (l ? `${l.kind[0]}${l.text}` : '…'));
    assert.deepEqual(shown, ['sl2', 'anew', 'sl3', '…', 'sl16', 'aL17', 'rl17', 'sl18']);
  });
});
