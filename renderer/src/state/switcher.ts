/**
 * Which guest owns keyboard, video and mouse, and where the hotkeys go next. Pure: it knows the
 * order and the states, nothing of the DOM or the consoles.
 */
import { guestKey, type GuestInfo } from '../../../common/contract.js';
import { isRunning } from '../../../common/guest-state.js';

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
    if (remembered && order.some((g) => guestKey(g) === remembered)) return remembered;
    return order.find(isRunning) ? guestKey(order.find(isRunning)!) : order[0] ? guestKey(order[0]) : undefined;
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
    const running = order.filter(isRunning).map(guestKey);
    if (running.length === 0) return undefined;
    const all = order.map(guestKey);
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
    const exists = new Set(order.map(guestKey));
    return this.mru.slice(1).find((k) => exists.has(k));
  }

  /** The guest at slot n (1–9). */
  slot(order: readonly GuestInfo[], n: number): string | undefined {
    const g = order[n - 1];
    return n >= 1 && n <= 9 && g ? guestKey(g) : undefined;
  }
}
