/** Which VM actions make sense in which state, and what they are called. Pure. */
import type { GuestAction, GuestInfo } from '../../../common/contract.js';

export const ACTION_LABELS: Record<GuestAction, string> = {
  start: 'Start',
  shutdown: 'Shut down',
  reboot: 'Reboot',
  reset: 'Reset',
  poweroff: 'Power off',
  pause: 'Pause',
  resume: 'Resume',
  save: 'Save',
  snapshot: 'Take snapshot of',
  delete: 'Delete',
};

/** Actions that cannot be undone ask first: each question says what the guest loses (unsaved work, or its definition). */
export const CONFIRM: Partial<
  Record<GuestAction, { question: (name: string) => string; detail: string; yes: string }>
> = {
  poweroff: {
    question: (n) => `Power off ${n}?`,
    detail:
      'Like pulling the plug: anything the guest has not saved is lost. Shut down asks the guest to stop cleanly instead.',
    yes: 'Power off',
  },
  reset: {
    question: (n) => `Reset ${n}?`,
    detail: 'Like pressing the reset button: the guest restarts at once and loses anything it has not saved.',
    yes: 'Reset',
  },
  delete: {
    question: (n) => `Delete ${n}?`,
    detail:
      "The guest's definition, its saved state and its snapshots go; its disk images stay on the host. A running guest is powered off first.",
    yes: 'Delete',
  },
};

/** Keyboard shortcuts on a focused guest card (Delete deletes); the console never sees them. */
export const ACTION_KEYS: Partial<Record<string, GuestAction>> = {
  s: 'start',
  d: 'shutdown',
  r: 'reboot',
  p: 'pause',
  u: 'resume',
  v: 'save',
  n: 'snapshot',
};

export function actionsFor(g: Pick<GuestInfo, 'state' | 'persistent'>): GuestAction[] {
  switch (g.state) {
    case 'shutoff':
    case 'crashed':
      return g.persistent ? ['start', 'snapshot', 'delete'] : ['start'];
    case 'running':
    case 'blocked':
      return ['pause', 'shutdown', 'reboot', 'reset', 'poweroff', 'save', 'snapshot'];
    case 'paused':
      return ['resume', 'reset', 'poweroff', 'save', 'snapshot'];
    case 'shutdown':
      return ['poweroff'];
    case 'pmsuspended':
      return ['poweroff', 'reset'];
    default:
      return ['poweroff'];
  }
}

/** The guest's state in a word or two for its badge: what it is busy with, else libvirt's state. */
export function stateLabel(g: Pick<GuestInfo, 'state' | 'busy' | 'managedSave'>, moving = false): string {
  // The move's own panel has the details (and the target); the badge stays short.
  if (moving) return 'moving…';
  return g.busy ?? (g.state === 'shutoff' && g.managedSave ? 'saved' : g.state === 'shutoff' ? 'off' : g.state);
}
