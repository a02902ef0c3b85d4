/**
 * Small fakes of the Electron APIs the desktop shell touches, for Node tests: a MessagePort pair
 * (main-process side with Node-style events, page side with DOM-style ones), ipcMain and
 * ipcRenderer, a webContents, frames and IPC events. Only what the shell uses, behaving as
 * Electron documents it: messages are structured-cloned and delivered in order, asynchronously;
 * a port's peer hears 'close' when it is closed.
 */
import { EventEmitter } from 'node:events';
import type { IpcRendererLike } from '../../main/electron-preload/preload-api.js';
import type { InputLike } from '../../main/electron/hotkey-filter.js';

type Deliver = (data: unknown) => void;

/** One direction of a channel: in order, a task later, cloned as postMessage clones. */
class Lane {
  private started = false;
  private held: unknown[] = [];
  receiver: Deliver = () => undefined;
  closed = false;

  post(message: unknown): void {
    if (this.closed) return;
    const data = structuredClone(message);
    setImmediate(() => {
      if (this.closed) return;
      if (this.started) this.receiver(data);
      else this.held.push(data);
    });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const held = this.held;
    this.held = [];
    for (const d of held) this.receiver(d);
  }
}

/** What both ends of a pair share: what they posted, and closing (which the pair tells the peer). */
abstract class FakePortEnd extends EventEmitter {
  posted: unknown[] = [];
  closed = false;
  constructor(
    private readonly out: Lane,
    protected readonly inbound: Lane,
    private readonly onClose: () => void,
  ) {
    super();
  }

  postMessage(message: unknown): void {
    this.posted.push(message);
    if (!this.closed) this.out.post(message);
  }

  start(): void {
    this.inbound.start();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}

/** The main process's end: like MessagePortMain (Node-style 'message' and 'close' events). */
export class FakeMainPort extends FakePortEnd {
  constructor(out: Lane, inbound: Lane, onClose: () => void) {
    super(out, inbound, onClose);
    inbound.receiver = (data) => this.emit('message', { data, ports: [] });
  }
}

/** The page's end: like a DOM MessagePort (onmessage starts it; Electron's 'close' event). */
export class FakePagePort extends FakePortEnd {
  private messageHandler: ((ev: MessageEvent) => void) | null = null;
  private readonly closeListeners: (() => void)[] = [];

  constructor(out: Lane, inbound: Lane, onClose: () => void) {
    super(out, inbound, onClose);
    inbound.receiver = (data) => this.messageHandler?.({ data } as MessageEvent);
  }

  get onmessage(): ((ev: MessageEvent) => void) | null {
    return this.messageHandler;
  }

  set onmessage(h: ((ev: MessageEvent) => void) | null) {
    this.messageHandler = h;
    if (h) this.inbound.start();
  }

  addEventListener(type: 'close', listener: () => void): void {
    if (type === 'close') this.closeListeners.push(listener);
  }

  /** @internal the other end closed. */
  peerClosed(): void {
    for (const l of this.closeListeners) l();
  }
}

/** A connected pair, as `new MessageChannelMain()` makes, with one end handed to the page. */
export function fakePortPair(): { main: FakeMainPort; page: FakePagePort } {
  const toPage = new Lane();
  const toMain = new Lane();
  // Closing either end: what was already posted still arrives, then the other end hears 'close'.
  const closeFromMain = (): void => {
    setImmediate(() => {
      toPage.closed = true;
      toMain.closed = true;
      page.peerClosed();
    });
  };
  const closeFromPage = (): void => {
    setImmediate(() => {
      toPage.closed = true;
      toMain.closed = true;
      main.emit('close');
    });
  };
  const main = new FakeMainPort(toPage, toMain, closeFromMain);
  const page = new FakePagePort(toMain, toPage, closeFromPage);
  return { main, page };
}

/** Lets pending port deliveries and zero-delay timers run (a few rounds of each). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < 10; j++) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** A key as Electron's before-input-event reports it (`key` as the page would see it): no modifiers unless given. */
export function keyInput(
  type: 'keyDown' | 'keyUp',
  code: string,
  mods: Partial<Pick<InputLike, 'control' | 'alt' | 'shift' | 'meta' | 'isAutoRepeat' | 'isComposing'>> & {
    key?: string;
  } = {},
): InputLike & { key: string } {
  return {
    type,
    code,
    key: code,
    control: false,
    alt: false,
    shift: false,
    meta: false,
    isAutoRepeat: false,
    isComposing: false,
    ...mods,
  };
}

// ---- IPC -----------------------------------------------------------------------------------

export interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
  processId: number;
  routingId: number;
  detached?: boolean;
}

export function mainFrame(url = 'app://virtswitch/index.html'): FakeFrame {
  return { url, parent: null, processId: 7, routingId: 1 };
}

export function subFrame(parent: FakeFrame, url = 'app://virtswitch/index.html'): FakeFrame {
  return { url, parent, processId: parent.processId, routingId: parent.routingId + 10 };
}

export interface FakeIpcEvent {
  sender: { id: number };
  senderFrame: FakeFrame | null;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- mirrors ipcMain's and ipcRenderer's loose signatures */
type IpcListener = (event: any, ...args: any[]) => void;

/** The listeners by channel that ipcMain and ipcRenderer both keep (on / removeListener). */
class ChannelListeners {
  readonly listeners = new Map<string, Set<IpcListener>>();

  on(channel: string, listener: IpcListener): this {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    return this;
  }

  removeListener(channel: string, listener: (...args: any[]) => void): this {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }

  protected deliver(channel: string, event: unknown, ...args: unknown[]): void {
    for (const l of this.listeners.get(channel) ?? []) l(event, ...args);
  }
}

export class FakeIpcMain extends ChannelListeners {
  readonly handlers = new Map<string, (event: any, ...args: any[]) => unknown>();

  handle(channel: string, listener: (event: any, ...args: any[]) => unknown): void {
    // As Electron does: a second handler for one channel is a programming error.
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  /** What ipcRenderer.invoke(channel, ...args) from `event`'s frame would get. */
  async invoke(channel: string, event: FakeIpcEvent, ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return h(event, ...args);
  }

  /** What ipcRenderer.send(channel, ...args) from `event`'s frame would do. */
  send(channel: string, event: FakeIpcEvent, ...args: unknown[]): void {
    this.deliver(channel, event, ...args);
  }
}

/** The preload's ipcRenderer: records invokes and sends; `fromMain` plays the main process sending. */
export class FakeIpcRenderer extends ChannelListeners implements IpcRendererLike {
  invoked: [string, unknown[]][] = [];
  sent: [string, unknown[]][] = [];
  answers = new Map<string, unknown>();

  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push([channel, args]);
    return this.answers.get(channel) ?? { ok: true, result: null };
  }

  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, args]);
  }

  /** Main sends on a channel: the listeners get an IPC event (with `sender`!) and the payload. */
  fromMain(channel: string, payload: unknown, ports: unknown[] = []): void {
    this.deliver(channel, { sender: { secret: 'the ipcRenderer itself' }, senderId: 0, ports }, payload);
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The window's webContents, recording what is sent to the page. */
export class FakeContents extends EventEmitter {
  readonly sent: [string, unknown][] = [];
  readonly posted: { channel: string; message: unknown; transfer: unknown[] }[] = [];
  ignoreMenuShortcuts = false;
  destroyed = false;
  constructor(
    readonly id: number,
    readonly mainFrame: FakeFrame,
  ) {
    super();
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, structuredClone(args[0])]);
  }

  postMessage(channel: string, message: unknown, transfer: unknown[] = []): void {
    this.posted.push({ channel, message: structuredClone(message), transfer });
  }

  setIgnoreMenuShortcuts(ignore: boolean): void {
    this.ignoreMenuShortcuts = ignore;
  }

  /** What was sent on one channel, in order. */
  sentOn(channel: string): unknown[] {
    return this.sent.filter(([c]) => c === channel).map(([, p]) => p);
  }
}
