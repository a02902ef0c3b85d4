/**
 * The Bridge in the desktop app, over what the Electron preload exposes as
 * `window.virtswitchDesktop` (main/electron-preload/preload-api.ts): commands and events through named
 * IPC methods, and each console over a MessagePort of its own that the preload hands to this
 * page with window.postMessage. No network at all: the page's CSP has connect-src 'none'.
 *
 * The preload's API and the console wire are common/desktop-api.ts, shared with the
 * main process and the preload.
 */
import type {
  Bridge,
  CommandName,
  ConsoleChannel,
  ConsoleKind,
  GuestRef,
  HotkeyAction,
  LaunchOptions,
  JobInfo,
  MenuCommand,
  UploadParams,
  VolumeRef,
} from '../../../common/contract.js';
import { BridgeError } from '../../../common/bridge-error.js';
import { BaseBridge } from './base.js';
import { followJob } from './follow-job.js';
import {
  CONSOLE_SEND_WINDOW,
  DESKTOP_API_NAME,
  isConsoleControl,
  ownArrayBuffer,
  type AppMessage,
  type ConsoleControl,
  type DesktopApi,
  type Outcome,
} from '../../../common/desktop-api.js';

export { DESKTOP_API_NAME, type DesktopApi };

/** A failed command (the browser bridge reports the same class). */
export { BridgeError as ElectronBridgeError };

// ---- One console over a MessagePort -------------------------------------------------------

/** The most this page sends before the main process acknowledges it. */
export { CONSOLE_SEND_WINDOW };
/** Received bytes are acknowledged once this many have been taken, or at the end of the task. */
export const CONSOLE_ACK_EVERY = 64 << 10;

/** The parts of a DOM MessagePort the channel uses. */
export interface ConsolePort {
  onmessage: ((ev: MessageEvent) => void) | null;
  addEventListener(type: 'close', listener: () => void): void;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

/**
 * A console as a WebSocket-shaped channel (what noVNC and xterm.js read from): CONNECTING until
 * its port arrives, OPEN while bytes flow, CLOSED once either side ends, with the reason.
 */
export class ElectronConsoleChannel implements ConsoleChannel {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  /** Kept for noVNC's sake, which sets it; data always arrives as an ArrayBuffer, as the
   * Bridge's ConsoleChannel promises, whatever it says. */
  binaryType = 'arraybuffer';
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: ArrayBuffer | string }) => void) | null = null;
  onclose: ((ev: { code?: number; reason?: string; wasClean?: boolean }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  private state = 0;
  private port: ConsolePort | undefined;
  /** Sent and not yet acknowledged by the main process. */
  private inFlight = 0;
  /** Given to send() and waiting for room in the send window. */
  private queue: ArrayBuffer[] = [];
  private queued = 0;
  private toAck = 0;
  private ackScheduled = false;

  get readyState(): number {
    return this.state;
  }

  get protocol(): string {
    return '';
  }

  /** Bytes given to send() that the guest's side has not yet taken. */
  get bufferedAmount(): number {
    return this.inFlight + this.queued;
  }

  /** The port arrived: the channel opens (or, if closed meanwhile, the port is closed at once). */
  attach(port: ConsolePort): void {
    if (this.state !== ElectronConsoleChannel.CONNECTING) {
      port.postMessage({ t: 'close', code: 1000, reason: 'closed before it opened' } satisfies ConsoleControl);
      port.close();
      return;
    }
    this.port = port;
    port.onmessage = (ev) => {
      if (this.port === port) this.receive(ev.data);
    };
    // Electron's extension to MessagePort: 'close' when the other end is gone. A port this side
    // has already let go of (closing it ourselves) is not news.
    port.addEventListener('close', () => {
      if (this.port === port) this.finish(1006, 'the desktop app closed the console', false);
    });
    port.start();
    this.state = ElectronConsoleChannel.OPEN;
    this.onopen?.({ type: 'open' });
  }

  /** The console could not be opened: why, as a person reads it. */
  fail(message: string): void {
    if (this.state >= ElectronConsoleChannel.CLOSING) return;
    this.state = ElectronConsoleChannel.CLOSED;
    this.onerror?.({ type: 'error', message });
    this.onclose?.({ code: 1006, reason: message, wasClean: false });
  }

  send(data: ArrayBuffer | ArrayBufferView | string): void {
    if (this.state === ElectronConsoleChannel.CONNECTING)
      throw new DOMException('the console is still connecting', 'InvalidStateError');
    if (this.state !== ElectronConsoleChannel.OPEN) return;
    const buf = ownArrayBuffer(data);
    if (buf.byteLength === 0) return;
    this.queue.push(buf);
    this.queued += buf.byteLength;
    this.flush();
  }

  close(): void {
    if (this.state === ElectronConsoleChannel.CLOSING || this.state === ElectronConsoleChannel.CLOSED) return;
    this.state = ElectronConsoleChannel.CLOSING;
    this.dropPort({ t: 'close', code: 1000, reason: '' });
    // As a WebSocket does, the close event follows later, not within close().
    setTimeout(() => this.finish(1000, '', true), 0);
  }

  private flush(): void {
    while (this.port && this.queue.length && this.inFlight < CONSOLE_SEND_WINDOW) {
      const buf = this.queue.shift()!;
      this.queued -= buf.byteLength;
      this.inFlight += buf.byteLength;
      this.port.postMessage(buf);
    }
  }

  private receive(data: unknown): void {
    if (this.state !== ElectronConsoleChannel.OPEN) return;
    if (data instanceof ArrayBuffer) {
      try {
        this.onmessage?.({ data });
      } finally {
        // Taken, even if the reader threw: an unacknowledged window would stall the console.
        this.acknowledge(data.byteLength);
      }
      return;
    }
    if (!isConsoleControl(data)) return;
    if (data.t === 'ack') {
      this.inFlight = Math.max(0, this.inFlight - data.n);
      this.flush();
      return;
    }
    this.dropPort();
    this.finish(data.code, data.reason, true);
  }

  /** Lets go of the port (saying a last word on it, if any), so its own close is not news. */
  private dropPort(last?: ConsoleControl): void {
    const port = this.port;
    this.port = undefined;
    if (!port) return;
    port.onmessage = null;
    if (last) port.postMessage(last);
    port.close();
  }

  /** Acknowledges taken bytes in batches: each one costs an IPC message. */
  private acknowledge(n: number): void {
    this.toAck += n;
    if (this.toAck >= CONSOLE_ACK_EVERY) return this.sendAck();
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setTimeout(() => {
      this.ackScheduled = false;
      this.sendAck();
    }, 0);
  }

  private sendAck(): void {
    if (this.toAck === 0 || !this.port || this.state !== ElectronConsoleChannel.OPEN) return;
    this.port.postMessage({ t: 'ack', n: this.toAck } satisfies ConsoleControl);
    this.toAck = 0;
  }

  private finish(code: number, reason: string, wasClean: boolean): void {
    if (this.state === ElectronConsoleChannel.CLOSED) return;
    this.state = ElectronConsoleChannel.CLOSED;
    this.dropPort();
    this.queue = [];
    this.queued = 0;
    this.onclose?.({ code, reason, wasClean });
  }
}

// ---- The bridge ---------------------------------------------------------------------------

/** The window the bridge listens on for console ports (the page's own window). */
export interface PortWindow {
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}

function randomId(): string {
  return crypto.randomUUID();
}

/** The desktop's IPC link lasts as long as the page: this bridge never reports a connection change. */
export class ElectronBridge extends BaseBridge implements Bridge {
  readonly kind = 'electron' as const;
  private readonly waiting = new Map<string, ElectronConsoleChannel>();
  private subscribed = false;

  constructor(
    private readonly desktop: DesktopApi,
    private readonly win: PortWindow & object,
  ) {
    super();
    win.addEventListener('message', (ev) => this.onWindowMessage(ev));
  }

  /** A console's port from the preload: only from this window itself, only for an id we asked for. */
  private onWindowMessage(ev: MessageEvent): void {
    if (ev.source !== this.win) return;
    const data: unknown = ev.data;
    if (typeof data !== 'object' || data === null || (data as { virtswitch?: unknown }).virtswitch !== 'console-port')
      return;
    const id = (data as { id?: unknown }).id;
    const port = ev.ports[0];
    const channel = typeof id === 'string' ? this.waiting.get(id) : undefined;
    if (!channel || !port || ev.ports.length !== 1) {
      for (const p of ev.ports) p.close();
      return;
    }
    this.waiting.delete(id as string);
    channel.attach(port);
  }

  protected async send(command: CommandName, params: unknown): Promise<unknown> {
    let outcome: Outcome<unknown>;
    try {
      outcome = await this.desktop.invoke(command, params);
    } catch (e) {
      throw new BridgeError({ code: 'internal', message: e instanceof Error ? e.message : String(e) });
    }
    if (!outcome.ok) throw new BridgeError(outcome.error);
    return outcome.result;
  }

  /** The desktop's messages start flowing with the first subscriber. */
  override subscribe(...listener: Parameters<BaseBridge['subscribe']>): () => void {
    const unsubscribe = super.subscribe(...listener);
    if (!this.subscribed) {
      this.subscribed = true;
      this.desktop.subscribe((m) => this.onAppMessage(m));
    }
    return unsubscribe;
  }

  private onAppMessage(m: AppMessage): void {
    if (m.type === 'state') this.publishState(m.state);
    else this.publishEvent(m.event);
  }

  openConsole(ref: GuestRef, kind: ConsoleKind): ConsoleChannel {
    const id = randomId();
    const channel = new ElectronConsoleChannel();
    this.waiting.set(id, channel);
    const failed = (message: string): void => {
      this.waiting.delete(id);
      channel.fail(message);
    };
    this.desktop.openConsole(id, { host: ref.host, uuid: ref.uuid }, kind).then(
      (o) => {
        if (!o.ok) failed(o.error.message);
      },
      (e: unknown) => failed(e instanceof Error ? e.message : String(e)),
    );
    return channel;
  }

  launchOptions(): Promise<LaunchOptions> {
    return this.desktop.launchOptions();
  }

  onHotkey(cb: (action: HotkeyAction) => void): () => void {
    return this.desktop.onHotkey(cb);
  }

  onMenuCommand(cb: (command: MenuCommand) => void): () => void {
    return this.desktop.onMenuCommand(cb);
  }

  setActiveGuest(ref: GuestRef | null, consoleFocused: boolean): void {
    this.desktop.setActiveGuest(ref ? { host: ref.host, uuid: ref.uuid } : null, consoleFocused);
  }

  uploadVolume(params: UploadParams, file: Blob, onJob: (job: JobInfo) => void, signal?: AbortSignal): Promise<void> {
    const start = async (): Promise<string> => (await this.outcome(this.desktop.uploadFile(params, file))).job;
    const cancel = (job: string): Promise<unknown> => this.invoke('storage.uploadCancel', { job });
    return followJob(this, start, cancel, onJob, signal).then(() => undefined);
  }

  /** The main process asks where to save the volume, then writes it there. */
  downloadVolume(ref: VolumeRef, onJob: (job: JobInfo) => void, signal?: AbortSignal): Promise<boolean> {
    const start = async (): Promise<string | null> =>
      (await this.outcome(this.desktop.saveVolume({ host: ref.host, pool: ref.pool, name: ref.name })))?.job ?? null;
    const cancel = (job: string): Promise<unknown> => this.invoke('storage.downloadCancel', { job });
    return followJob(this, start, cancel, onJob, signal);
  }

  private async outcome<T>(call: Promise<Outcome<T>>): Promise<T> {
    let o: Outcome<T>;
    try {
      o = await call;
    } catch (e) {
      throw new BridgeError({ code: 'internal', message: e instanceof Error ? e.message : String(e) });
    }
    if (!o.ok) throw new BridgeError(o.error);
    return o.result;
  }

  /** Desktop only, beyond the Bridge contract: hotkeys off while a field records a new one. */
  captureHotkeys(on: boolean): void {
    this.desktop.captureHotkeys(on);
  }
}

function isDesktopApi(v: unknown): v is DesktopApi {
  if (typeof v !== 'object' || v === null) return false;
  const api = v as Record<string, unknown>;
  return [
    'invoke',
    'subscribe',
    'openConsole',
    'launchOptions',
    'onHotkey',
    'onMenuCommand',
    'setActiveGuest',
    'captureHotkeys',
  ].every((k) => typeof api[k] === 'function');
}

/** The desktop bridge when this page runs in the Electron shell; undefined anywhere else. */
export function electronBridge(): ElectronBridge | undefined {
  if (typeof window === 'undefined') return undefined;
  const api = (window as unknown as Record<string, unknown>)[DESKTOP_API_NAME];
  return isDesktopApi(api) ? new ElectronBridge(api, window) : undefined;
}
