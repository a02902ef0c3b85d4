/**
 * The main process's side of the preload's API. Every message is checked before anything else:
 * it must come from our window's main frame showing the app's own page (a frame that is not the
 * main frame, or shows anything but app://virtswitch/, is refused), and its input must pass a
 * schema. Commands then go to the app through one AppSession per page load (which validates
 * each command's parameters again); consoles go out over MessagePorts.
 */
import type { Duplex } from 'node:stream';
import * as z from 'zod';
import type {
  ApiErrorShape,
  AppEvent,
  AppState,
  GuestRef,
  HotkeyAction,
  LaunchOptions,
  MenuCommand,
} from '../../common/contract.js';
import { consoleRequest, describeIssues } from '../app/schemas.js';
import { ApiError } from '../../common/api-error.js';
import { isAppUrl } from './app-protocol.js';
import { CHANNELS, type AppMessage, type Outcome, type SaveStart } from '../../common/desktop-ipc.js';
import { isAbsolute } from 'node:path';
import { volumeRef } from '../app/storage-schemas.js';
import { relayConsole, type ConsoleRelay, type RelayPort } from './console-relay.js';

/** The parts of a WebFrameMain the sender check reads. */
export interface FrameLike {
  readonly url: string;
  readonly parent: unknown;
  readonly processId: number;
  readonly routingId: number;
  readonly detached?: boolean;
}

/** The parts of an IPC event (invoke or send) the sender check reads. */
export interface IpcEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: FrameLike | null;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the shape of Electron's own ipcMain */
export interface IpcMainLike {
  handle(channel: string, listener: (event: any, ...args: any[]) => unknown): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: any, ...args: any[]) => void): unknown;
  removeListener(channel: string, listener: (...args: any[]) => void): unknown;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The parts of the window's webContents this module uses. */
export interface ContentsLike {
  readonly id: number;
  readonly mainFrame: FrameLike;
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
  postMessage(channel: string, message: unknown, transfer?: unknown[]): void;
  setIgnoreMenuShortcuts(ignore: boolean): void;
}

export interface SessionLike {
  invoke(name: unknown, params: unknown): Promise<unknown>;
  openConsole(ref: unknown, kind: unknown): Promise<Duplex>;
  uploadFile(params: unknown, path: unknown): Promise<{ job: string }>;
  downloadToFile(ref: unknown, path: unknown): Promise<SaveStart>;
  close(): void;
}

export interface AppLike {
  session(): SessionLike;
  state(): AppState;
  on(event: 'event', listener: (e: AppEvent) => void): unknown;
  off(event: 'event', listener: (e: AppEvent) => void): unknown;
}

export interface DesktopIpcOptions {
  ipcMain: IpcMainLike;
  app: AppLike;
  contents: ContentsLike;
  launchOptions: LaunchOptions;
  /** A fresh pair of connected ports (new MessageChannelMain()): port1 stays, port2 goes to the page. */
  createChannel(): { port1: RelayPort; port2: unknown };
  /** How the console layer closes a channel and says why one ended (ConsoleManager). */
  consoles?: { closeChannel(stream: Duplex, why: string): void; reasonOf(stream: Duplex): string | undefined };
  /** Asks the user where to save `name` (a save dialog); undefined when they decline. */
  chooseSavePath?(name: string): Promise<string | undefined>;
  onActiveGuest?(guest: GuestRef | null, consoleFocused: boolean): void;
  onCaptureHotkeys?(on: boolean): void;
  log?(line: string): void;
}

/** Why an IPC message is refused, or undefined when it comes from our page's main frame. */
export function whyRefused(event: IpcEventLike, contents: Pick<ContentsLike, 'id' | 'mainFrame'>): string | undefined {
  if (event.sender.id !== contents.id) return 'not from the app window';
  const frame = event.senderFrame;
  if (!frame || frame.detached) return 'from a frame that is gone';
  const main = contents.mainFrame;
  if (frame.parent !== null || frame.processId !== main.processId || frame.routingId !== main.routingId)
    return 'not from the main frame';
  if (!isAppUrl(frame.url)) return "not from the app's own page";
  return undefined;
}

const invokeEnvelope = z.strictObject({ command: z.string().min(1).max(64), params: z.unknown() });
/** Console ids are made by the page (random UUIDs); they only pair a request with its port. */
const consoleEnvelope = consoleRequest.extend({ id: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'not a console id') });
const guestRef = consoleRequest.pick({ host: true, uuid: true });
const activeGuestMessage = z.strictObject({ guest: guestRef.nullable(), consoleFocused: z.boolean() });
/** The path comes from the preload, read from a File the user picked; the app checks it is that file. */
const uploadEnvelope = z.strictObject({
  params: z.unknown(),
  path: z
    .string()
    .min(2)
    .max(4096)
    .refine((p) => isAbsolute(p) && !p.includes('\0'), 'not a full path'),
});

function errorShape(e: unknown): ApiErrorShape {
  if (e instanceof ApiError) return e.toJSON();
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

const refusal = (why: string): Outcome<never> => ({
  ok: false,
  error: { code: 'access-denied', message: `refused: ${why}` },
});
const badInput = (what: string, why: string): Outcome<never> => ({
  ok: false,
  error: { code: 'invalid-input', message: `Bad ${what}: ${why}` },
});

export class DesktopIpc {
  /** One session for the window: its stats watch follows whatever the page last asked. */
  private readonly session: SessionLike;
  /** Set once the page first subscribes; a reloaded page subscribes again (see pageLeaving). */
  private subscribed = false;
  private readonly relays = new Set<ConsoleRelay>();
  private readonly onAppEvent = (event: AppEvent): void => {
    if (this.subscribed) this.toPage(CHANNELS.app, { type: 'event', event } satisfies AppMessage);
  };
  private readonly listeners: [string, (event: IpcEventLike, ...args: unknown[]) => void][] = [];
  private disposed = false;

  constructor(private readonly o: DesktopIpcOptions) {
    this.session = o.app.session();
    o.app.on('event', this.onAppEvent);
    this.handle(CHANNELS.invoke, (envelope) => this.invoke(envelope));
    this.handle(CHANNELS.subscribe, () => this.subscribe());
    this.handle(CHANNELS.openConsole, (request) => this.openConsole(request));
    this.handle(CHANNELS.uploadFile, (request) => this.uploadFile(request));
    this.handle(CHANNELS.saveVolume, (request) => this.saveVolume(request));
    this.handle(CHANNELS.launchOptions, async () => ({ ok: true, result: { ...o.launchOptions } }));
    this.listen(CHANNELS.activeGuest, (msg) => {
      const p = activeGuestMessage.safeParse(msg);
      if (!p.success) return this.log(`ignored ${CHANNELS.activeGuest}: ${describeIssues(p.error)}`);
      o.contents.setIgnoreMenuShortcuts(p.data.consoleFocused);
      o.onActiveGuest?.(p.data.guest, p.data.consoleFocused);
    });
    this.listen(CHANNELS.captureHotkeys, (on) => {
      if (typeof on !== 'boolean') return this.log(`ignored ${CHANNELS.captureHotkeys}: expected true or false`);
      o.onCaptureHotkeys?.(on);
    });
  }

  /** Tells the page a hotkey was pressed. */
  sendHotkey(action: HotkeyAction): void {
    this.toPage(CHANNELS.hotkey, action);
  }

  /** Tells the page the user picked something from the menu or the tray. */
  sendMenuCommand(command: MenuCommand): void {
    this.toPage(CHANNELS.menu, command);
  }

  /**
   * The page is about to be replaced (a reload): what it had set about the keyboard goes back to
   * the defaults until the new page says otherwise. Its subscription stays: the new page
   * subscribes again at once (and gets the whole state), and events sent between the two are
   * dropped by the preload, so no ordering of navigation and IPC can leave a page without
   * events. Its consoles end by themselves: the page's ports close with it.
   */
  pageLeaving(): void {
    if (!this.o.contents.isDestroyed()) this.o.contents.setIgnoreMenuShortcuts(false);
    this.o.onCaptureHotkeys?.(true);
  }

  /** The page's process ended (a crash): its consoles are closed here, should its ports not say so. */
  pageGone(why = "the page's process ended"): void {
    for (const r of [...this.relays]) r.close(why);
    this.pageLeaving();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.o.app.off('event', this.onAppEvent);
    for (const ch of Object.values(CHANNELS)) this.o.ipcMain.removeHandler(ch);
    for (const [ch, l] of this.listeners) this.o.ipcMain.removeListener(ch, l);
    for (const r of [...this.relays]) r.close('the window closed');
    this.session.close();
  }

  get openConsoles(): number {
    return this.relays.size;
  }

  private log(line: string): void {
    this.o.log?.(line);
  }

  private toPage(channel: string, payload: unknown): void {
    if (!this.o.contents.isDestroyed()) this.o.contents.send(channel, payload);
  }

  /** An invoke handler: sender checked, exactly one argument, then `run`. */
  private handle(channel: string, run: (arg: unknown) => Promise<Outcome<unknown>>): void {
    this.o.ipcMain.handle(channel, async (event: IpcEventLike, ...args: unknown[]) => {
      const why = whyRefused(event, this.o.contents);
      if (why) {
        this.log(`refused ${channel}: ${why}`);
        return refusal(why);
      }
      if (args.length > 1) return badInput('request', 'expected one argument');
      return run(args[0]);
    });
  }

  /** A send (one-way) listener: sender checked; a refused message is dropped. */
  private listen(channel: string, run: (arg: unknown) => void): void {
    const listener = (event: IpcEventLike, ...args: unknown[]): void => {
      const why = whyRefused(event, this.o.contents);
      if (why) return this.log(`refused ${channel}: ${why}`);
      if (args.length !== 1) return this.log(`ignored ${channel}: expected one argument`);
      run(args[0]);
    };
    this.o.ipcMain.on(channel, listener);
    this.listeners.push([channel, listener]);
  }

  private async invoke(envelope: unknown): Promise<Outcome<unknown>> {
    const p = invokeEnvelope.safeParse(envelope);
    if (!p.success) return badInput('command envelope', describeIssues(p.error));
    try {
      return { ok: true, result: (await this.session.invoke(p.data.command, p.data.params)) ?? null };
    } catch (e) {
      return { ok: false, error: errorShape(e) };
    }
  }

  private async uploadFile(request: unknown): Promise<Outcome<{ job: string }>> {
    const p = uploadEnvelope.safeParse(request);
    if (!p.success) return badInput('upload request', describeIssues(p.error));
    try {
      return { ok: true, result: await this.session.uploadFile(p.data.params, p.data.path) };
    } catch (e) {
      return { ok: false, error: errorShape(e) };
    }
  }

  /** The volume is checked (it exists on a known host) before the user is asked where it goes. */
  private async saveVolume(request: unknown): Promise<Outcome<SaveStart | null>> {
    const p = volumeRef.safeParse(request);
    if (!p.success) return badInput('volume', describeIssues(p.error));
    if (!this.o.chooseSavePath) return { ok: false, error: { code: 'unsupported', message: 'No save dialog here' } };
    try {
      const vols = (await this.session.invoke('storage.volumes', { host: p.data.host, pool: p.data.pool })) as {
        name: string;
      }[];
      if (!vols.some((v) => v.name === p.data.name))
        return badInput('volume', `there is no volume ${p.data.name} in pool ${p.data.pool}`);
      const path = await this.o.chooseSavePath(p.data.name);
      if (path === undefined) return { ok: true, result: null };
      return { ok: true, result: await this.session.downloadToFile(p.data, path) };
    } catch (e) {
      return { ok: false, error: errorShape(e) };
    }
  }

  private async subscribe(): Promise<Outcome<null>> {
    this.subscribed = true;
    // The state goes on the same channel as the events after it, so it arrives before them.
    this.toPage(CHANNELS.app, { type: 'state', state: this.o.app.state() } satisfies AppMessage);
    return { ok: true, result: null };
  }

  private async openConsole(request: unknown): Promise<Outcome<null>> {
    const p = consoleEnvelope.safeParse(request);
    if (!p.success) return badInput('console request', describeIssues(p.error));
    const { id, host, uuid, kind } = p.data;
    let stream: Duplex;
    try {
      stream = await this.session.openConsole({ host, uuid }, kind);
    } catch (e) {
      return { ok: false, error: errorShape(e) };
    }
    const closeStream = (s: Duplex, why: string): void =>
      this.o.consoles ? this.o.consoles.closeChannel(s, why) : void s.destroy();
    if (this.disposed || this.o.contents.isDestroyed()) {
      closeStream(stream, 'the window closed before the console opened');
      return refusal('the window closed');
    }
    // Should the page that asked have been replaced meanwhile, the new page does not know the
    // id, closes the port, and the relay closes the stream.
    const { port1, port2 } = this.o.createChannel();
    const relay = relayConsole(port1, stream, {
      closeStream,
      ...(this.o.consoles ? { reasonOf: (s: Duplex) => this.o.consoles?.reasonOf(s) } : {}),
      onDone: () => this.relays.delete(relay),
    });
    if (!relay.closed) this.relays.add(relay);
    this.o.contents.postMessage(CHANNELS.consolePort, { id }, [port2]);
    return { ok: true, result: null };
  }
}
