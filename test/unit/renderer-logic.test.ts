import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, type ConsoleChannel, type GuestInfo, type HostInfo } from '../../common/contract.js';
import { reorder, slots, switcherOrder } from '../../common/order.js';
import { guestInfo } from '../fixtures/guest-info.js';
import { Switcher } from '../../renderer/src/state/switcher.js';
import { ThrottledChannel } from '../../renderer/src/consoles/throttled-channel.js';
import { KeyboardRouter, type KeyEventLike } from '../../renderer/src/input/keyboard.js';
import { strokeFor, strokesFor } from '../../renderer/src/input/type-text.js';
import { backoffDelay, CONSOLE_RECONNECT } from '../../common/backoff.js';
import { actionsFor } from '../../renderer/src/ui/actions.js';
import { typePaced } from '../../renderer/src/input/paced-typing.js';

const host = (uri: string): HostInfo => ({ uri, status: 'connected' });
const guest = (h: string, name: string, state: GuestInfo['state'] = 'running'): GuestInfo =>
  guestInfo({ host: h, name, state });

describe('switcher order and slots', () => {
  const A = 'qemu:///system';
  const B = 'qemu+ssh://root@lab/system';
  const web10 = guest(A, 'web10');
  const web2 = guest(A, 'web2');
  const db = guest(A, 'db');
  const lab = guest(B, 'lab-vm');
  const all = [lab, web10, web2, db];

  it('puts hosts in the order added and guests by name within a host (numbers sort as numbers)', () => {
    assert.deepEqual(
      switcherOrder([host(A), host(B)], all, []).map((g) => g.name),
      ['db', 'web2', 'web10', 'lab-vm'],
    );
    assert.deepEqual(
      switcherOrder([host(B), host(A)], all, []).map((g) => g.name),
      ['lab-vm', 'db', 'web2', 'web10'],
    );
  });

  it('keeps the user order, and new guests land among them by name', () => {
    const order = [web10.uuid, db.uuid];
    assert.deepEqual(
      switcherOrder([host(A), host(B)], all, order).map((g) => g.name),
      ['web2', 'web10', 'db', 'lab-vm'],
    );
  });

  it('gives slots 1–9 to the first nine guests', () => {
    const many = Array.from({ length: 12 }, (_, i) => guest(A, `g${i + 1}`));
    const s = slots(switcherOrder([host(A)], many, []));
    assert.equal(s.size, 9);
    assert.equal(s.get(many[0]!.uuid), 1);
    assert.equal(s.get(many[8]!.uuid), 9);
    assert.equal(s.get(many[9]!.uuid), undefined);
  });

  it('reorders by drag: before another guest, or to the end of its host group', () => {
    const ordered = switcherOrder([host(A), host(B)], all, []);
    assert.deepEqual(
      reorder(ordered, web10.uuid, db.uuid),
      [web10, db, web2, lab].map((g) => g.uuid),
    );
    assert.deepEqual(
      reorder(ordered, db.uuid, undefined),
      [web2, web10, db, lab].map((g) => g.uuid),
    );
  });
});

describe('switcher state', () => {
  const A = 'qemu:///system';
  const g1 = guest(A, 'a');
  const g2 = guest(A, 'b', 'shutoff');
  const g3 = guest(A, 'c');
  const g4 = guest(A, 'd', 'paused');
  const order = [g1, g2, g3, g4];

  it('starts on the remembered guest, else the first running one', () => {
    const s = new Switcher();
    assert.equal(s.initial(order, g3.uuid), g3.uuid);
    assert.equal(s.initial(order, 'gone@x'), g1.uuid);
    assert.equal(s.initial([g2], undefined), g2.uuid);
  });

  it('next and previous cycle through running guests only, wrapping', () => {
    const s = new Switcher();
    s.activate(g1.uuid);
    assert.equal(s.step(order, 1), g3.uuid);
    s.activate(g3.uuid);
    assert.equal(s.step(order, 1), g4.uuid);
    s.activate(g4.uuid);
    assert.equal(s.step(order, 1), g1.uuid);
    assert.equal(s.step(order, -1), g3.uuid);
  });

  it('goes back to the last guest used, most recent first', () => {
    const s = new Switcher();
    s.activate(g1.uuid);
    s.activate(g3.uuid);
    assert.equal(s.last(order), g1.uuid);
    s.activate(g1.uuid);
    assert.equal(s.last(order), g3.uuid);
    assert.equal(s.activate(g1.uuid), undefined, 'no change, no switch');
    assert.equal(s.slot(order, 2), g2.uuid);
    assert.equal(s.slot(order, 9), undefined);
  });
});

class FakeChannel implements ConsoleChannel {
  binaryType = 'blob';
  readyState = 1;
  protocol = '';
  sent: unknown[] = [];
  closed = false;
  onopen: ConsoleChannel['onopen'] = null;
  onmessage: ConsoleChannel['onmessage'] = null;
  onclose: ConsoleChannel['onclose'] = null;
  onerror: ConsoleChannel['onerror'] = null;
  send(d: ArrayBuffer | ArrayBufferView | string): void {
    this.sent.push(d);
  }
  close(): void {
    this.closed = true;
  }
}

describe('throttled console channel', () => {
  it('holds server data while paused and delivers it in order on resume', () => {
    const inner = new FakeChannel();
    const ch = new ThrottledChannel(inner);
    const got: number[] = [];
    ch.onmessage = (ev) => got.push(new Uint8Array(ev.data as ArrayBuffer)[0]!);
    inner.onmessage!({ data: new Uint8Array([1]).buffer });
    ch.pause();
    inner.onmessage!({ data: new Uint8Array([2]).buffer });
    inner.onmessage!({ data: new Uint8Array([3]).buffer });
    assert.deepEqual(got, [1]);
    assert.equal(ch.heldCount, 2);
    ch.resume();
    assert.deepEqual(got, [1, 2, 3]);
    assert.equal(ch.bytesIn, 3);
    ch.binaryType = 'arraybuffer';
    assert.equal(inner.binaryType, 'arraybuffer');
    ch.send('x');
    assert.deepEqual(inner.sent, ['x']);
  });

  it('has every property noVNC checks on a raw channel', () => {
    const ch = new ThrottledChannel(new FakeChannel());
    const props = [...Object.keys(ch), ...Object.getOwnPropertyNames(Object.getPrototypeOf(ch))];
    for (const p of ['send', 'close', 'binaryType', 'onerror', 'onmessage', 'onopen', 'protocol', 'readyState'])
      assert.ok(props.includes(p), p);
  });

  it('hands held data over before it reports the close', () => {
    const inner = new FakeChannel();
    const ch = new ThrottledChannel(inner);
    const log: string[] = [];
    ch.onmessage = () => log.push('msg');
    ch.onclose = () => log.push('close');
    ch.pause();
    inner.onmessage!({ data: new ArrayBuffer(1) });
    inner.onclose!({ code: 1000 });
    assert.deepEqual(log, ['msg', 'close']);
  });
});

describe('keyboard routing', () => {
  const ev = (
    type: 'keydown' | 'keyup',
    code: string,
    mods: { ctrl?: boolean; alt?: boolean } = {},
    toConsole = true,
  ) => {
    const e: KeyEventLike & { swallowed: boolean } = {
      type,
      code,
      ctrlKey: !!mods.ctrl,
      altKey: !!mods.alt,
      shiftKey: false,
      metaKey: false,
      toConsole,
      swallowed: false,
      preventDefault() {
        e.swallowed = true;
      },
      stopImmediatePropagation() {
        e.swallowed = true;
      },
    };
    return e;
  };

  it('takes hotkeys, passes typing, and remembers the modifiers the guest has down', () => {
    const actions: string[] = [];
    const r = new KeyboardRouter(
      DEFAULT_SETTINGS.hotkeys,
      { hotkey: (a) => actions.push(a), modalKey: () => false, anyInput: () => undefined },
      () => 0,
    );
    const ctrl = ev('keydown', 'ControlLeft', { ctrl: true });
    const alt = ev('keydown', 'AltLeft', { ctrl: true, alt: true });
    const two = ev('keydown', 'Digit2', { ctrl: true, alt: true });
    r.handle(ctrl);
    r.handle(alt);
    r.handle(two);
    assert.deepEqual([ctrl.swallowed, alt.swallowed, two.swallowed], [false, false, true]);
    assert.deepEqual(actions, ['slot2']);
    // A switch releases exactly what the old guest holds, once.
    assert.deepEqual(r.takeHeld().sort(), ['AltLeft', 'ControlLeft']);
    assert.deepEqual(r.takeHeld(), []);
    const up = ev('keyup', 'Digit2');
    r.handle(up);
    assert.equal(up.swallowed, true);
    const a = ev('keydown', 'KeyA');
    r.handle(a);
    assert.equal(a.swallowed, false);
    r.handle(ev('keyup', 'KeyA'));
    assert.deepEqual(r.takeHeld(), []);
  });

  it('lets a plain digit through both ways, so it is never left held down in the guest', () => {
    const r = new KeyboardRouter(
      DEFAULT_SETTINGS.hotkeys,
      { hotkey: () => undefined, modalKey: () => false, anyInput: () => undefined },
      () => 0,
    );
    const down = ev('keydown', 'Digit1');
    const up = ev('keyup', 'Digit1');
    r.handle(down);
    r.handle(up);
    assert.deepEqual([down.swallowed, up.swallowed], [false, false]);
    // …while the key-up of a digit that switched guests stays away from both.
    const chord = ev('keydown', 'Digit1', { ctrl: true, alt: true });
    const chordUp = ev('keyup', 'Digit1');
    r.handle(chord);
    r.handle(chordUp);
    assert.deepEqual([chord.swallowed, chordUp.swallowed], [true, true]);
    const f = ev('keydown', 'KeyF');
    const fUp = ev('keyup', 'KeyF');
    r.handle(f);
    r.handle(fUp);
    assert.deepEqual([f.swallowed, fUp.swallowed], [false, false]);
  });

  it('gives every key to the picker while it is open', () => {
    const seen: string[] = [];
    const r = new KeyboardRouter(DEFAULT_SETTINGS.hotkeys, {
      hotkey: () => undefined,
      modalKey: (e) => (seen.push(e.code), true),
      anyInput: () => undefined,
    });
    const d = ev('keydown', 'Digit3');
    r.handle(d);
    assert.equal(d.swallowed, true);
    assert.deepEqual(seen, ['Digit3']);
  });
});

describe('typing text as keys, and the rest of the pure renderer logic', () => {
  it('maps US-layout characters to codes with Shift where a person would press it', () => {
    assert.deepEqual(strokeFor('a'), { code: 'KeyA', keysym: 97, shift: false });
    assert.deepEqual(strokeFor('A'), { code: 'KeyA', keysym: 65, shift: true });
    assert.deepEqual(strokeFor('>'), { code: 'Period', keysym: 62, shift: true });
    assert.equal(strokeFor('\n')?.code, 'Enter');
    assert.deepEqual(strokesFor('é x').skipped, ['é']);
    assert.equal(strokesFor('a\r\nb').strokes.length, 3);
  });

  it('types one stroke at a time, a few ms apart, with Shift around the shifted ones', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const sent: string[] = [];
      typePaced(
        { sendKey: (_keysym, code, down) => sent.push(`${code}${down ? '↓' : '↑'}`) },
        strokesFor('aB').strokes,
        8,
      );
      assert.deepEqual(sent, ['KeyA↓', 'KeyA↑'], 'the second stroke waits');
      mock.timers.tick(7);
      assert.equal(sent.length, 2);
      mock.timers.tick(1);
      assert.deepEqual(sent.slice(2), ['ShiftLeft↓', 'KeyB↓', 'KeyB↑', 'ShiftLeft↑']);
      mock.timers.tick(100);
      assert.equal(sent.length, 6);
    } finally {
      mock.timers.reset();
    }
  });

  it('backs off reconnects quickly at first and caps them', () => {
    assert.equal(backoffDelay(CONSOLE_RECONNECT, 0), 250);
    assert.equal(backoffDelay(CONSOLE_RECONNECT, 1), 500);
    assert.equal(backoffDelay(CONSOLE_RECONNECT, 20), 10_000);
  });

  it('offers the actions that make sense for each state', () => {
    assert.deepEqual(actionsFor({ state: 'shutoff', persistent: true }), ['start', 'snapshot', 'delete']);
    assert.ok(actionsFor({ state: 'running', persistent: true }).includes('poweroff'));
    assert.ok(actionsFor({ state: 'paused', persistent: true }).includes('resume'));
    assert.ok(!actionsFor({ state: 'running', persistent: true }).includes('start'));
  });
});
