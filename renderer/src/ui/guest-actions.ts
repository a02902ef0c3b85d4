/** One guest action run from the toolbar, a card, a menu or a shortcut: ask first when it destroys, then do it. */
import type { Bridge, CommandName, GuestAction, GuestInfo } from '../../../common/contract.js';
import { ACTION_LABELS, CONFIRM } from './actions.js';
import { confirm } from './dialogs.js';
import { takeSnapshotDialog } from './panels.js';
import { openDelete } from './guest-life-hub.js';

/** The command behind each action that needs nothing but the guest. */
const ACTION_COMMANDS = {
  start: 'guest.start',
  shutdown: 'guest.shutdown',
  reboot: 'guest.reboot',
  reset: 'guest.reset',
  poweroff: 'guest.poweroff',
  pause: 'guest.pause',
  resume: 'guest.resume',
  save: 'guest.save',
} as const satisfies Record<Exclude<GuestAction, 'snapshot' | 'delete'>, CommandName>;

/**
 * Runs `action` on `g`, reporting a failure to `fail`. Resolves true once the command has been
 * sent and answered (whether it worked or not); false when the user said no, or when the action
 * opened a dialog instead (a snapshot asks for its name).
 */
export async function runGuestAction(
  bridge: Bridge,
  g: GuestInfo,
  action: GuestAction,
  fail: (e: unknown, title: string) => void,
): Promise<boolean> {
  const ref = { host: g.host, uuid: g.uuid };
  // Deleting asks which of the guest's disks go with it, in a dialog of its own.
  if (action === 'delete') return openDelete(g).then(() => false);
  const ask = CONFIRM[action];
  if (ask && !(await confirm(ask.question(g.name), ask.detail, ask.yes))) return false;
  if (action === 'snapshot') {
    takeSnapshotDialog(bridge, g, (e) => fail(e, `Couldn't take the snapshot`));
    return false;
  }
  try {
    await bridge.invoke(ACTION_COMMANDS[action], ref);
  } catch (e) {
    fail(e, `${ACTION_LABELS[action]} failed`);
  }
  return true;
}
