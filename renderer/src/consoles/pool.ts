/**
 * Every running guest's screen, connected in the background (up to a limit, most recently used
 * first), so a switch changes which console shows instead of connecting one. A console whose
 * connection drops while its guest still runs reconnects by itself, with backoff; a guest that
 * stops loses its console; one that starts gets a new one. Consoles are keyed by the guest's
 * UUID: a guest that moves to another host keeps its console, which reconnects there.
 */
import type { Bridge, GuestInfo, Scaling } from '../../../common/contract.js';
import { isRunning } from '../../../common/guest-state.js';
import { backoffDelay, CONSOLE_RECONNECT } from '../../../common/backoff.js';
import type { HandoverTimes, ScreenConsole } from './screen-console.js';
import { SpiceConsole } from './spice-console.js';
import { VncConsole } from './vnc-console.js';

export interface PoolHooks {
  status(c: ScreenConsole): void;
  clipboard(c: ScreenConsole, text: string): void;
}

/** What tests and benchmarks read of each console from the page. */
export interface ConsoleDebugInfo {
  key: string;
  status: string;
  held: boolean;
  bytesIn: number;
  /** When its thumbnail last showed what the guest shows (performance.now()). */
  thumbAsOf: number;
  /** The host whose display it shows. */
  host: string;
  /** The old host's last picture stands in while the guest moves. */
  frozen: boolean;
  /** Timings of its last move between hosts. */
  handover: HandoverTimes | undefined;
}

/** Beyond this many, the least recently used running guests are not kept warm. */
export const WARM_LIMIT = 24;

export class ConsolePool {
  private readonly consoles = new Map<string, ScreenConsole>();
  private readonly retry = new Map<string, { attempt: number; timer: number | undefined }>();
  private wanted = new Set<string>();
  private activeKey: string | undefined;

  constructor(
    private readonly bridge: Bridge,
    private readonly stage: HTMLElement,
    private readonly hooks: PoolHooks,
    private readonly scalingFor: (key: string) => Scaling,
  ) {}

  get(key: string | undefined): ScreenConsole | undefined {
    return key ? this.consoles.get(key) : undefined;
  }

  all(): ScreenConsole[] {
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
      .filter((g) => (g.hasVnc || g.hasSpice) && (isRunning(g) || (moving.has(g.uuid) && this.consoles.has(g.uuid))))
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
      // VNC when the guest has it (noVNC does more than spice-html5), else its SPICE display.
      const kind = g.hasVnc ? 'vnc' : 'spice';
      const old = this.consoles.get(key);
      if (old?.kind === kind && (old.ref.host === g.host || old.retarget)) {
        this.follow(old, g, moving.has(key));
        continue;
      }
      if (old) {
        this.cancelRetry(key);
        old.dispose();
      }
      const Screen = kind === 'vnc' ? VncConsole : SpiceConsole;
      const c: ScreenConsole = new Screen(
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
  private follow(c: ScreenConsole, g: GuestInfo, moving: boolean): void {
    const wasMoving = !!c.moving;
    c.moving = moving;
    if (c.ref.host !== g.host) {
      this.cancelRetry(c.key);
      c.retarget?.({ host: g.host, uuid: g.uuid });
    } else if (moving && g.state === 'paused') {
      // Paused for the switch-over: its screen no longer changes and QEMU drops keys; keep them.
      c.freeze?.();
    } else if (wasMoving && !moving) {
      if (c.frozen && c.status === 'connected') c.unfreeze?.();
      else if (c.status === 'disconnected') this.scheduleReconnect(c);
    }
  }

  private onStatus(c: ScreenConsole): void {
    if (c.status === 'connected') this.retry.delete(c.key);
    // A moving guest's old display is not tried again: the console waits for the new host's.
    const retry = c.status === 'disconnected' && !c.moving && this.wanted.has(c.key);
    if (retry && this.consoles.get(c.key) === c) this.scheduleReconnect(c);
    this.hooks.status(c);
  }

  private scheduleReconnect(c: ScreenConsole): void {
    const r = this.retry.get(c.key) ?? { attempt: 0, timer: undefined };
    window.clearTimeout(r.timer);
    r.timer = window.setTimeout(
      () => {
        if (this.consoles.get(c.key) === c && this.wanted.has(c.key)) c.connect();
      },
      backoffDelay(CONSOLE_RECONNECT, r.attempt),
    );
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

  /** Lets every background console catch up once (for live thumbnails); returns those that did. */
  refreshBackground(): ScreenConsole[] {
    return this.all().filter((c) => c.key !== this.activeKey && c.refresh());
  }

  debugInfo(): ConsoleDebugInfo[] {
    return this.all().map((c) => ({
      key: c.key,
      status: c.status,
      held: c.isHeld,
      bytesIn: c.bytesIn,
      thumbAsOf: c.thumbnailAsOf,
      host: c.ref.host,
      frozen: !!c.frozen,
      handover: c.handoverTimes,
    }));
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
