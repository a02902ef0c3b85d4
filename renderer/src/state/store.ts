/**
 * The renderer's copy of the app's state, kept current by the bridge's events. A guest is known by
 * its UUID: the hosts report instances (one per host that knows the UUID), and the store keeps,
 * per UUID, the one where the guest is now, so everything keyed by it (slot, order, console,
 * thumbnail, stats) follows a guest that moves to another host.
 */
import {
  DEFAULT_SETTINGS,
  guestKey,
  type AppEvent,
  type AppState,
  type ConsoleState,
  type GuestInfo,
  type GuestRef,
  type GuestStats,
  type HostInfo,
  type MigrationProgress,
  type Settings,
} from '../../../common/contract.js';
import { orderKey, switcherOrder, whereItIs } from '../../../common/order.js';

export type Change = 'hosts' | 'guests' | 'consoles' | 'settings' | 'stats' | 'connection' | 'migrations';

/** Samples kept per guest for the small graphs. */
export const STATS_HISTORY = 60;

const UNDER_WAY = new Set<MigrationProgress['phase']>(['preparing', 'copying', 'post-copy']);

/** A move that has not ended, or ended well and the target has not reported the guest yet. */
export function stillMoving(m: MigrationProgress | undefined, hereNow: GuestInfo | undefined): boolean {
  if (!m) return false;
  return UNDER_WAY.has(m.phase) || (m.phase === 'done' && hereNow?.host !== m.target);
}

export class Store {
  hosts: HostInfo[] = [];
  /** Every instance the hosts report, by guestKey (uuid@host). */
  readonly instances = new Map<string, GuestInfo>();
  /** Each guest where it is now, by UUID. */
  readonly guests = new Map<string, GuestInfo>();
  readonly consoles = new Map<string, ConsoleState>();
  /** Recent stats by UUID (the history goes on across a move). */
  readonly stats = new Map<string, GuestStats[]>();
  /** The last progress of each guest's latest move, by UUID. */
  readonly migrations = new Map<string, MigrationProgress>();
  settings: Settings = DEFAULT_SETTINGS;
  /** The page's own link to the app (the serve shell's socket). */
  connected = true;
  connectionProblem: string | undefined;
  loaded = false;
  private orderCache: GuestInfo[] | undefined;
  private readonly listeners = new Set<(changes: ReadonlySet<Change>) => void>();

  subscribe(fn: (changes: ReadonlySet<Change>) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(...changes: Change[]): void {
    if (changes.includes('guests') || changes.includes('hosts') || changes.includes('settings'))
      this.orderCache = undefined;
    const set = new Set(changes);
    for (const l of this.listeners) l(set);
  }

  /** What the stage says when there is no guest to show for want of hosts, else undefined. */
  nothingToShow(): string | undefined {
    if (this.hosts.length === 0) return 'No hosts configured';
    return this.hosts.every((x) => x.status === 'connecting') ? 'Connecting…' : undefined;
  }

  /** Why the guest's screen can't be reached at all, when the app said so (its console is "unavailable"). */
  unavailableWhy(key: string): string | undefined {
    for (const kind of ['vnc', 'spice'] as const) {
      const c = this.consoles.get(`${kind}:${key}`);
      if (c?.status === 'unavailable') return c.reason ?? 'its display can’t be reached';
    }
    return undefined;
  }

  applyState(s: AppState): void {
    this.hosts = s.hosts;
    this.instances.clear();
    for (const g of s.guests) this.instances.set(guestKey(g), g);
    const previous = new Map(this.guests);
    this.guests.clear();
    for (const uuid of new Set(s.guests.map((g) => g.uuid))) this.resolve(uuid, previous.get(uuid));
    this.consoles.clear();
    for (const c of s.consoles) this.consoles.set(`${c.kind}:${guestKey(c)}`, c);
    this.settings = s.settings;
    this.loaded = true;
    this.notify('hosts', 'guests', 'consoles', 'settings');
  }

  /** Recomputes where the guest `uuid` is; keeps what was known while it moves and no host reports it. */
  private resolve(uuid: string, was: GuestInfo | undefined = this.guests.get(uuid)): void {
    const mine = [...this.instances.values()].filter((g) => g.uuid === uuid);
    const now = whereItIs(mine, this.hosts, was?.host);
    if (now) this.guests.set(uuid, now);
    else if (was && stillMoving(this.migrations.get(uuid), undefined)) this.guests.set(uuid, was);
    else {
      this.guests.delete(uuid);
      this.stats.delete(uuid);
    }
  }

  applyEvent(e: AppEvent): void {
    switch (e.type) {
      case 'host': {
        const i = this.hosts.findIndex((h) => h.uri === e.host.uri);
        this.hosts = i >= 0 ? this.hosts.map((h, j) => (j === i ? e.host : h)) : [...this.hosts, e.host];
        this.notify('hosts');
        return;
      }
      case 'host-removed': {
        this.hosts = this.hosts.filter((h) => h.uri !== e.uri);
        const gone = [...this.instances.values()].filter((g) => g.host === e.uri);
        for (const g of gone) this.instances.delete(guestKey(g));
        for (const uuid of new Set(gone.map((g) => g.uuid))) this.resolve(uuid);
        this.notify('hosts', 'guests');
        return;
      }
      case 'guest':
        this.instances.set(guestKey(e.guest), e.guest);
        this.resolve(e.guest.uuid);
        this.notify('guests');
        return;
      case 'guest-removed':
        this.instances.delete(guestKey(e));
        this.resolve(e.uuid);
        this.notify('guests');
        return;
      case 'migration':
        this.applyMigration(e.migration);
        return;
      case 'job':
        // Storage jobs (uploads, clones) are followed by the dialogs that started them.
        return;
      default:
        this.applyOther(e);
    }
  }

  private applyMigration(m: MigrationProgress): void {
    this.migrations.set(m.uuid, m);
    // A move that ended badly lets go of a guest kept only because it was moving.
    if (!stillMoving(m, undefined)) this.resolve(m.uuid);
    this.notify('migrations', 'guests');
  }

  private applyOther(e: Extract<AppEvent, { type: 'console' | 'settings' | 'stats' }>): void {
    switch (e.type) {
      case 'console':
        this.consoles.set(`${e.console.kind}:${guestKey(e.console)}`, e.console);
        this.notify('consoles');
        return;
      case 'settings':
        this.settings = e.settings;
        this.notify('settings');
        return;
      case 'stats':
        for (const s of e.stats) {
          // Only the host the guest is on speaks for it.
          if (this.guests.get(s.uuid)?.host !== s.host) continue;
          const list = this.stats.get(s.uuid) ?? [];
          list.push(s);
          if (list.length > STATS_HISTORY) list.splice(0, list.length - STATS_HISTORY);
          this.stats.set(s.uuid, list);
        }
        this.notify('stats');
        return;
    }
  }

  setConnection(connected: boolean, problem?: string): void {
    this.connected = connected;
    this.connectionProblem = problem;
    this.notify('connection');
  }

  /** Guests in switcher order (hosts in order added, by name, then the user's order). */
  ordered(): GuestInfo[] {
    this.orderCache ??= switcherOrder(this.hosts, [...this.guests.values()], this.settings.order);
    return this.orderCache;
  }

  /** A guest by UUID, where it is now. */
  guest(uuid: string | undefined): GuestInfo | undefined {
    return uuid ? this.guests.get(uuid) : undefined;
  }

  /** The guest's move, while it moves (and until the target has it). */
  moving(uuid: string | undefined): MigrationProgress | undefined {
    const m = uuid ? this.migrations.get(uuid) : undefined;
    return m && stillMoving(m, this.guest(uuid)) ? m : undefined;
  }

  /**
   * Where each guest under way goes, once the target host reports it: libvirt starts it there
   * (paused, its display already listening) when the move is prepared.
   */
  moveTargets(): Map<string, GuestRef> {
    const out = new Map<string, GuestRef>();
    for (const [uuid, m] of this.migrations) {
      if (!UNDER_WAY.has(m.phase)) continue;
      const there = this.instances.get(guestKey({ host: m.target, uuid }));
      if (there?.hasVnc) out.set(uuid, { host: m.target, uuid });
    }
    return out;
  }

  /** The UUIDs of the guests moving now. */
  movingNow(): Set<string> {
    return new Set([...this.guests.keys()].filter((uuid) => this.moving(uuid)));
  }

  /** The guest's scaling: set by UUID, or by `uuid@host` in older settings. */
  scalingFor(uuid: string): Settings['defaultScaling'] {
    const s = this.settings.scaling;
    const legacy = Object.keys(s).find((k) => k !== uuid && orderKey(k) === uuid);
    return s[uuid] ?? (legacy ? s[legacy] : undefined) ?? this.settings.defaultScaling;
  }

  /** The user's saved order as UUIDs (older `uuid@host` entries read as their UUID). */
  savedOrder(): string[] {
    return [...new Set(this.settings.order.map(orderKey))];
  }

  /** The guest's console shows but takes no input. */
  isViewOnly(uuid: string): boolean {
    return this.settings.viewOnly?.includes(uuid) ?? false;
  }
}
