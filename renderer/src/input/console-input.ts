/** Keys sent to a guest from the toolbar: a combination through libvirt, or text typed as key presses. */
import type { Bridge, GuestInfo } from '../../../common/contract.js';
import { typeText, type KeySink } from './paced-typing.js';

type Fail = (e: unknown, title?: string) => void;

export function sendKeysTo(bridge: Bridge, g: GuestInfo | undefined, keys: readonly string[], fail: Fail): void {
  if (!g) return;
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
