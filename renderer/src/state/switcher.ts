/**
 * Which guest owns keyboard, video and mouse, and where the hotkeys go next. Guests are named by
 * UUID, so a guest that moves to another host stays the active one. Pure: it knows the order and
 * the states, nothing of the DOM or the consoles.
 */
import type { GuestInfo } from '../../../common/contract.js';
import { initialGuest, rememberedOrFirst } from '../../../common/first-guest.js';
import { isRunning } from '../../../common/guest-state.js';

const uuidOf = (g: GuestInfo): string => g.uuid;

export { isRunning };

export class Switcher {
  private active: string | undefined;
  /** Most recently used first (the active guest at index 0). */
  private mru: string[] = [];

  get activeKey(): string | undefined {
    return this.active;
  }

  /** Picks the guest to show at start: the remembered one if it still exists, else the first running one. */
  initial(order: readonly GuestInfo[], remembered: string | undefined): string | undefined {
    return rememberedOrFirst(order, remembered);
  }

  /** Makes `key` active; returns the previously active key (or undefined when nothing changed). */
  activate(key: string): { from: string | undefined } | undefined {
    if (key === this.active) return undefined;
    const from = this.active;
    this.active = key;
    this.mru = [key, ...this.mru.filter((k) => k !== key)];
    return { from };
  }

  /** Forgets a guest that no longer exists. */
  forget(key: string): void {
    this.mru = this.mru.filter((k) => k !== key);
    if (this.active === key) this.active = undefined;
  }

  /** Next (+1) or previous (-1) running guest in switcher order, wrapping around. */
  step(order: readonly GuestInfo[], dir: 1 | -1): string | undefined {
    const running = order.filter(isRunning).map(uuidOf);
    if (running.length === 0) return undefined;
    const all = order.map(uuidOf);
    const at = this.active ? all.indexOf(this.active) : -1;
    if (at < 0) return dir === 1 ? running[0] : running[running.length - 1];
    for (let i = 1; i <= all.length; i++) {
      const k = all[(at + dir * i + all.length * 2) % all.length]!;
      if (running.includes(k)) return k;
    }
    return undefined;
  }

  /** The guest used before the active one (back-to-last), if it still exists. */
  last(order: readonly GuestInfo[]): string | undefined {
    const exists = new Set(order.map(uuidOf));
    return this.mru.slice(1).find((k) => exists.has(k));
  }

  /** The guest at slot n (1–9). */
  slot(order: readonly GuestInfo[], n: number): string | undefined {
    const g = order[n - 1];
    return n >= 1 && n <= 9 && g ? uuidOf(g) : undefined;
  }
}

export { initialGuest };

/** The guests' keys with the active one first (the console pool connects in this order). */
export function activeFirst(ordered: readonly GuestInfo[], active: string | undefined): string[] {
  const keys = ordered.map(uuidOf);
  return active ? [active, ...keys.filter((k) => k !== active)] : keys;
}
