/**
 * The Bridge in a browser, over the serve shell: one WebSocket for the API (commands answered by
 * id, the state then every event pushed), one WebSocket per console. The secret arrives in the
 * page's fragment (#token=…); it is kept in sessionStorage and the fragment is cleared, so it
 * does not linger in the address bar or the history. WebSockets present it in the
 * Sec-WebSocket-Protocol header, never in their URL.
 */
import type {
  AppEvent,
  AppState,
  Bridge,
  CommandName,
  ConsoleChannel,
  ConsoleKind,
  GuestRef,
  JobInfo,
  LaunchOptions,
  UploadParams,
  VolumeRef,
} from '../../../common/contract.js';
import { uploadOverWebSocket } from './upload.js';
import { downloadOverWebSocket, pickSaveFile } from './download.js';
import { BridgeError } from '../../../common/bridge-error.js';
import { API_RECONNECT, backoffDelay } from '../../../common/backoff.js';
import { BaseBridge } from './base.js';
import { wsProtocols } from '../../../common/ws-secret.js';
import {
  channelUrl,
  parseApiMessage,
  takeEarlyApi,
  takeEarlyConsole,
  takeToken,
  type ApiMessage,
  type EarlyApi,
} from './early.js';

export { BridgeError, takeToken };

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class BrowserBridge extends BaseBridge implements Bridge {
  readonly kind = 'browser' as const;
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Failed connections in a row, for the backoff. */
  private failures = 0;
  /** Calls while the socket is (re)connecting wait here. */
  private queue: string[] = [];
  /** The socket early.ts opened, until the first subscriber is there to hear what it kept. */
  private early: EarlyApi | undefined;

  constructor(
    private readonly token: string,
    private readonly base: string = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`,
  ) {
    super();
    this.connect();
  }

  private url(path: string, params: Record<string, string> = {}): string {
    return channelUrl(this.base, path, params);
  }

  private connect(): void {
    const url = this.url('/api');
    // The first connection may have been opened already, while the bundle loaded (early.ts).
    const early = this.ws ? undefined : takeEarlyApi(url, this.token);
    const ws = early ? (early.ws as WebSocket) : new WebSocket(url, wsProtocols(this.token));
    this.ws = ws;
    this.early = early;
    const opened = (): void => {
      this.failures = 0;
      for (const m of this.queue) ws.send(m);
      this.queue = [];
      this.connectionChanged(true);
    };
    ws.onopen = opened;
    if (!early) ws.onmessage = (ev) => this.onMessage(String(ev.data));
    else if (ws.readyState === WebSocket.OPEN) opened();
    ws.onclose = (ev) => {
      for (const p of this.pending.values())
        p.reject(new BridgeError({ code: 'host-unavailable', message: 'Lost the connection to virtswitch' }));
      this.pending.clear();
      this.connectionChanged(
        false,
        ev.code === 1006 ? 'virtswitch is not reachable' : ev.reason || `closed (${ev.code})`,
      );
      // The server may be restarting: keep trying, a little slower each time.
      setTimeout(() => this.connect(), backoffDelay(API_RECONNECT, this.failures++));
    };
  }

  /** The kept messages of an early socket go out once someone listens (a late subscriber gets only the last state). */
  override subscribe(onState: (state: AppState) => void, onEvent: (event: AppEvent) => void): () => void {
    const off = super.subscribe(onState, onEvent);
    const early = this.early;
    this.early = undefined;
    early?.drainTo((m) => this.handle(m));
    return off;
  }

  private onMessage(text: string): void {
    const msg = parseApiMessage(text);
    if (msg) this.handle(msg);
  }

  private handle(msg: ApiMessage): void {
    if (msg.type === 'state' && msg.state) {
      this.publishState(msg.state);
    } else if (msg.type === 'event' && msg.event) {
      this.publishEvent(msg.event);
    } else if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new BridgeError(msg.error));
      else p.resolve(msg.result);
    }
  }

  protected send(command: CommandName, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    const text = JSON.stringify({ id, command, params });
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
      else this.queue.push(text);
    });
  }

  openConsole(ref: GuestRef, kind: ConsoleKind): ConsoleChannel {
    const url = this.url('/console', { host: ref.host, uuid: ref.uuid, kind });
    // The first guest's console may be open already (early.ts).
    const early = takeEarlyConsole(url, this.token);
    if (early) return early;
    const ws = new WebSocket(url, wsProtocols(this.token));
    ws.binaryType = 'arraybuffer';
    return ws as unknown as ConsoleChannel;
  }

  uploadVolume(params: UploadParams, file: Blob, onJob: (job: JobInfo) => void, signal?: AbortSignal): Promise<void> {
    return uploadOverWebSocket(
      this,
      (job) => new WebSocket(this.url('/upload', { job }), wsProtocols(this.token)),
      params,
      file,
      onJob,
      signal,
    );
  }

  /** Streams into a file the user picks where the browser allows that, else through memory. */
  async downloadVolume(ref: VolumeRef, onJob: (job: JobInfo) => void, signal?: AbortSignal): Promise<boolean> {
    const file = await pickSaveFile(ref.name);
    if (file === null) return false;
    const query = { host: ref.host, pool: ref.pool, name: ref.name };
    const socket = new WebSocket(this.url('/download', query), wsProtocols(this.token));
    return downloadOverWebSocket(socket, ref, onJob, signal, file);
  }

  async launchOptions(): Promise<LaunchOptions> {
    const q = new URLSearchParams(location.search);
    return { ...(q.get('domain') ? { domain: q.get('domain')! } : {}), fullscreen: false, kiosk: q.has('kiosk') };
  }
}

/** The browser bridge, when the page was opened with a secret; undefined otherwise. */
export function browserBridge(): BrowserBridge | undefined {
  const token = takeToken();
  return token ? new BrowserBridge(token) : undefined;
}
