/**
 * The page's start, begun before the whole bundle has arrived and run (serve shell only): early.js
 * is a few KB and runs while app.js is still loading and being parsed. It opens the API socket and
 * keeps what the server sends; as soon as that says which guest the switcher will show first (the
 * same choice the switcher makes: initialGuest, the remembered guest else the first running one),
 * it opens that guest's console too. The bridge takes both over when it gets there
 * (BrowserBridge); a console nobody takes (the app chose another guest after all) is closed.
 *
 * Nothing here is trusted more than the bridge's own sockets: the same URLs, the same secret in
 * the same header, and the same server checks.
 */
import type { AppEvent, AppState } from '../../../common/contract.js';
import { DESKTOP_API_NAME } from '../../../common/desktop-api.js';
import { isRunning } from '../../../common/guest-state.js';
import { wsProtocols } from '../../../common/ws-secret.js';
import { Store } from '../state/store.js';
import { initialGuest, Switcher } from '../state/switcher.js';
import { EarlyChannel, type SocketLike } from './early-channel.js';

/** One message of the API channel, as the server sends it. */
export interface ApiMessage {
  type?: string;
  state?: AppState;
  event?: AppEvent;
  id?: number;
  result?: unknown;
  error?: { code: string; message: string; host?: string; guest?: string };
}

export function parseApiMessage(text: string): ApiMessage | undefined {
  try {
    const m: unknown = JSON.parse(text);
    return typeof m === 'object' && m !== null ? (m as ApiMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** `base` + `path` + the query (the bridge's and this module's sockets are named alike, so they match). */
export function channelUrl(base: string, path: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams(params).toString();
  return `${base}${path}${q ? `?${q}` : ''}`;
}

const TOKEN_KEY = 'virtswitch.token';

/**
 * The serve shell's secret: from the page's fragment (#token=…), which is then cleared so it does not
 * linger in the address bar or the history, and kept in sessionStorage for reloads.
 */
export function takeToken(loc: Location = location, store: Storage = sessionStorage): string | undefined {
  const m = /(?:^|[#&])token=([^&]+)/.exec(loc.hash);
  if (m) {
    const token = decodeURIComponent(m[1]!);
    store.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', loc.pathname + loc.search);
    return token;
  }
  return store.getItem(TOKEN_KEY) ?? undefined;
}

/** The API socket, with what it received before the bridge listened. */
export class EarlyApi {
  private readonly held: ApiMessage[] = [];
  private sink: ((m: ApiMessage) => void) | undefined;

  constructor(
    readonly ws: SocketLike,
    /** Sees each message kept (not those after drainTo). */
    private readonly watch: (m: ApiMessage) => void,
  ) {
    ws.onmessage = (ev) => {
      const m = parseApiMessage(String(ev.data));
      if (!m) return;
      if (this.sink) return this.sink(m);
      this.held.push(m);
      this.watch(m);
    };
  }

  /** From now on messages go to `sink`; the kept ones first, in order. */
  drainTo(sink: (m: ApiMessage) => void): void {
    this.sink = sink;
    for (const m of this.held.splice(0)) sink(m);
  }
}

export interface EarlyEnv {
  WebSocket: new (url: string, protocols: string[]) => SocketLike;
  /** ws://host:port or wss://… of the page. */
  base: string;
  token: string;
  /** The guest named in the page's URL (?domain=), as the browser bridge's launch options say. */
  domain?: string;
}

/** A socket still usable: connecting or open. */
const usable = (ws: { readyState: number }): boolean => ws.readyState <= 1;

export class EarlyStart {
  private api: EarlyApi | undefined;
  private console: { url: string; channel: EarlyChannel } | undefined;
  private readonly store = new Store();
  private chosen = false;

  constructor(private readonly env: EarlyEnv) {
    const ws = new env.WebSocket(channelUrl(env.base, '/api'), wsProtocols(env.token));
    this.api = new EarlyApi(ws, (m) => this.watch(m));
  }

  /** Follows the kept messages until the first guest is known, then opens its console. */
  private watch(m: ApiMessage): void {
    if (this.chosen) return;
    if (m.type === 'state' && m.state) this.store.applyState(m.state);
    else if (m.type === 'event' && m.event) this.store.applyEvent(m.event);
    else return;
    if (!this.store.loaded) return;
    const launch = {
      ...(this.env.domain ? { domain: this.env.domain } : {}),
      remembered: this.store.settings.lastActive,
    };
    const c = initialGuest(new Switcher(), this.store.ordered(), this.store.hosts, launch);
    if (!c) return;
    this.chosen = true;
    const g = this.store.guest(c.key);
    // As the console pool does: a running guest's VNC display (SPICE opens several channels later).
    if (!g || !isRunning(g) || !g.hasVnc) return;
    const url = channelUrl(this.env.base, '/console', { host: g.host, uuid: g.uuid, kind: 'vnc' });
    this.console = { url, channel: new EarlyChannel(new this.env.WebSocket(url, wsProtocols(this.env.token))) };
  }

  /** The API socket for the bridge that would open `url` with `token`; once. */
  takeApi(url: string, token: string): EarlyApi | undefined {
    const api = this.api;
    this.api = undefined;
    if (!api) return undefined;
    if (url === channelUrl(this.env.base, '/api') && token === this.env.token && usable(api.ws)) return api;
    api.ws.close();
    return undefined;
  }

  /** The console the bridge would open at `url` with `token`, if that is the one opened early; once. */
  takeConsole(url: string, token: string): EarlyChannel | undefined {
    const c = this.console;
    this.console = undefined;
    this.chosen = true;
    if (!c) return undefined;
    if (c.url === url && token === this.env.token && usable(c.channel)) return c.channel;
    // The app went for another guest (or it closed meanwhile): nobody will use this one.
    c.channel.close();
    return undefined;
  }
}

let started: EarlyStart | undefined;

/** Starts early when this is the serve shell's page with its secret (never in the desktop app). */
export function startEarly(): void {
  if (started || DESKTOP_API_NAME in window) return;
  const token = takeToken();
  if (!token) return;
  const domain = new URLSearchParams(location.search).get('domain');
  started = new EarlyStart({
    // The browser's handlers take its own Event types; this module reads only what SocketLike names.
    WebSocket: WebSocket as unknown as EarlyEnv['WebSocket'],
    base: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`,
    token,
    ...(domain ? { domain } : {}),
  });
}

export const takeEarlyApi = (url: string, token: string): EarlyApi | undefined => started?.takeApi(url, token);

export const takeEarlyConsole = (url: string, token: string): EarlyChannel | undefined =>
  started?.takeConsole(url, token);
