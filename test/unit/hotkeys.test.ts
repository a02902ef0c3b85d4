import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../common/contract.js';
import {
  describeBinding,
  formatBinding,
  HotkeyMatcher,
  parseBinding,
  validateHotkeys,
  type KeyInput,
} from '../../common/hotkeys.js';

const key = (code: string, mods: Partial<KeyInput> = {}, type: 'keydown' | 'keyup' = 'keydown'): KeyInput => ({
  type,
  code,
  ctrlKey: false,
  altKey: false,
  shiftKey: false,
  metaKey: false,
  ...mods,
});

describe('hotkeys', () => {
  it('parses chords and double taps, and round-trips them', () => {
    assert.deepEqual(parseBinding('Ctrl+Alt+Digit1'), {
      ctrl: true,
      alt: true,
      shift: false,
      meta: false,
      code: 'Digit1',
      taps: 1,
    });
    assert.deepEqual(parseBinding('ScrollLock*2'), {
      ctrl: false,
      alt: false,
      shift: false,
      meta: false,
      code: 'ScrollLock',
      taps: 2,
    });
    for (const b of Object.values(DEFAULT_SETTINGS.hotkeys)) assert.equal(formatBinding(parseBinding(b)), b);
    assert.equal(describeBinding('Ctrl+Alt+Digit1'), 'Ctrl+Alt+1');
    assert.equal(describeBinding('ScrollLock*2'), 'Scroll Lock twice');
  });

  it('refuses bindings that would steal typing or name unknown keys', () => {
    assert.throws(() => parseBinding('KeyA'), /needs Ctrl, Alt or Meta/);
    assert.throws(() => parseBinding('Shift+KeyA'), /needs Ctrl/);
    assert.throws(() => parseBinding('Ctrl+Alt+Nope'), /unknown key/);
    assert.throws(() => parseBinding('Hyper+KeyA'), /unknown modifier/);
    assert.doesNotThrow(() => parseBinding('F12'));
  });

  it('matches on physical keys with exact modifiers', () => {
    const m = new HotkeyMatcher(DEFAULT_SETTINGS.hotkeys);
    assert.equal(m.match(key('Digit2', { ctrlKey: true, altKey: true }), 0), 'slot2');
    assert.equal(m.match(key('Digit2', { ctrlKey: true, altKey: true, shiftKey: true }), 0), undefined);
    assert.equal(m.match(key('Digit2', { ctrlKey: true }), 0), undefined);
    assert.equal(m.match(key('PageDown', { ctrlKey: true, altKey: true }), 0), 'next');
    assert.equal(m.match(key('Backquote', { ctrlKey: true, altKey: true }), 0), 'last');
    assert.equal(m.match(key('KeyF', { ctrlKey: true, altKey: true }), 0), 'fullscreen');
    // Key-ups are the caller's to pair with the key-downs it kept (see the keyboard router).
    assert.equal(m.isBound(key('Digit2', {}, 'keyup')), false);
    assert.equal(m.isBound(key('KeyA')), false);
    assert.equal(m.isBound(key('Digit2')), false);
  });

  it('opens the OSD on two ScrollLock presses within 500 ms, not on one or two slow ones', () => {
    const m = new HotkeyMatcher(DEFAULT_SETTINGS.hotkeys);
    assert.equal(m.match(key('ScrollLock'), 1000), undefined);
    assert.equal(m.match(key('ScrollLock'), 1400), 'osd');
    assert.equal(m.match(key('ScrollLock'), 3000), undefined);
    assert.equal(m.match(key('ScrollLock'), 3600), undefined);
    assert.equal(m.match(key('ScrollLock'), 3700), 'osd');
    assert.equal(m.match(key('ScrollLock', { repeat: true }), 3800), undefined);
    assert.equal(m.isBound(key('ScrollLock')), true);
  });

  it('validates a whole map: duplicates and bad bindings are named', () => {
    assert.equal(validateHotkeys(DEFAULT_SETTINGS.hotkeys), undefined);
    assert.match(
      validateHotkeys({ ...DEFAULT_SETTINGS.hotkeys, next: 'Ctrl+Alt+Digit1' }) ?? '',
      /next and slot1 are both bound|slot1 and next/,
    );
    assert.match(validateHotkeys({ ...DEFAULT_SETTINGS.hotkeys, next: 'KeyA' }) ?? '', /^next:/);
  });
});
