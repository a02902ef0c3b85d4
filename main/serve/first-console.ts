/**
 * `/console?first=vnc[&domain=NAME]`: the console of the guest the switcher will show first, for a
 * page that asks before it knows the guests (renderer/src/bridge/early.ts). The guest is picked by
 * the page's own rule (common/first-guest.ts) from the app's state, once the hosts have listed
 * enough to know it.
 */
import type { App } from '../app/api.js';
import { ApiError } from '../../common/api-error.js';
import type { GuestInfo } from '../../common/contract.js';
import { FIRST_CONSOLE_PARAM } from '../../common/first-console.js';
import { firstVncGuest } from '../../common/first-guest.js';

/** Hosts still listing after this long: the page opens its console itself once it knows the guests. */
const WAIT_MS = 10_000;

export const asksForFirstConsole = (url: URL): boolean => url.searchParams.has(FIRST_CONSOLE_PARAM);

/** The guest, once known; an ApiError when there is none to show (or a page asked for another kind). */
export function firstConsoleGuest(app: App, url: URL, gone: () => boolean): Promise<GuestInfo> {
  const kind = url.searchParams.get(FIRST_CONSOLE_PARAM);
  if (kind !== 'vnc') return Promise.reject(new ApiError('invalid-input', 'the first console is a VNC display'));
  const domain = url.searchParams.get('domain') ?? undefined;
  return new Promise<GuestInfo>((resolve, reject) => {
    const settle = (): boolean => {
      const g = gone() ? null : firstVncGuest(app.state(), domain);
      if (g === undefined) return false;
      app.off('event', settle);
      clearTimeout(timer);
      if (g) resolve(g);
      else reject(new ApiError('no-such-guest', 'no running guest with a VNC display to show first'));
      return true;
    };
    const timer = setTimeout(() => {
      app.off('event', settle);
      reject(new ApiError('host-unavailable', 'the hosts are still listing their guests'));
    }, WAIT_MS);
    if (!settle()) app.on('event', settle);
  });
}
