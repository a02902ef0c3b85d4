/**
 * Small fakes of the Electron APIs the desktop shell touches, for Node tests: a MessagePort pair
 * (main-process side with Node-style events, page side with DOM-style ones), ipcMain and
 * ipcRenderer, a webContents, frames and IPC events. Only what the shell uses, behaving as
 * Electron documents it: messages are structured-cloned and delivered in order, asynchronously;
 * a port's peer hears 'close' when it is closed.
 */
import { EventEmitter } from 'node:events';

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

/** The main process's end: like MessagePortMain. */
export class FakeMainPort extends EventEmitter {
  posted: unknown[] = [];
  closed = false;
  constructor(
    private readonly out: Lane,
    private readonly inbound: Lane,
    private readonly onClose: () => void,
  ) {
    super();
    inbound.receiver = (data) => this.emit('message', { data, ports: [] });
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

/** The page's end: like a DOM MessagePort (onmessage starts it; Electron's 'close' event). */
export class FakePagePort {
  posted: unknown[] = [];
  closed = false;
  private messageHandler: ((ev: MessageEvent) => void) | null = null;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly out: Lane,
    private readonly inbound: Lane,
    private readonly onClose: () => void,
  ) {
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

/* eslint-disable @typescript-eslint/no-explicit-any -- mirrors ipcMain's loose signatures */
export class FakeIpcMain {
  readonly handlers = new Map<string, (event: any, ...args: any[]) => unknown>();
  readonly listeners = new Map<string, Set<(event: any, ...args: any[]) => void>>();

  handle(channel: string, listener: (event: any, ...args: any[]) => unknown): void {
    // As Electron does: a second handler for one channel is a programming error.
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  on(channel: string, listener: (event: any, ...args: any[]) => void): this {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    return this;
  }

  removeListener(channel: string, listener: (...args: any[]) => void): this {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }

  /** What ipcRenderer.invoke(channel, ...args) from `event`'s frame would get. */
  async invoke(channel: string, event: FakeIpcEvent, ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return h(event, ...args);
  }

  /** What ipcRenderer.send(channel, ...args) from `event`'s frame would do. */
  send(channel: string, event: FakeIpcEvent, ...args: unknown[]): void {
    for (const l of this.listeners.get(channel) ?? []) l(event, ...args);
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The window's webContents, recording what is sent to the page. */
export class FakeContents {
  readonly sent: [string, unknown][] = [];
  readonly posted: { channel: string; message: unknown; transfer: unknown[] }[] = [];
  ignoreMenuShortcuts = false;
  destroyed = false;
  constructor(
    readonly id: number,
    readonly mainFrame: FakeFrame,
  ) {}

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
  on(channel: string): unknown[] {
    return this.sent.filter(([c]) => c === channel).map(([, p]) => p);
  }
}

// ---- A whole (small) Electron, for the composition root ------------------------------------

/** An Electron event object: preventDefault() is remembered. */
export function fakeEvent<T extends object>(
  fields: T = {} as T,
): T & { preventDefault(): void; defaultPrevented: boolean } {
  const e = { ...fields, defaultPrevented: false, preventDefault: () => void (e.defaultPrevented = true) };
  return e;
}

export class FakeWindowContents extends EventEmitter {
  readonly id = 1;
  readonly mainFrame = mainFrame();
  readonly sent: [string, unknown][] = [];
  readonly posted: { channel: string; message: unknown; transfer: unknown[] }[] = [];
  ignoreMenuShortcuts = false;
  openHandler: ((d: { url: string }) => unknown) | undefined;
  reloads = 0;
  setWindowOpenHandler(h: (d: { url: string }) => unknown): void {
    this.openHandler = h;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, structuredClone(payload)]);
  }
  postMessage(channel: string, message: unknown, transfer: unknown[] = []): void {
    this.posted.push({ channel, message, transfer });
  }
  setIgnoreMenuShortcuts(b: boolean): void {
    this.ignoreMenuShortcuts = b;
  }
  isDestroyed(): boolean {
    return false;
  }
  reload(): void {
    this.reloads++;
  }
  focus(): void {}
}

/**
 * The parts of the `electron` module main.ts uses, recording what it is asked. `ready()` plays
 * the app becoming ready.
 */
export function createFakeElectron(o: { appData: string; lock?: boolean }) {
  const log: string[] = [];
  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));
  let isReady = false;
  const paths = new Map<string, string>([['appData', o.appData]]);
  const rec = {
    schemes: undefined as unknown,
    protocolHandlers: new Map<string, (r: Request) => Promise<Response>>(),
    permissionRequest: undefined as
      undefined | ((wc: unknown, p: string, cb: (ok: boolean) => void, d: { requestingUrl?: string }) => void),
    permissionCheck: undefined as undefined | ((wc: unknown, p: string, origin: string) => boolean),
    devicePermission: undefined as undefined | (() => boolean),
    spellChecker: undefined as boolean | undefined,
    blocked: undefined as
      | undefined
      | { filter: { urls: string[] }; listener: (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void },
    appMenu: undefined as undefined | { template: { label?: string }[] },
    trays: [] as FakeTray[],
    notifications: [] as FakeNotification[],
    lockData: undefined as unknown,
    exitCode: undefined as number | undefined,
    quits: 0,
  };

  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    getPath: (name: string) => paths.get(name) ?? `/fake/${name}`,
    setPath: (name: string, p: string) => {
      log.push(`setPath ${name}`);
      paths.set(name, p);
    },
    getVersion: () => '0.1.0',
    requestSingleInstanceLock: (data?: unknown) => {
      log.push('requestSingleInstanceLock');
      rec.lockData = data;
      return o.lock ?? true;
    },
    enableSandbox: () => void log.push('enableSandbox'),
    whenReady: () => readyPromise,
    exit: (code = 0) => {
      rec.exitCode = code;
      log.push(`exit ${code}`);
    },
    quit: () => {
      rec.quits++;
      log.push('quit');
    },
  });

  class FakeBrowserWindow extends EventEmitter {
    static all: FakeBrowserWindow[] = [];
    readonly webContents = new FakeWindowContents();
    loadedUrl: string | undefined;
    shown = 0;
    constructor(readonly options: Record<string, unknown>) {
      super();
      if (!isReady) throw new Error('a BrowserWindow before the app is ready');
      FakeBrowserWindow.all.push(this);
      app.emit('web-contents-created', fakeEvent(), this.webContents);
    }
    loadURL(url: string): Promise<void> {
      this.loadedUrl = url;
      return Promise.resolve();
    }
    isDestroyed(): boolean {
      return false;
    }
    isMinimized(): boolean {
      return false;
    }
    restore(): void {}
    show(): void {
      this.shown++;
    }
    focus(): void {}
  }

  class FakeTray extends EventEmitter {
    menu: unknown;
    tooltip: string | undefined;
    destroyed = false;
    constructor(readonly image: unknown) {
      super();
      rec.trays.push(this);
    }
    setContextMenu(m: unknown): void {
      this.menu = m;
    }
    setToolTip(t: string): void {
      this.tooltip = t;
    }
    destroy(): void {
      this.destroyed = true;
    }
  }

  class FakeNotification extends EventEmitter {
    shownCount = 0;
    static isSupported(): boolean {
      return true;
    }
    constructor(readonly options: { title: string; body: string }) {
      super();
      rec.notifications.push(this);
    }
    show(): void {
      this.shownCount++;
    }
  }

  class FakeMessageChannelMain {
    readonly port1: FakeMainPort;
    readonly port2: FakePagePort;
    constructor() {
      const { main, page } = fakePortPair();
      this.port1 = main;
      this.port2 = page;
    }
  }

  const electron = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: new FakeIpcMain(),
    Menu: {
      setApplicationMenu: (m: { template: { label?: string }[] }) => void (rec.appMenu = m),
      buildFromTemplate: (template: unknown[]) => ({ template }),
    },
    MessageChannelMain: FakeMessageChannelMain,
    nativeImage: {
      createFromBuffer: (b: Buffer) => ({ image: 'png', bytes: b.length }),
      createEmpty: () => ({ image: 'empty' }),
    },
    Notification: FakeNotification,
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) => {
        if (isReady) throw new Error('schemes must be registered before the app is ready');
        log.push('registerSchemesAsPrivileged');
        rec.schemes = schemes;
      },
      handle: (scheme: string, handler: (r: Request) => Promise<Response>) => {
        if (!isReady) throw new Error('protocol.handle before the app is ready');
        rec.protocolHandlers.set(scheme, handler);
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: typeof rec.permissionRequest) => void (rec.permissionRequest = h),
        setPermissionCheckHandler: (h: typeof rec.permissionCheck) => void (rec.permissionCheck = h),
        setDevicePermissionHandler: (h: typeof rec.devicePermission) => void (rec.devicePermission = h),
        setSpellCheckerEnabled: (b: boolean) => void (rec.spellChecker = b),
        webRequest: {
          onBeforeRequest: (
            filter: { urls: string[] },
            listener: (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void,
          ) => void (rec.blocked = { filter, listener }),
        },
      },
    },
    Tray: FakeTray,
  };

  return {
    electron,
    log,
    rec,
    windows: FakeBrowserWindow.all,
    ready: () => {
      isReady = true;
      readyResolve();
    },
  };
}
