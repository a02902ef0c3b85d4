/**
 * Hotkeys in `before-input-event` (main/electron/hotkey-filter.ts): a bound chord is prevented
 * and forwarded; every other key passes, key-up included; a double tap works.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, type HotkeyAction } from '../../common/contract.js';
import { HotkeyFilter, type InputLike } from '../../main/electron/hotkey-filter.js';
import { keyInput } from './electron-fakes.js';

function setup(hotkeys = DEFAULT_SETTINGS.hotkeys) {
  let now = 1000;
  const fired: HotkeyAction[] = [];
  const filter = new HotkeyFilter(
    hotkeys,
    (a) => fired.push(a),
    () => now,
  );
  /** Sends one Electron Input; returns whether it was prevented. */
  const key = (
    type: 'keyDown' | 'keyUp',
    code: string,
    mods: Partial<Pick<InputLike, 'control' | 'alt' | 'shift' | 'meta' | 'isAutoRepeat' | 'isComposing'>> = {},
  ): boolean => {
    let prevented = false;
    filter.handle({ preventDefault: () => (prevented = true) }, keyInput(type, code, mods));
    return prevented;
  };
  return { filter, fired, key, advance: (ms: number) => (now += ms) };
}

describe('hotkeys in before-input-event', () => {
  it('a bound chord never reaches the page: prevented, and forwarded to the renderer', () => {
    const t = setup();
    assert.equal(t.key('keyDown', 'ControlLeft', { control: true }), false, 'the modifier itself passes');
    assert.equal(t.key('keyDown', 'AltLeft', { control: true, alt: true }), false);
    assert.equal(t.key('keyDown', 'Digit2', { control: true, alt: true }), true);
    assert.deepEqual(t.fired, ['slot2']);
    assert.equal(t.key('keyUp', 'Digit2', { control: true, alt: true }), true, 'its key-up is kept back too');
    assert.equal(t.key('keyUp', 'AltLeft', { control: true }), false);
    assert.equal(t.key('keyUp', 'ControlLeft'), false);
    assert.equal(t.key('keyDown', 'PageDown', { control: true, alt: true }), true);
    assert.equal(t.key('keyDown', 'KeyF', { control: true, alt: true }), true);
    assert.deepEqual(t.fired, ['slot2', 'next', 'fullscreen']);
  });

  it('plain keys pass, down and up, even those a chord uses', () => {
    const t = setup();
    for (const code of ['KeyA', 'Digit2', 'PageDown', 'KeyF', 'Enter', 'Backquote']) {
      assert.equal(t.key('keyDown', code), false, code);
      assert.equal(t.key('keyUp', code), false, `${code} up: a guest must never be left with a key down`);
    }
    assert.equal(t.key('keyDown', 'Digit2', { control: true }), false, 'Ctrl+2 is not Ctrl+Alt+2');
    assert.equal(
      t.key('keyDown', 'Digit2', { control: true, alt: true, shift: true }),
      false,
      'nor is Ctrl+Alt+Shift+2',
    );
    assert.deepEqual(t.fired, []);
  });

  it('ScrollLock twice within 500 ms opens the picker; both taps are kept from the guest', () => {
    const t = setup();
    assert.equal(t.key('keyDown', 'ScrollLock'), true);
    assert.equal(t.key('keyUp', 'ScrollLock'), true);
    assert.deepEqual(t.fired, []);
    t.advance(200);
    assert.equal(t.key('keyDown', 'ScrollLock'), true);
    assert.equal(t.key('keyUp', 'ScrollLock'), true);
    assert.deepEqual(t.fired, ['osd']);
    // Two taps too far apart are two first taps.
    t.advance(1000);
    t.key('keyDown', 'ScrollLock');
    t.key('keyUp', 'ScrollLock');
    t.advance(700);
    t.key('keyDown', 'ScrollLock');
    assert.deepEqual(t.fired, ['osd']);
  });

  it('a held chord acts once (auto-repeat is kept from the page but does nothing)', () => {
    const t = setup();
    t.key('keyDown', 'PageDown', { control: true, alt: true });
    assert.equal(t.key('keyDown', 'PageDown', { control: true, alt: true, isAutoRepeat: true }), true);
    assert.equal(t.key('keyDown', 'PageDown', { control: true, alt: true, isAutoRepeat: true }), true);
    assert.deepEqual(t.fired, ['next']);
  });

  it('the action palette and Details chords are caught over a focused console and never reach the page', () => {
    const t = setup();
    assert.equal(t.key('keyDown', 'ControlLeft', { control: true }), false);
    assert.equal(t.key('keyDown', 'AltLeft', { control: true, alt: true }), false);
    assert.equal(t.key('keyDown', 'KeyP', { control: true, alt: true }), true, 'Ctrl+Alt+P is kept from the guest');
    assert.equal(t.key('keyUp', 'KeyP', { control: true, alt: true }), true, 'and so is its key-up');
    assert.equal(t.key('keyDown', 'KeyD', { control: true, alt: true }), true);
    assert.equal(t.key('keyUp', 'KeyD', { control: true, alt: true }), true);
    assert.deepEqual(t.fired, ['palette', 'details']);
    assert.equal(t.key('keyDown', 'KeyP'), false, 'a plain P still types');
    // Rebound in the settings like any other hotkey.
    t.filter.setHotkeys({ ...DEFAULT_SETTINGS.hotkeys, palette: 'Ctrl+Shift+Space' });
    assert.equal(t.key('keyDown', 'KeyP', { control: true, alt: true }), false);
    assert.equal(t.key('keyDown', 'Space', { control: true, shift: true }), true);
    assert.deepEqual(t.fired, ['palette', 'details', 'palette']);
  });

  it("follows the user's settings", () => {
    const t = setup();
    t.filter.setHotkeys({ ...DEFAULT_SETTINGS.hotkeys, next: 'Ctrl+Alt+KeyN' });
    assert.equal(t.key('keyDown', 'PageDown', { control: true, alt: true }), false, 'the old binding is free again');
    assert.equal(t.key('keyDown', 'KeyN', { control: true, alt: true }), true);
    assert.deepEqual(t.fired, ['next']);
  });

  it('off while a field records a new hotkey (but a swallowed key-down still has its key-up swallowed)', () => {
    const t = setup();
    assert.equal(t.key('keyDown', 'Digit1', { control: true, alt: true }), true);
    t.filter.setCapturing(false);
    assert.equal(t.key('keyUp', 'Digit1', { control: true, alt: true }), true);
    assert.equal(t.key('keyDown', 'Digit3', { control: true, alt: true }), false);
    assert.equal(t.key('keyUp', 'Digit3'), false);
    t.filter.setCapturing(true);
    assert.equal(t.key('keyDown', 'Digit3', { control: true, alt: true }), true);
    assert.deepEqual(t.fired, ['slot1', 'slot3']);
  });

  it('leaves input-method composition alone, and ignores events that are not keys', () => {
    const t = setup();
    assert.equal(t.key('keyDown', 'Digit1', { control: true, alt: true, isComposing: true }), false);
    let prevented = false;
    t.filter.handle(
      { preventDefault: () => (prevented = true) },
      {
        type: 'mouseDown',
        code: '',
        control: true,
        alt: true,
        shift: false,
        meta: false,
        isAutoRepeat: false,
        isComposing: false,
      },
    );
    assert.equal(prevented, false);
    assert.deepEqual(t.fired, []);
  });
});
