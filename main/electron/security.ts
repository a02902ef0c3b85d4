/**
 * The window's security settings and the guards around it, as data and plain functions so they
 * can be checked without Electron: web preferences, navigation and window-opening refusals,
 * permission decisions, and which network requests the page may make (none).
 */
import type {
  BrowserWindowConstructorOptions,
  HandlerDetails,
  WebPreferences,
  WindowOpenHandlerResponse,
} from 'electron';
import { isAppUrl } from './app-protocol.js';

/**
 * The renderer's web preferences, every security-relevant one stated even where it is Electron's
 * default, so a change of default can never loosen them.
 */
export function webPreferences(preloadPath: string, opts: { devTools: boolean }): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webviewTag: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    // The spell checker would fetch dictionaries from the network; there is nothing to check.
    spellcheck: false,
    devTools: opts.devTools,
  };
}

export interface WindowChoices {
  preloadPath: string;
  devTools: boolean;
  fullscreen: boolean;
  kiosk: boolean;
  icon?: BrowserWindowConstructorOptions['icon'];
}

export function windowOptions(c: WindowChoices): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 640,
    minHeight: 400,
    title: 'virtswitch',
    backgroundColor: '#16181d',
    // Shown once the page has painted, so the user never sees a blank white window.
    show: false,
    fullscreen: c.fullscreen || c.kiosk,
    kiosk: c.kiosk,
    autoHideMenuBar: c.kiosk,
    ...(c.icon ? { icon: c.icon } : {}),
    webPreferences: webPreferences(c.preloadPath, { devTools: c.devTools }),
  };
}

/** Navigation is allowed only within the app's own pages (a reload, the app's entry). */
export function allowNavigation(url: string): boolean {
  return isAppUrl(url);
}

/** The page never opens windows: links to elsewhere are refused, not handed to a browser. */
export function windowOpenHandler(_details: HandlerDetails): WindowOpenHandlerResponse {
  return { action: 'deny' };
}

/** The parts of webContents the guards attach to. */
export interface GuardedContents {
  on(event: 'will-navigate', listener: (e: { url: string; preventDefault(): void }) => void): unknown;
  on(event: 'will-frame-navigate', listener: (e: { url: string; preventDefault(): void }) => void): unknown;
  on(event: 'will-redirect', listener: (e: { url: string; preventDefault(): void }) => void): unknown;
  on(event: 'will-attach-webview', listener: (e: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void;
}

/**
 * Refuses every navigation away from the app (top frame or any frame, including redirects),
 * every <webview>, and every new window. `log` hears what was refused.
 */
export function guardContents(contents: GuardedContents, log: (line: string) => void = () => undefined): void {
  const refuseAway = (what: string) => (e: { url: string; preventDefault(): void }) => {
    if (allowNavigation(e.url)) return;
    e.preventDefault();
    log(`refused ${what} to ${e.url.slice(0, 200)}`);
  };
  contents.on('will-navigate', refuseAway('navigation'));
  contents.on('will-frame-navigate', refuseAway('frame navigation'));
  contents.on('will-redirect', refuseAway('redirect'));
  contents.on('will-attach-webview', (e) => {
    e.preventDefault();
    log('refused a <webview>');
  });
  contents.setWindowOpenHandler((details) => {
    log(`refused to open a window for ${details.url.slice(0, 200)}`);
    return windowOpenHandler(details);
  });
}

/**
 * The permissions the page may have: keyboard lock (fullscreen consoles keep Alt+Tab and the
 * like for the guest), fullscreen, and writing to the clipboard. Everything else is refused.
 */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set([
  'keyboardLock',
  'fullscreen',
  'clipboard-sanitized-write',
]);

/** A permission request: granted only for an allowed permission, asked by our window, from our page. */
export function decidePermissionRequest(
  isOurContents: boolean,
  permission: string,
  requestingUrl: string | undefined,
): boolean {
  return isOurContents && ALLOWED_PERMISSIONS.has(permission) && requestingUrl !== undefined && isAppUrl(requestingUrl);
}

/** A synchronous permission check (navigator.permissions and friends): the same rule, by origin. */
export function decidePermissionCheck(isOurContents: boolean, permission: string, requestingOrigin: string): boolean {
  return isOurContents && ALLOWED_PERMISSIONS.has(permission) && isAppUrl(requestingOrigin);
}

/**
 * URL patterns of requests the page's session cancels outright, below the CSP: the page makes
 * no network or file requests at all (consoles come over MessagePorts).
 */
export const BLOCKED_REQUEST_PATTERNS = [
  'http://*/*',
  'https://*/*',
  'ws://*/*',
  'wss://*/*',
  'ftp://*/*',
  'file://*/*',
];
