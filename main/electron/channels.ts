/**
 * What the main process and the preload say to each other: the IPC channel names and the shape
 * of the API the preload exposes to the page. Pure types and constants, bundled into both the
 * main process and the (sandboxed) preload. The page's half of this contract is restated in
 * renderer/src/bridge/electron.ts, which may import nothing from main/electron; a unit test
 * checks that the two agree.
 */
import type { ApiErrorShape, AppEvent, AppState, ConsoleKind, GuestRef, HotkeyAction, LaunchOptions, MenuCommand } from '../app/shared/contract.js';

/** Every channel carries the app's prefix, so a stray channel name can never be one of ours. */
export const CHANNELS = {
  /** page → main, invoke: one API command. */
  invoke: 'virtswitch:invoke',
  /** page → main, invoke: start sending the state, then every event, on `app`. */
  subscribe: 'virtswitch:subscribe',
  /** page → main, invoke: open a console; its port arrives on `consolePort`. */
  openConsole: 'virtswitch:open-console',
  /** page → main, invoke: the command line's launch options. */
  launchOptions: 'virtswitch:launch-options',
  /** page → main, send: which guest owns the keyboard now. */
  activeGuest: 'virtswitch:active-guest',
  /** page → main, send: hotkeys on or off (off while a field records a new hotkey). */
  captureHotkeys: 'virtswitch:capture-hotkeys',
  /** main → page: the state, then events. */
  app: 'virtswitch:app',
  /** main → page: a hotkey caught before the page could see it. */
  hotkey: 'virtswitch:hotkey',
  /** main → page: a pick from the menu or the tray. */
  menu: 'virtswitch:menu',
  /** main → page: a console's MessagePort, with the id the page asked with. */
  consolePort: 'virtswitch:console-port',
} as const;

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
}
