import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterDrop, type DropFacts } from '../../renderer/src/consoles/after-drop.js';

const spiceUp: DropFacts = { kind: 'spice', hadSession: true, wanted: true, moving: false };

test('a SPICE console that had its session and lost it while the guest runs waits for the user', () => {
  assert.equal(afterDrop(spiceUp), 'wait-for-user');
});

test('a SPICE console that never got its session (display not up yet) keeps trying', () => {
  assert.equal(afterDrop({ ...spiceUp, hadSession: false }), 'retry');
});

test('a VNC console keeps reconnecting by itself, session or not (QEMU VNC shares its display)', () => {
  assert.equal(afterDrop({ ...spiceUp, kind: 'vnc' }), 'retry');
  assert.equal(afterDrop({ ...spiceUp, kind: 'vnc', hadSession: false }), 'retry');
});

test('a console whose guest stopped or is moving is not reconnected here', () => {
  for (const kind of ['vnc', 'spice'] as const) {
    assert.equal(afterDrop({ ...spiceUp, kind, wanted: false }), 'none');
    assert.equal(afterDrop({ ...spiceUp, kind, moving: true }), 'none');
  }
});
