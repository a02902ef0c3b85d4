/**
 * The VNC console's key pacing (no faster than QEMU types keys into the guest, so its own key
 * queue, lost when the guest pauses to move, stays empty) and the keys kept from the start of a
 * move (a key held when keeping began may still be let go on the live display, once).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyPacer, type PacedKey } from '../../renderer/src/consoles/key-pacer.js';
import { HandoverKeys } from '../../renderer/src/input/handover.js';

const key = (code: string, down: boolean): PacedKey => ({ keysym: 0x61, code, down });

describe('KeyPacer', () => {
  it('sends at once when idle, then one event per gap, in order; take() returns what is left unsent', async () => {
    const sent: { code: string | null; at: number }[] = [];
    const start = performance.now();
    const pacer = new KeyPacer((k) => sent.push({ code: k.code, at: performance.now() - start }), 20);
    const codes = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const c of codes) pacer.push(key(c, true));
    assert.deepEqual(
      sent.map((s) => s.code),
      ['a'],
      'only the first goes at once',
    );
    while (sent.length < 3) await new Promise((r) => setTimeout(r, 1));
    const left = pacer.take();
    assert.deepEqual([...sent.map((s) => s.code), ...left.map((k) => k.code)], codes, 'each once, in order');
    // Each is sent no sooner than its place in the line allows.
    for (const [i, s] of sent.entries()) assert.ok(s.at >= i * 20 - 1, `${s.code} at ${s.at} ms`);
    const count = sent.length;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(sent.length, count, 'taken events are never sent');
    assert.equal(pacer.pending, 0);
  });

  it('a late timer does not lower the rate: the next event is due a gap after the last was due', () => {
    let now = 0;
    const sent: string[] = [];
    const pacer = new KeyPacer(
      (k) => sent.push(k.code!),
      10,
      () => now,
    );
    pacer.push(key('a', true));
    pacer.push(key('b', true));
    pacer.take();
    now = 15; // due at 10, sent at 15: the next is due at 20, not 25
    pacer.push(key('c', true));
    now = 20;
    pacer.push(key('d', true));
    assert.deepEqual(sent, ['a', 'c', 'd']);
  });
});

describe('HandoverKeys while keys are kept from the start of a move', () => {
  it('lets the release of a key held at the start go to the live display once; the rest is replayed', () => {
    const k = new HandoverKeys();
    k.key({ type: 'keydown', code: 'KeyA', key: 'a' });
    k.begin();
    assert.equal(k.releasesLive('KeyA'), true, 'the held key may be let go live');
    assert.equal(k.releasesLive('KeyA'), false, 'only once');
    assert.equal(k.releasesLive('KeyB'), false, 'a key that was not down');
    k.key({ type: 'keydown', code: 'KeyA', key: 'a' });
    k.key({ type: 'keyup', code: 'KeyA', key: 'a' });
    const { release, replay } = k.end();
    assert.deepEqual(release, ['KeyA']);
    assert.deepEqual(
      replay.map((r) => `${r.type} ${r.code}`),
      ['keydown KeyA', 'keyup KeyA'],
    );
  });
});
