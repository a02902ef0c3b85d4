/**
 * The desktop shell's page-facing contract: what the Electron preload exposes to the page, and
 * the console wire over MessagePorts. Types, constants and the few pure checks both ends of the
 * wire (and of the launch options) run, shared by the main process, the preload and the
 * renderer, so each side states them once.
 */
import type {
  ApiErrorShape,
  AppEvent,
  AppState,
  ConsoleKind,
  GuestRef,
  HotkeyAction,
  LaunchOptions,
  MenuCommand,
  UploadParams,
  VolumeRef,
} from './contract.js';

/** How a request ends: the result, or the API's error in its wire shape (IPC would drop its fields). */
export type Outcome<T> = { ok: true; result: T } | { ok: false; error: ApiErrorShape };

/** What arrives on the `app` channel. */
export type AppMessage = { type: 'state'; state: AppState } | { type: 'event'; event: AppEvent };

/** What the preload posts to the page (window.postMessage) along with a console's port. */
export interface ConsolePortMessage {
  virtswitch: 'console-port';
  id: string;
}

/** The name under which the preload exposes the DesktopApi on the page's window. */
export const DESKTOP_API_NAME = 'virtswitchDesktop';

/**
 * The preload's API, exposed to the page through contextBridge: named methods that each do one
 * thing, never raw IPC, and callbacks that receive data only (never an IPC event object).
 */
export interface DesktopApi {
  invoke(command: string, params: unknown): Promise<Outcome<unknown>>;
  /** Calls back with the state, then with every event. Returns an unsubscribe. */
  subscribe(listener: (message: AppMessage) => void): () => void;
  /** Asks for a console; its port comes to the page as a window message carrying `id`. */
  openConsole(id: string, ref: GuestRef, kind: ConsoleKind): Promise<Outcome<null>>;
  launchOptions(): Promise<LaunchOptions>;
  onHotkey(listener: (action: HotkeyAction) => void): () => void;
  onMenuCommand(listener: (command: MenuCommand) => void): () => void;
  setActiveGuest(ref: GuestRef | null, consoleFocused: boolean): void;
  captureHotkeys(on: boolean): void;
  /**
   * Uploads a File the user picked into a new volume: the preload reads where it is on disk (the
   * page never names a path), the main process streams it; progress comes as job events.
   */
  uploadFile(params: UploadParams, file: Blob): Promise<Outcome<{ job: string }>>;
  /** Asks where to save a volume (a save dialog), then downloads it there; null when declined. */
  saveVolume(ref: VolumeRef): Promise<Outcome<SaveStart | null>>;
}

/** A download to a file the user chose: its job (progress comes as job events) and its size. */
export interface SaveStart {
  job: string;
  name: string;
  size: number;
}

/** Control messages of the console wire over a MessagePort; an ArrayBuffer is data. */
export type ConsoleControl = { t: 'ack'; n: number } | { t: 'close'; code: number; reason: string };

/** The most the page may have sent and not yet had acknowledged; it queues the rest itself. */
export const CONSOLE_SEND_WINDOW = 1 << 20;

/** Whether a message on the console wire is a well-formed control (anything else ends the channel). */
export function isConsoleControl(v: unknown): v is ConsoleControl {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  if (m.t === 'ack') return Number.isSafeInteger(m.n) && (m.n as number) > 0;
  if (m.t === 'close') return typeof m.code === 'number' && typeof m.reason === 'string';
  return false;
}

/**
 * The bytes of a message as an ArrayBuffer of their own, for the console wire: a view (a Node
 * Buffer is often one into a larger pooled buffer) would send its whole underlying buffer, bytes
 * that are not part of the message. A string goes as its UTF-8.
 */
export function ownArrayBuffer(data: ArrayBuffer | ArrayBufferView | string): ArrayBuffer {
  if (typeof data === 'string') return new TextEncoder().encode(data).buffer;
  if (data instanceof ArrayBuffer) return data.slice(0);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
}

/**
 * The guest a launch's `--domain` (or the browser's `?domain=`) names, as virt-viewer reads its
 * DOMAIN argument: a UUID (in any case), else a name, the first of that name in `orderedGuests`
 * (switcher order) when several hosts have one.
 */
export function resolveDomain<G extends { uuid: string; name: string }>(
  orderedGuests: readonly G[],
  domain: string,
): G | undefined {
  const d = domain.trim();
  return orderedGuests.find((g) => g.uuid.toLowerCase() === d.toLowerCase()) ?? orderedGuests.find((g) => g.name === d);
}
