import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../common/contract.js';
import { settingsSchema } from '../../main/app/schemas.js';
import { guestClipboardAction } from '../../renderer/src/ui/clipboard-hint.js';

describe("the guest's clipboard reaches this computer's only by the user's choice", () => {
  it('is off by default: a guest clipboard becomes a hint, not a copy', () => {
    assert.equal(DEFAULT_SETTINGS.guestClipboardToHost, false);
    assert.equal(guestClipboardAction(DEFAULT_SETTINGS, true, true), 'hint');
  });

  it('copies at once only when the setting allows it, and only from the guest in front, with focus', () => {
    const on = { ...DEFAULT_SETTINGS, guestClipboardToHost: true };
    assert.equal(guestClipboardAction(on, true, true), 'copy');
    assert.equal(guestClipboardAction(on, false, true), 'ignore');
    assert.equal(guestClipboardAction(on, true, false), 'ignore');
    assert.equal(guestClipboardAction(DEFAULT_SETTINGS, false, true), 'ignore');
  });

  it('is a setting the app accepts and checks', () => {
    assert.equal(settingsSchema.parse({ ...DEFAULT_SETTINGS, guestClipboardToHost: true }).guestClipboardToHost, true);
    assert.throws(() => settingsSchema.parse({ ...DEFAULT_SETTINGS, guestClipboardToHost: 'yes' }));
  });
});
