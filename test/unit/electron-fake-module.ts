/**
 * A whole (small) `electron` module for the composition root (main/electron/main.ts): the parts
 * of app, BrowserWindow, session, protocol, Menu, Tray and Notification that main.ts uses,
 * recording what they are asked, and strict where Electron is (no window, protocol handler or
 * late scheme registration on the wrong side of ready).
 */
import { EventEmitter } from 'node:events';
import {
  FakeContents,
  FakeIpcMain,
  fakePortPair,
  mainFrame,
  type FakeMainPort,
  type FakePagePort,
} from './electron-fakes.js';

/** An Electron event object: preventDefault() is remembered. */
export function fakeEvent<T extends object>(
  fields: T = {} as T,
): T & { preventDefault(): void; defaultPrevented: boolean } {
  const e = { ...fields, defaultPrevented: false, preventDefault: () => void (e.defaultPrevented = true) };
  return e;
}

/** The window's webContents as main.ts sees it: also events, a window-open handler and reloads. */
export class FakeWindowContents extends FakeContents {
  openHandler: ((d: { url: string }) => unknown) | undefined;
  reloads = 0;
  constructor() {
    super(1, mainFrame());
  }
  setWindowOpenHandler(h: (d: { url: string }) => unknown): void {
    this.openHandler = h;
  }
  reload(): void {
    this.reloads++;
  }
  focus(): void {}
}

type PermissionRequest = (wc: unknown, p: string, cb: (ok: boolean) => void, d: { requestingUrl?: string }) => void;
type BlockedListener = (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void;

/** What the fake module was asked, for the tests to read. */
function freshRecord() {
  return {
    schemes: undefined as unknown,
    protocolHandlers: new Map<string, (r: Request) => Promise<Response>>(),
    permissionRequest: undefined as undefined | PermissionRequest,
    permissionCheck: undefined as undefined | ((wc: unknown, p: string, origin: string) => boolean),
    devicePermission: undefined as undefined | (() => boolean),
    spellChecker: undefined as boolean | undefined,
    blocked: undefined as undefined | { filter: { urls: string[] }; listener: BlockedListener },
    appMenu: undefined as undefined | { template: { label?: string }[] },
    trays: [] as FakeTray[],
    notifications: [] as FakeNotification[],
    lockData: undefined as unknown,
    exitCode: undefined as number | undefined,
    quits: 0,
    saveDialogs: [] as { title?: string; defaultPath?: string }[],
  };
}
type FakeRecord = ReturnType<typeof freshRecord>;

/** One fake module's shared state: the record, the call log, and whether the app is ready. */
interface World {
  rec: FakeRecord;
  log: string[];
  ready: boolean;
  app: EventEmitter;
  windows: FakeBrowserWindow[];
}

class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWindowContents();
  loadedUrl: string | undefined;
  shown = 0;
  constructor(
    world: World,
    readonly options: Record<string, unknown>,
  ) {
    super();
    if (!world.ready) throw new Error('a BrowserWindow before the app is ready');
    world.windows.push(this);
    world.app.emit('web-contents-created', fakeEvent(), this.webContents);
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

/** `app`: paths, the single-instance lock, the sandbox switch, readiness, exit and quit. */
function fakeApp(world: Omit<World, 'app'>, o: { appData: string; lock?: boolean }, readyPromise: Promise<void>) {
  const paths = new Map<string, string>([['appData', o.appData]]);
  const { rec, log } = world;
  return Object.assign(new EventEmitter(), {
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
}

/** `protocol` and `session.defaultSession`: what main.ts registers, recorded. */
function fakeProtocolAndSession(world: World) {
  const { rec, log } = world;
  const protocol = {
    registerSchemesAsPrivileged: (schemes: unknown) => {
      if (world.ready) throw new Error('schemes must be registered before the app is ready');
      log.push('registerSchemesAsPrivileged');
      rec.schemes = schemes;
    },
    handle: (scheme: string, handler: (r: Request) => Promise<Response>) => {
      if (!world.ready) throw new Error('protocol.handle before the app is ready');
      rec.protocolHandlers.set(scheme, handler);
    },
  };
  const defaultSession = {
    setPermissionRequestHandler: (h: FakeRecord['permissionRequest']) => void (rec.permissionRequest = h),
    setPermissionCheckHandler: (h: FakeRecord['permissionCheck']) => void (rec.permissionCheck = h),
    setDevicePermissionHandler: (h: FakeRecord['devicePermission']) => void (rec.devicePermission = h),
    setSpellCheckerEnabled: (b: boolean) => void (rec.spellChecker = b),
    webRequest: {
      onBeforeRequest: (filter: { urls: string[] }, listener: BlockedListener) =>
        void (rec.blocked = { filter, listener }),
    },
  };
  return { protocol, session: { defaultSession } };
}

/**
 * The parts of the `electron` module main.ts uses, recording what it is asked. `ready()` plays
 * the app becoming ready.
 */
export function createFakeElectron(o: { appData: string; lock?: boolean }) {
  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));
  const partial = { rec: freshRecord(), log: [] as string[], ready: false, windows: [] as FakeBrowserWindow[] };
  const world: World = Object.assign(partial, { app: fakeApp(partial, o, readyPromise) });
  const { rec } = world;
  const electron = {
    app: world.app as ReturnType<typeof fakeApp>,
    BrowserWindow: class extends FakeBrowserWindow {
      constructor(options: Record<string, unknown>) {
        super(world, options);
      }
    },
    ipcMain: new FakeIpcMain(),
    dialog: {
      /** The user declines every save dialog. */
      showSaveDialog: async (_win: unknown, options: { title?: string; defaultPath?: string }) => {
        rec.saveDialogs.push(options);
        return { canceled: true, filePath: '' };
      },
    },
    Menu: {
      setApplicationMenu: (m: { template: { label?: string }[] }) => void (rec.appMenu = m),
      buildFromTemplate: (template: unknown[]) => ({ template }),
    },
    MessageChannelMain: FakeMessageChannelMain,
    nativeImage: {
      createFromBuffer: (b: Buffer) => ({ image: 'png', bytes: b.length }),
      createEmpty: () => ({ image: 'empty' }),
    },
    Notification: class extends FakeNotification {
      constructor(options: { title: string; body: string }) {
        super(options);
        rec.notifications.push(this);
      }
    },
    ...fakeProtocolAndSession(world),
    Tray: class extends FakeTray {
      constructor(image: unknown) {
        super(image);
        rec.trays.push(this);
      }
    },
  };
  return {
    electron,
    log: world.log,
    rec,
    windows: world.windows,
    ready: () => {
      world.ready = true;
      readyResolve();
    },
  };
}
