/**
 * Every running guest's screen, connected in the background (up to a limit, most recently used
 * first), so a switch changes which console shows instead of connecting one. A console whose
 * connection drops while its guest still runs reconnects by itself, with backoff (except a SPICE
 * console another viewer took over: see after-drop.ts); a guest that
 * stops loses its console; one that starts gets a new one. Consoles are keyed by the guest's
 * UUID: a guest that moves to another host keeps its console, which reconnects there.
 */
import type { Bridge, GuestInfo, GuestRef, Scaling } from '../../../common/contract.js';
import { isRunning } from '../../../common/guest-state.js';
import { backoffDelay, CONSOLE_RECONNECT } from '../../../common/backoff.js';
import { afterDrop, SPICE_TAKEN_REASON } from './after-drop.js';
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
  /** Disconnected, not tried again until the user asks (see after-drop.ts). */
  waitsForUser: boolean;
  reason: string | undefined;
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
/** The last sync's arguments while the start-up console connects alone, and the timer that ends it. */
interface ActiveFirst {
  guests: readonly GuestInfo[];
  mru: readonly string[];
  moving: ReadonlySet<string>;
  timer?: number;
}

/** At start, the other consoles wait for the active one's first frame, but no longer than this. */
const ACTIVE_FIRST_MAX_MS = 1500;

export class ConsolePool {
  private readonly consoles = new Map<string, ScreenConsole>();
  private readonly retry = new Map<string, { attempt: number; timer: number | undefined }>();
  private wanted = new Set<string>();
  /** Consoles whose current session reached the guest's screen. */
  private readonly sessionUp = new Set<string>();
  private activeKey: string | undefined;
  /** Where the moving guests go (see sync). */
  private targets: ReadonlyMap<string, GuestRef> = new Map();
  /**
   * At start the active guest's console connects alone, and the others after its first frame
   * (or ACTIVE_FIRST_MAX_MS): they would compete with it for the server, the wire and this page.
   */
  private activeFirst: ActiveFirst | undefined = { guests: [], mru: [], moving: new Set() };

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
  sync(
    guests: readonly GuestInfo[],
    mru: readonly string[],
    moving: ReadonlySet<string> = new Set(),
    /** Where each moving guest goes, once the target host has it (its display listens there). */
    targets?: ReadonlyMap<string, GuestRef>,
  ): void {
    if (targets) this.targets = targets;
    const rank = new Map(mru.map((k, i) => [k, i]));
    const candidates = guests
      // A moving guest keeps its console even while the source says it stopped and the target is silent.
      .filter((g) => (g.hasVnc || g.hasSpice) && (isRunning(g) || (moving.has(g.uuid) && this.consoles.has(g.uuid))))
      .sort((a, b) => (rank.get(a.uuid) ?? 1e9) - (rank.get(b.uuid) ?? 1e9))
      .slice(0, WARM_LIMIT);
    this.wanted = new Set(candidates.map((g) => g.uuid));
    const alone = this.activeAlone(guests, mru, moving);
    for (const [key, c] of this.consoles) {
      if (!this.wanted.has(key)) {
        this.cancelRetry(key);
        this.sessionUp.delete(key);
        c.dispose();
        this.consoles.delete(key);
      }
    }
    for (const g of candidates) {
      const key = g.uuid;
      if (alone && key !== this.activeKey) continue;
      // VNC when the guest has it (noVNC does more than spice-html5), else its SPICE display.
      const kind = g.hasVnc ? 'vnc' : 'spice';
      const old = this.consoles.get(key);
      if (old?.kind === kind && (old.ref.host === g.host || old.retarget)) {
        this.follow(old, g, moving.has(key));
        old.prepare?.(moving.has(key) ? this.targets.get(key) : undefined);
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

  /** Whether only the active console may connect now (see activeFirst). */
  private activeAlone(guests: readonly GuestInfo[], mru: readonly string[], moving: ReadonlySet<string>): boolean {
    const first = this.activeFirst;
    if (!first) return false;
    first.guests = guests;
    first.mru = mru;
    first.moving = moving;
    if (!this.activeKey || !this.wanted.has(this.activeKey)) {
      // No active guest with a console (yet, or at all): nothing to wait for.
      if (this.wanted.size > 0) this.endActiveFirst();
      return this.activeFirst !== undefined;
    }
    first.timer ??= window.setTimeout(() => this.endActiveFirst(), ACTIVE_FIRST_MAX_MS);
    return true;
  }

  /** The others may connect now: once, at start. */
  private endActiveFirst(): void {
    const first = this.activeFirst;
    if (!first) return;
    this.activeFirst = undefined;
    window.clearTimeout(first.timer);
    if (first.timer !== undefined) this.sync(first.guests, first.mru, first.moving);
  }

  /** Ends activeFirst once `c`, the active console, has drawn its first frame (a message past the handshake). */
  private afterFirstFrame(c: ScreenConsole): void {
    const since = c.generation;
    const wait = (): void => {
      if (!this.activeFirst) return;
      if (c.generation !== since) requestAnimationFrame(() => this.endActiveFirst());
      else requestAnimationFrame(wait);
    };
    requestAnimationFrame(wait);
  }

  /** Keeps a console on its guest: to the new host when it moved, back to its own when a move ended. */
  private follow(c: ScreenConsole, g: GuestInfo, moving: boolean): void {
    const wasMoving = !!c.moving;
    c.moving = moving;
    // Not to a target still paused: QEMU would drop the keys kept for it.
    if (c.ref.host !== g.host && !(moving && g.state === 'paused')) {
      this.cancelRetry(c.key);
      c.retarget?.({ host: g.host, uuid: g.uuid });
    } else if (moving && g.state === 'paused') {
      // Paused for the switch-over: its screen no longer changes and QEMU drops keys; keep them.
      c.freeze?.();
    } else if (moving && this.targets.get(c.key)?.host !== c.ref.host) {
      // Running on the source, which will pause without notice: keys wait for the move's end.
      // Once the console is on the target the guest runs there, and keys go to it.
      c.holdKeys?.();
    } else if (wasMoving && !moving) {
      if (c.status === 'connected') c.unfreeze?.();
      else if (c.status === 'disconnected') this.scheduleReconnect(c);
    }
  }

  private onStatus(c: ScreenConsole): void {
    if (c.status === 'connected' && this.activeFirst && c.key === this.activeKey) this.afterFirstFrame(c);
    if (c.status === 'connected') this.retry.delete(c.key);
    if (c.status !== 'disconnected') c.waitsForUser = false;
    if (c.status === 'disconnected' && this.consoles.get(c.key) === c) this.afterDrop(c);
    if (c.status === 'connected') this.sessionUp.add(c.key);
    else this.sessionUp.delete(c.key);
    this.hooks.status(c);
  }

  /** A console's connection dropped: try again, wait for the user, or leave it (see after-drop.ts). */
  private afterDrop(c: ScreenConsole): void {
    const next = afterDrop({
      kind: c.kind,
      hadSession: this.sessionUp.has(c.key),
      wanted: this.wanted.has(c.key),
      moving: !!c.moving,
    });
    if (next === 'retry') this.scheduleReconnect(c);
    if (next !== 'wait-for-user') return;
    this.cancelRetry(c.key);
    c.waitsForUser = true;
    c.reason = SPICE_TAKEN_REASON;
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
    // A switch while the start-up console is still alone: the others are wanted now.
    if (this.activeFirst?.timer !== undefined && key !== this.activeKey) {
      this.activeKey = key;
      this.endActiveFirst();
    }
    this.activeKey = key;
    const next = this.get(key);
    if (old && old !== next) old.setActive(false, heldCodes);
    next?.setActive(true);
    // Switching to a SPICE console another viewer took is asking for it back.
    if (key && next && next !== old && next.waitsForUser) this.reconnect(key);
  }

  debugInfo(): ConsoleDebugInfo[] {
    return this.all().map((c) => ({
      key: c.key,
      status: c.status,
      held: c.isHeld,
      waitsForUser: !!c.waitsForUser,
      reason: c.reason,
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
