/** Keys sent to a guest from the toolbar: a combination through libvirt, or text typed as key presses. */
import type { Bridge, GuestInfo } from '../../../common/contract.js';
import type { ScreenConsole } from '../consoles/screen-console.js';
import { typePaced } from './paced-typing.js';
import { strokesFor } from './type-text.js';

type Fail = (e: unknown, title?: string) => void;

export function sendKeysTo(bridge: Bridge, g: GuestInfo | undefined, keys: readonly string[], fail: Fail): void {
  if (!g) return;
  bridge
    .invoke('guest.sendKeys', { host: g.host, uuid: g.uuid, keys: [...keys] })
    .catch((e: unknown) => fail(e, 'Could not send the keys'));
}

/** Types text into a console as key presses, paced so the guest's keyboard keeps up; none while view only. */
export function typeInto(
  c: ScreenConsole | undefined,
  text: string,
  viewOnly: boolean,
  fail: Fail,
): { skipped: string[] } {
  const { strokes, skipped } = strokesFor(text);
  if (!c) fail('The guest has no screen to type into');
  else if (viewOnly) fail('View only is on for this guest: it takes no input', 'Nothing typed');
  else {
    typePaced(c, strokes);
    c.focus();
  }
  return { skipped };
}
