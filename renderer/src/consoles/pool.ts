/**
 * Every running guest's screen, connected in the background (up to a limit, most recently used
 * first), so a switch changes which console shows instead of connecting one. A console whose
 * connection drops while its guest still runs reconnects by itself, with backoff; a guest that
 * stops loses its console; one that starts gets a new one. Consoles are keyed by the guest's
 * UUID: a guest that moves to another host keeps its console, which reconnects there.
 */
import type { Bridge, GuestInfo, Scaling } from '../../../common/contract.js';
import { isRunning } from '../state/switcher.js';
import { backoffMs } from './backoff.js';
import { VncConsole } from './vnc-console.js';

export interface PoolHooks {
  status(c: VncConsole): void;
  clipboard(c: VncConsole, text: string): void;
}

/** Beyond this many, the least recently used running guests are not kept warm. */
export const WARM_LIMIT = 24;

export class ConsolePool {
  private readonly consoles = new Map<string, VncConsole>();
  private readonly retry = new Map<string, { attempt: number; timer: number | undefined }>();
  private wanted = new Set<string>();
  private activeKey: string | undefined;
  private refreshCursor = 0;

  constructor(
    private readonly bridge: Bridge,
    private readonly stage: HTMLElement,
    private readonly hooks: PoolHooks,
    private readonly scalingFor: (key: string) => Scaling,
  ) {}

  get(key: string | undefined): VncConsole | undefined {
    return key ? this.consoles.get(key) : undefined;
  }

  all(): VncConsole[] {
    return [...this.consoles.values()];
  }

  /**
   * Brings the consoles in line with the guests: one for each running guest with a display, on the
   * host where the guest is now. `moving` names the guests under way to another host.
   */
  sync(guests: readonly GuestInfo[], mru: readonly string[], moving: ReadonlySet<string> = new Set()): void {
    const rank = new Map(mru.map((k, i) => [k, i]));
    const candidates = guests
      // A moving guest keeps its console even while the source says it stopped and the target is silent.
      .filter((g) => g.hasVnc && (isRunning(g) || (moving.has(g.uuid) && this.consoles.has(g.uuid))))
      .sort((a, b) => (rank.get(a.uuid) ?? 1e9) - (rank.get(b.uuid) ?? 1e9))
      .slice(0, WARM_LIMIT);
    this.wanted = new Set(candidates.map((g) => g.uuid));
    for (const [key, c] of this.consoles) {
      if (!this.wanted.has(key)) {
        this.cancelRetry(key);
        c.dispose();
        this.consoles.delete(key);
      }
    }
    for (const g of candidates) {
      const key = g.uuid;
      const had = this.consoles.get(key);
      if (had) {
        this.follow(had, g, moving.has(key));
        continue;
      }
      const c = new VncConsole(
        { host: g.host, uuid: g.uuid },
        key,
        this.bridge,
        { status: (x) => this.onStatus(x), clipboard: (x, t) => this.hooks.clipboard(x, t) },
        this.scalingFor(key),
      );
      this.consoles.set(key, c);
      this.stage.append(c.element);
      if (key === this.activeKey) c.setActive(true);
      c.connect();
    }
  }

  /** Keeps a console on its guest: to the new host when it moved, back to its own when a move ended. */
  private follow(c: VncConsole, g: GuestInfo, moving: boolean): void {
    const wasMoving = c.moving;
    c.moving = moving;
    if (c.ref.host !== g.host) {
      this.cancelRetry(c.key);
      c.retarget({ host: g.host, uuid: g.uuid });
    } else if (moving && g.state === 'paused') {
      // Paused for the switch-over: its screen no longer changes and QEMU drops keys; keep them.
      c.freeze();
    } else if (wasMoving && !moving) {
      if (c.frozen && c.status === 'connected') c.unfreeze();
      else if (c.status === 'disconnected') this.scheduleReconnect(c);
    }
  }

  private onStatus(c: VncConsole): void {
    if (c.status === 'connected') this.retry.delete(c.key);
    // A moving guest's old display is not tried again: the console waits for the new host's.
    const retry = c.status === 'disconnected' && !c.moving && this.wanted.has(c.key);
    if (retry && this.consoles.get(c.key) === c) this.scheduleReconnect(c);
    this.hooks.status(c);
  }

  private scheduleReconnect(c: VncConsole): void {
    const r = this.retry.get(c.key) ?? { attempt: 0, timer: undefined };
    window.clearTimeout(r.timer);
    r.timer = window.setTimeout(() => {
      if (this.consoles.get(c.key) === c && this.wanted.has(c.key)) c.connect();
    }, backoffMs(r.attempt));
    r.attempt++;
    this.retry.set(c.key, r);
  }

  /** Reconnects now (the user asked), forgetting the backoff. */
  reconnect(key: string): void {
    this.cancelRetry(key);
    this.consoles.get(key)?.connect();
  }

  private cancelRetry(key: string): void {
    window.clearTimeout(this.retry.get(key)?.timer);
    this.retry.delete(key);
  }

  /** Moves keyboard, video and mouse to `key`'s console; the old one releases its keys first. */
  activate(key: string | undefined, heldCodes: readonly string[]): void {
    const old = this.get(this.activeKey);
    this.activeKey = key;
    const next = this.get(key);
    if (old && old !== next) old.setActive(false, heldCodes);
    next?.setActive(true);
  }

  /** Lets the next background console catch up once, round-robin (for live thumbnails). */
  refreshNextBackground(): VncConsole | undefined {
    const bg = this.all().filter((c) => c.key !== this.activeKey && c.status === 'connected');
    if (bg.length === 0) return undefined;
    const c = bg[this.refreshCursor++ % bg.length]!;
    c.refresh();
    return c;
  }

  setScaling(key: string, s: Scaling): void {
    this.consoles.get(key)?.setScaling(s);
  }

  dispose(): void {
    for (const key of this.retry.keys()) this.cancelRetry(key);
    for (const c of this.consoles.values()) c.dispose();
    this.consoles.clear();
  }
}
