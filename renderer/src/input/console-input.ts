/** Keys sent to a guest from the toolbar: a combination through libvirt, or text typed as key presses. */
import type { Bridge, GuestInfo } from '../../../common/contract.js';
import { typeText, type KeySink } from './paced-typing.js';
import { inputBlockedWhy } from '../ui/view-only.js';
import { typeTextDialog } from '../ui/panels.js';

type Fail = (e: unknown, title?: string) => void;

/** Keys through libvirt, unless the guest is view only (or not running): then why, in words. */
export function sendKeysTo(
  bridge: Bridge,
  g: GuestInfo | undefined,
  keys: readonly string[],
  viewOnly: boolean,
  fail: Fail,
): void {
  const no = inputBlockedWhy(g, viewOnly);
  if (no || !g) return fail(no, 'No keys sent');
  bridge
    .invoke('guest.sendKeys', { host: g.host, uuid: g.uuid, keys: [...keys] })
    .catch((e: unknown) => fail(e, 'Could not send the keys'));
}

/** Types text into a console as paced key presses; says so when the guest has no screen to type into. */
export function typeInto(
  c: (KeySink & { focus(): void }) | undefined,
  text: string,
  fail: Fail,
): { skipped: string[] } {
  const r = typeText(c, text);
  if (!r) fail('The guest has no screen to type into');
  return r ?? { skipped: [] };
}

/** The Type text dialog for the active guest, unless it takes no keys now (view only): then why, in words. */
export function openTypeText(
  g: GuestInfo,
  c: (KeySink & { focus(): void; pasteClipboard(text: string): void; readonly noClipboard?: string }) | undefined,
  viewOnly: boolean,
  fail: Fail,
): void {
  const no = inputBlockedWhy(g, viewOnly);
  if (no) return fail(no, 'Nothing typed');
  typeTextDialog(g, (text) => typeInto(c, text, fail), c);
}
