/**
 * What the main process and the preload say to each other: the IPC channel names and the shape
 * of the API the preload exposes to the page. Pure types and constants, bundled into both the
 * main process and the (sandboxed) preload. The page-facing half lives in common/desktop-api.ts,
 * which the renderer shares.
 */

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
  /** page → main, invoke: upload the file at a path the preload read from a picked File. */
  uploadFile: 'virtswitch:upload-file',
  /** page → main, invoke: ask where to save a volume, then download it there. */
  saveVolume: 'virtswitch:save-volume',
  /** main → page: the state, then events. */
  app: 'virtswitch:app',
  /** main → page: a hotkey caught before the page could see it. */
  hotkey: 'virtswitch:hotkey',
  /** main → page: a pick from the menu or the tray. */
  menu: 'virtswitch:menu',
  /** main → page: a console's MessagePort, with the id the page asked with. */
  consolePort: 'virtswitch:console-port',
} as const;

export {
  DESKTOP_API_NAME,
  type AppMessage,
  type ConsolePortMessage,
  type DesktopApi,
  type Outcome,
  type SaveStart,
} from './desktop-api.js';
