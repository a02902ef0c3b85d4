/** The renderer's copy of the app's state, kept current by the bridge's events. */
import {
  DEFAULT_SETTINGS,
  guestKey,
  type AppEvent,
  type AppState,
  type ConsoleState,
  type GuestInfo,
  type GuestStats,
  type HostInfo,
  type Settings,
} from '../../../common/contract.js';
import { switcherOrder } from '../../../common/order.js';

export type Change = 'hosts' | 'guests' | 'consoles' | 'settings' | 'stats' | 'connection';

/** Samples kept per guest for the small graphs. */
export const STATS_HISTORY = 60;

export class Store {
  hosts: HostInfo[] = [];
  readonly guests = new Map<string, GuestInfo>();
  readonly consoles = new Map<string, ConsoleState>();
  readonly stats = new Map<string, GuestStats[]>();
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

  applyState(s: AppState): void {
    this.hosts = s.hosts;
    this.guests.clear();
    for (const g of s.guests) this.guests.set(guestKey(g), g);
    this.consoles.clear();
    for (const c of s.consoles) this.consoles.set(`${c.kind}:${guestKey(c)}`, c);
    this.settings = s.settings;
    this.loaded = true;
    this.notify('hosts', 'guests', 'consoles', 'settings');
  }

  applyEvent(e: AppEvent): void {
    switch (e.type) {
      case 'host': {
        const i = this.hosts.findIndex((h) => h.uri === e.host.uri);
        this.hosts = i >= 0 ? this.hosts.map((h, j) => (j === i ? e.host : h)) : [...this.hosts, e.host];
        this.notify('hosts');
        return;
      }
      case 'host-removed':
        this.hosts = this.hosts.filter((h) => h.uri !== e.uri);
        for (const [k, g] of this.guests) if (g.host === e.uri) this.guests.delete(k);
        this.notify('hosts', 'guests');
        return;
      case 'guest':
        this.guests.set(guestKey(e.guest), e.guest);
        this.notify('guests');
        return;
      case 'guest-removed':
        this.guests.delete(guestKey(e));
        this.stats.delete(guestKey(e));
        this.notify('guests');
        return;
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
          const k = guestKey(s);
          const list = this.stats.get(k) ?? [];
          list.push(s);
          if (list.length > STATS_HISTORY) list.splice(0, list.length - STATS_HISTORY);
          this.stats.set(k, list);
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

  guest(key: string | undefined): GuestInfo | undefined {
    return key ? this.guests.get(key) : undefined;
  }

  scalingFor(key: string): Settings['defaultScaling'] {
    return this.settings.scaling[key] ?? this.settings.defaultScaling;
  }

  /** The guest's console shows but takes no input. */
  isViewOnly(key: string): boolean {
    return this.settings.viewOnly?.includes(key) ?? false;
  }
}
