/**
 * The VNC console's key pacing (no faster than QEMU types keys into the guest, so its own key
 * queue, lost when the guest pauses to move, stays empty) and the keys kept from the start of a
 * move (a key held when keeping began may still be let go on the live display, once), counted for
 * the "moving…" mark as they are kept.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleKeys, type KeyDisplay } from '../../renderer/src/consoles/console-keys.js';
import { KeyPacer, type PacedKey } from '../../renderer/src/consoles/key-pacer.js';
import { movingMarkText } from '../../renderer/src/consoles/moving-mark.js';
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

describe('the keys kept during a move, counted for the "moving…" mark', () => {
  /** A display as far as the console's keyboard uses one: what reached it. */
  const display = (): { rfb: KeyDisplay; got: string[] } => {
    const got: string[] = [];
    const rfb: KeyDisplay = {
      viewOnly: false,
      sendKey(_keysym, code, down) {
        got.push(`${down ? 'down' : 'up'} ${code}`);
      },
    };
    return { rfb, got };
  };
  const press = (rfb: KeyDisplay, code: string): void => {
    rfb.sendKey(0x61, code, true);
    rfb.sendKey(0x61, code, false);
  };

  it('counts each press as it is kept, none before the move, and says none once they are typed', () => {
    const told: (number | undefined)[] = [];
    const keys = new ConsoleKeys((n) => told.push(n));
    const { rfb, got } = display();
    keys.attach(rfb, () => true);
    press(rfb, 'KeyA');
    assert.deepEqual(told, [], 'keys to the live display are not counted');
    keys.begin();
    press(rfb, 'KeyB');
    press(rfb, 'KeyC');
    assert.deepEqual(told, [0, 1, 1, 2, 2], 'each event told, each press counted once');
    const next = display();
    keys.end(next.rfb, null);
    assert.equal(told.at(-1), undefined, 'nothing kept once they are typed');
    // A's release was still paced when keeping began: the new display lets A go, then types B and C.
    assert.deepEqual(next.got, ['up KeyA', 'down KeyB', 'up KeyB', 'down KeyC', 'up KeyC']);
    assert.ok(!got.includes('down KeyB'), 'kept keys never went to the old display');
  });

  it('words the mark: moving, and how many keys wait', () => {
    assert.equal(movingMarkText(0), 'moving…');
    assert.equal(movingMarkText(1), 'moving… — 1 key will be typed when the move ends');
    assert.equal(movingMarkText(12), 'moving… — 12 keys will be typed when the move ends');
  });
});
