import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HOLD_MAX_MS, LEAD_MS, SwitchOverWatch } from '../../main/hosts/switch-over.js';

const MiB = 1048576;

describe('switch-over watch: when a live move is about to pause the guest', () => {
  it('holds once what is left would be sent within the lead time, at the pace seen', () => {
    const w = new SwitchOverWatch();
    // 100 MiB/s on the wire; 400 MiB left: 4 s away.
    assert.equal(w.update({ at: 0, remaining: 400 * MiB, processed: 10 * MiB, bps: 100 * MiB }), false);
    // The fall of what is left (zero pages too) is faster than the wire: 300 MiB in 250 ms.
    assert.equal(w.update({ at: 250, remaining: 100 * MiB, processed: 30 * MiB, bps: 100 * MiB }), true);
  });

  it('holds from the start until the pace is known, and lets go once the end has looked far for the longest hold', () => {
    const w = new SwitchOverWatch();
    assert.equal(w.start(0), true);
    const far = ((LEAD_MS * 2) / 1000) * 50 * MiB;
    assert.equal(w.update({ at: 100, remaining: far + MiB, processed: 0, bps: 0 }), true, 'pace unknown');
    assert.equal(w.update({ at: 350, remaining: far, processed: MiB, bps: 50 * MiB }), true, 'far, but just begun');
    assert.equal(w.update({ at: HOLD_MAX_MS, remaining: far, processed: 2 * MiB, bps: 50 * MiB }), false);
    assert.equal(w.update({ at: HOLD_MAX_MS + 250, remaining: far, processed: 3 * MiB, bps: 50 * MiB }), false);
  });

  it('a move that does not converge lets the keys through for one poll after each longest hold', () => {
    const w = new SwitchOverWatch();
    const near = (at: number): boolean => w.update({ at, remaining: 10 * MiB, processed: 500 * MiB, bps: 100 * MiB });
    const seen: boolean[] = [];
    for (let at = 0; at <= 2 * HOLD_MAX_MS + 500; at += 250) seen.push(near(at));
    const firstRelease = seen.indexOf(false);
    assert.equal(firstRelease, (2 * HOLD_MAX_MS) / 250, `held for ${2 * HOLD_MAX_MS} ms: ${seen.join(' ')}`);
    assert.equal(seen[firstRelease + 1], true, 'held again at the next poll');
  });

  it('a pass that starts over (more left than before) is judged by the wire rate alone', () => {
    const w = new SwitchOverWatch();
    assert.equal(w.update({ at: 0, remaining: 50 * MiB, processed: 100 * MiB, bps: 10 * MiB }), false);
    assert.equal(w.update({ at: 250, remaining: 60 * MiB, processed: 102 * MiB, bps: 10 * MiB }), false);
  });

  it('a hold begun goes on through a poll that looks further away', () => {
    const w = new SwitchOverWatch();
    assert.equal(w.update({ at: 0, remaining: 5 * MiB, processed: 100 * MiB, bps: 10 * MiB }), true);
    assert.equal(w.update({ at: 250, remaining: 50 * MiB, processed: 102 * MiB, bps: 10 * MiB }), true);
  });
});
