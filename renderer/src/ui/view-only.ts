/** Why a guest takes no keys from virtswitch now, in words; undefined when it does. Pure. */
import type { GuestInfo } from '../../../common/contract.js';

export const VIEW_ONLY_WHY =
  'View only is on for this guest: virtswitch sends it no keys. Turn View only off in Details to type or send keys.';

export function inputBlockedWhy(g: GuestInfo | undefined, viewOnly: boolean): string | undefined {
  if (!g) return 'No guest is selected.';
  if (viewOnly) return VIEW_ONLY_WHY;
  if (g.state !== 'running' && g.state !== 'blocked') return `${g.name} is not running.`;
  if (!g.hasVnc && !g.hasSpice) return `${g.name} has no screen to type into.`;
  return undefined;
}
