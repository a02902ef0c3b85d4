/**
 * What keeps one client from wearing the serve shell down: a back-off for an address that keeps
 * presenting wrong secrets, and caps on open consoles per client address and per libvirt host.
 */

/** Wrong secrets an address may present in a row before it has to wait. */
export const FREE_FAILURES = 10;
const FIRST_WAIT_MS = 1_000;
const LONGEST_WAIT_MS = 5 * 60_000;
/** Addresses remembered at most; the oldest is forgotten first. */
const REMEMBERED = 4096;

export class SecretBackoff {
  private readonly byAddress = new Map<string, { failures: number; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** How long `address` must still wait before its secret is even looked at (0: not at all). */
  waitMs(address: string): number {
    const e = this.byAddress.get(address);
    return e ? Math.max(0, e.until - this.now()) : 0;
  }

  failed(address: string): void {
    const e = this.byAddress.get(address) ?? { failures: 0, until: 0 };
    this.byAddress.delete(address);
    e.failures++;
    const over = e.failures - FREE_FAILURES;
    if (over > 0) e.until = this.now() + Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(over - 1, 20));
    this.byAddress.set(address, e);
    if (this.byAddress.size > REMEMBERED) this.byAddress.delete(this.byAddress.keys().next().value!);
  }

  succeeded(address: string): void {
    this.byAddress.delete(address);
  }
}

export interface ConsoleLimits {
  /** Open consoles one client address may hold (a page holds one per guest it shows). */
  perClient: number;
  /** Open consoles on one libvirt host, over all clients. */
  perHost: number;
}

export const DEFAULT_CONSOLE_LIMITS: ConsoleLimits = { perClient: 32, perHost: 64 };

/** Counts open consoles; `take` says why one more is refused, or returns its release. */
export class ConsoleCounter {
  private readonly clients = new Map<string, number>();
  private readonly hosts = new Map<string, number>();

  constructor(private readonly limits: ConsoleLimits) {}

  take(client: string, host: string): { release: () => void } | { refused: string } {
    if ((this.clients.get(client) ?? 0) >= this.limits.perClient)
      return { refused: `too many consoles open from this client (at most ${this.limits.perClient})` };
    if ((this.hosts.get(host) ?? 0) >= this.limits.perHost)
      return { refused: `too many consoles open on this host (at most ${this.limits.perHost})` };
    const bump = (m: Map<string, number>, k: string, d: number): void => {
      const n = (m.get(k) ?? 0) + d;
      if (n > 0) m.set(k, n);
      else m.delete(k);
    };
    bump(this.clients, client, 1);
    bump(this.hosts, host, 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        bump(this.clients, client, -1);
        bump(this.hosts, host, -1);
      },
    };
  }
}
