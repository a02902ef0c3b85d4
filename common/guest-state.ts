/** What a guest's state means for what can be done with it. */
import type { GuestStateName } from './contract.js';

/** States in which the guest has a running QEMU process: it has consoles, it can be powered off. */
const RUNNING: ReadonlySet<GuestStateName> = new Set(['running', 'paused', 'blocked', 'pmsuspended', 'shutdown']);

export function isRunning(g: { state: GuestStateName }): boolean {
  return RUNNING.has(g.state);
}
