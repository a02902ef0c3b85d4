/**
 * The page's start, begun before the whole bundle has arrived and run (serve shell only): early.js
 * is a few KB and runs while app.js is still loading and being parsed. It opens the API socket and
 * keeps what the server sends, and at the same moment the first guest's console: the page does not
 * know the guests yet, so it asks the server for the console of the guest the switcher will show
 * first (`/console?first=vnc`, with the page's ?domain=); the server picks it by the switcher's own
 * rule (common/first-guest.ts) and names it in the channel's first message. The bridge takes both
 * over when it gets there (BrowserBridge); a console nobody takes (the app chose another guest
 * after all) is closed.
 *
 * Nothing here is trusted more than the bridge's own sockets: the same secret in the same header,
 * and the same server checks.
 */
import type { AppEvent, AppState } from '../../../common/contract.js';
import { DESKTOP_API_NAME } from '../../../common/desktop-api.js';
import { FIRST_CONSOLE_PARAM, parseFirstConsoleName } from '../../../common/first-console.js';
import { wsProtocols } from '../../../common/ws-secret.js';
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

/** The secret in the page's fragment (#token=…), if there is one. */
function tokenInHash(loc: Location): string | undefined {
  const m = /(?:^|[#&])token=([^&]+)/.exec(loc.hash);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/** Keeps the fragment's secret in sessionStorage for reloads and clears it from the address bar and the history. */
function keepToken(token: string, loc: Location, store: Storage): void {
  store.setItem(TOKEN_KEY, token);
  history.replaceState(null, '', loc.pathname + loc.search);
}

/**
 * The serve shell's secret: from the page's fragment (#token=…), which is then cleared so it does not
 * linger in the address bar or the history, and kept in sessionStorage for reloads.
 */
export function takeToken(loc: Location = location, store: Storage = sessionStorage): string | undefined {
  const token = tokenInHash(loc);
  if (token) {
    keepToken(token, loc, store);
    return token;
  }
  return store.getItem(TOKEN_KEY) ?? undefined;
}

/** The API socket, with what it received before the bridge listened. */
export class EarlyApi {
  private readonly held: ApiMessage[] = [];
  private sink: ((m: ApiMessage) => void) | undefined;

  constructor(readonly ws: SocketLike) {
    ws.onmessage = (ev) => {
      const m = parseApiMessage(String(ev.data));
      if (!m) return;
      if (this.sink) return this.sink(m);
      this.held.push(m);
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

/** The first guest's console: its URL (as the bridge would open it) once the server has named the guest. */
interface FirstConsole {
  channel: EarlyChannel;
  url?: string | undefined;
  /** The URL it was handed over for. */
  taken?: string;
}

export class EarlyStart {
  private api: EarlyApi | undefined;
  private console: FirstConsole | undefined;

  constructor(private readonly env: EarlyEnv) {
    this.api = new EarlyApi(new env.WebSocket(channelUrl(env.base, '/api'), wsProtocols(env.token)));
    const query = { [FIRST_CONSOLE_PARAM]: 'vnc', ...(env.domain ? { domain: env.domain } : {}) };
    const ws = new env.WebSocket(channelUrl(env.base, '/console', query), wsProtocols(env.token));
    const first: FirstConsole = {
      channel: new EarlyChannel(ws, (text) => {
        const g = parseFirstConsoleName(text);
        // As the console pool names a running guest's VNC display.
        first.url = g && channelUrl(env.base, '/console', { host: g.host, uuid: g.uuid, kind: 'vnc' });
        // Taken before it was named, for a guest the server did not pick after all: its new owner sees it close.
        if (!first.url || (first.taken !== undefined && first.url !== first.taken)) first.channel.close();
      }),
    };
    this.console = first;
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

  /**
   * The console the bridge would open at `url` with `token`, if that is the one opened early; once.
   * Not named yet (its naming message still queued behind the bundle's start), it is handed over
   * all the same: the server picked by the same rule from the same guests, and on the rare
   * mismatch the naming closes it, which its new owner takes as a dropped connection.
   */
  takeConsole(url: string, token: string): EarlyChannel | undefined {
    const c = this.console;
    this.console = undefined;
    if (!c) return undefined;
    if (token === this.env.token && usable(c.channel) && (c.url === url || c.url === undefined)) {
      c.taken = url;
      return c.channel;
    }
    // The app went for another guest (or it closed meanwhile): nobody will use this one.
    c.channel.close();
    return undefined;
  }
}

let started: EarlyStart | undefined;

/** Starts early when this is the serve shell's page with its secret (never in the desktop app). */
export function startEarly(): void {
  if (started || DESKTOP_API_NAME in window) return;
  // The sockets first: the first touch of sessionStorage and history costs the page's start ~5-15 ms.
  const inHash = tokenInHash(location);
  const token = inHash ?? sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  if (!token) return;
  const domain = new URLSearchParams(location.search).get('domain');
  started = new EarlyStart({
    // The browser's handlers take its own Event types; this module reads only what SocketLike names.
    WebSocket: WebSocket as unknown as EarlyEnv['WebSocket'],
    base: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`,
    token,
    ...(domain ? { domain } : {}),
  });
  if (inHash) keepToken(inHash, location, sessionStorage);
}

export const takeEarlyApi = (url: string, token: string): EarlyApi | undefined => started?.takeApi(url, token);

export const takeEarlyConsole = (url: string, token: string): EarlyChannel | undefined =>
  started?.takeConsole(url, token);
