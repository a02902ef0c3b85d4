/**
 * The desktop app's main process: the one place (with preload.ts) that touches Electron itself.
 * It wires the pure parts of main/electron to Electron and to the app: the command line, one
 * instance, the app:// scheme, one sandboxed window, the IPC and console ports, hotkeys, menu,
 * tray and notifications. Every decision worth testing lives in those parts, not here.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  MessageChannelMain,
  nativeImage,
  Notification,
  protocol,
  session,
  Tray,
  type NativeImage,
} from 'electron';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { App } from '../app/api.js';
import type { GuestRef } from '../../common/contract.js';
import { APP_ENTRY_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './app-protocol.js';
import { parseOrExit } from '../app/args.js';
import { DESKTOP_USAGE, launchOptionsOf, parseDesktopArgs, type DesktopArgs } from './args.js';
import { resolveDomain } from '../../common/desktop-api.js';
import { switcherOrder } from '../../common/order.js';
import { HotkeyFilter } from './hotkey-filter.js';
import { DesktopIpc } from './ipc.js';
import { applicationMenu, trayMenu, trayTooltip, type MenuActions, type MenuModel } from './menu.js';
import { Notifier } from './notifier.js';
import {
  BLOCKED_REQUEST_PATTERNS,
  decidePermissionCheck,
  decidePermissionRequest,
  guardContents,
  windowOptions,
} from './security.js';

const log = (line: string): void => console.error(`virtswitch: ${line}`);

/** What a second launch hands the running instance (validated: it is another process's word). */
const secondLaunch = z.object({ domain: z.string().max(1024).optional() });

/** Reloads after a renderer crash, at most this many a minute (a page that crashes at once would loop). */
const MAX_CRASH_RELOADS = 3;

function readArgs(): DesktopArgs | undefined {
  // A development run is `electron APP_DIR …`: then the first bare argument is the app.
  const args = parseOrExit(
    () => parseDesktopArgs(process.argv.slice(1), { appPathFirst: !!process.defaultApp }),
    (code) => app.exit(code),
  );
  if (!args) return undefined;
  if (args.help) console.log(DESKTOP_USAGE);
  else if (args.version) console.log(`virtswitch ${app.getVersion()}`);
  else return args;
  app.exit(0);
  return undefined;
}

function icon(size: number): NativeImage {
  const file = join(__dirname, '..', 'icons', `${size}x${size}.png`);
  // Read through fs, which knows the asar archive, rather than a path nativeImage must open.
  return existsSync(file) ? nativeImage.createFromBuffer(readFileSync(file)) : nativeImage.createEmpty();
}

/** The app itself: the hosts of the command line (or the saved ones), problems on stderr. */
function startCore(args: DesktopArgs): App {
  const core = new App({
    ...(args.connect.length ? { uris: args.connect } : {}),
    ...(args.configDir ? { configDir: args.configDir } : {}),
  });
  core.on('problem', (p) => log(p));
  core.start();
  return core;
}

/** The session's guards: permissions for our window's page only, no requests off the app, app://. */
function guardSession(ours: (wc: { id: number } | null) => boolean): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((wc, permission, callback, details) =>
    callback(decidePermissionRequest(ours(wc), permission, details.requestingUrl)),
  );
  ses.setPermissionCheckHandler((wc, permission, origin) => decidePermissionCheck(ours(wc), permission, origin));
  ses.setDevicePermissionHandler(() => false);
  ses.setSpellCheckerEnabled(false);
  ses.webRequest.onBeforeRequest({ urls: BLOCKED_REQUEST_PATTERNS }, (details, callback) => {
    log(`blocked a request to ${details.url.slice(0, 200)}`);
    callback({ cancel: true });
  });
  protocol.handle(APP_SCHEME, createAppProtocolHandler(join(__dirname, '..', 'renderer')));
}

/** A crashed page is told to its consoles and reloaded, at most MAX_CRASH_RELOADS a minute. */
function reloadAfterCrashes(win: BrowserWindow, ipc: DesktopIpc): void {
  let crashReloads: number[] = [];
  win.webContents.on('render-process-gone', (_e, details) => {
    log(`the page's process ended: ${details.reason}`);
    ipc.pageGone('the page crashed');
    const now = Date.now();
    crashReloads = crashReloads.filter((t) => now - t < 60_000);
    if (details.reason !== 'clean-exit' && crashReloads.length < MAX_CRASH_RELOADS && !win.isDestroyed()) {
      crashReloads.push(now);
      win.webContents.reload();
    }
  });
}

/** The tray icon, unless in kiosk mode or on a desktop without a tray. */
function createTray(kiosk: boolean, showWindow: () => void): Tray | undefined {
  if (kiosk) return undefined;
  try {
    const tray = new Tray(icon(32));
    tray.on('click', showWindow);
    return tray;
  } catch (e) {
    // A desktop without a tray: the app works the same without one.
    log(`no tray icon: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** The application menu and the tray's, rebuilt from the model; returns the burst-coalescing refresh. */
function menuRefresher(model: () => MenuModel, actions: MenuActions, tray: Tray | undefined): () => void {
  let menuTimer: NodeJS.Timeout | undefined;
  const updateMenus = (): void => {
    menuTimer = undefined;
    const m = model();
    Menu.setApplicationMenu(Menu.buildFromTemplate(applicationMenu(m, actions)));
    tray?.setContextMenu(Menu.buildFromTemplate(trayMenu(m, actions)));
    tray?.setToolTip(trayTooltip(m.state));
  };
  updateMenus();
  // Guests change in bursts (a host connecting brings all of its guests): one rebuild per burst.
  return () => {
    menuTimer ??= setTimeout(updateMenus, 150);
  };
}

/** Desktop notifications for what the Notifier finds worth one; a click shows that guest. */
function notifier(core: App, showWindow: () => void, ipc: DesktopIpc): Notifier {
  const shown = new Set<Notification>();
  return new Notifier(core.state(), (n) => {
    if (!Notification.isSupported()) return;
    const note = new Notification({ title: n.title, body: n.body, icon: icon(64) });
    // Held until closed: a collected notification can no longer be clicked.
    shown.add(note);
    note.on('close', () => shown.delete(note));
    note.on('click', () => {
      showWindow();
      if (n.guest) ipc.sendMenuCommand({ kind: 'switch', guest: n.guest });
    });
    note.show();
  });
}

/** A second launch shows this window, and switches to the guest its --domain names. */
function onSecondLaunch(core: App, showWindow: () => void, ipc: DesktopIpc): void {
  app.on('second-instance', (_e, _argv, _cwd, data) => {
    showWindow();
    const d = secondLaunch.safeParse(data);
    if (!d.success || !d.data.domain) return;
    const s = core.state();
    const g = resolveDomain(switcherOrder(s.hosts, s.guests, s.settings.order), d.data.domain);
    if (g) ipc.sendMenuCommand({ kind: 'switch', guest: { host: g.host, uuid: g.uuid } });
    else log(`no guest named ${JSON.stringify(d.data.domain)}`);
  });
}

/** On quit: the window's IPC and the tray go; hosts are closed politely, but never for long. */
function closeOnQuit(core: App, ipc: DesktopIpc, tray: Tray | undefined): void {
  let closing = false;
  app.on('will-quit', (e) => {
    if (closing) return;
    closing = true;
    e.preventDefault();
    ipc.dispose();
    tray?.destroy();
    void Promise.race([core.close(), new Promise((r) => setTimeout(r, 2_000))]).finally(() => app.quit());
  });
}

function start(args: DesktopArgs): void {
  const core = startCore(args);
  const win = new BrowserWindow(
    windowOptions({
      preloadPath: join(__dirname, '..', 'preload', 'preload.cjs'),
      devTools: !app.isPackaged,
      fullscreen: args.fullscreen,
      kiosk: args.kiosk,
      icon: icon(256),
    }),
  );
  const contents = win.webContents;
  guardSession((wc) => wc !== null && !win.isDestroyed() && wc.id === contents.id);
  const showWindow = (): void => {
    if (win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  let active: GuestRef | null = null;
  const hotkeys = new HotkeyFilter(core.state().settings.hotkeys, (action) => ipc.sendHotkey(action));
  const ipc = new DesktopIpc({
    ipcMain,
    app: core,
    contents,
    launchOptions: launchOptionsOf(args),
    createChannel: () => new MessageChannelMain(),
    consoles: core.consoles,
    chooseSavePath: async (name) => {
      const r = await dialog.showSaveDialog(win, {
        title: `Save ${name}`,
        defaultPath: join(app.getPath('downloads'), name),
        properties: ['showOverwriteConfirmation', 'createDirectory'],
      });
      return r.canceled || !r.filePath ? undefined : r.filePath;
    },
    onActiveGuest: (guest) => {
      active = guest;
      refreshMenus();
    },
    onCaptureHotkeys: (on) => hotkeys.setCapturing(on),
    log,
  });
  contents.on('before-input-event', (event, input) => hotkeys.handle(event, input));
  contents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) ipc.pageLeaving();
  });
  reloadAfterCrashes(win, ipc);

  const tray = createTray(args.kiosk, showWindow);
  const actions: MenuActions = { send: (c) => ipc.sendMenuCommand(c), showWindow, quit: () => app.quit() };
  const refreshMenus = menuRefresher(() => ({ state: core.state(), active, kiosk: args.kiosk }), actions, tray);
  const notices = notifier(core, showWindow, ipc);
  core.on('event', (e) => {
    if (e.type === 'settings') hotkeys.setHotkeys(e.settings.hotkeys);
    notices.onEvent(e);
    if (e.type !== 'stats' && e.type !== 'console') refreshMenus();
  });
  onSecondLaunch(core, showWindow, ipc);

  win.once('ready-to-show', showWindow);
  win.on('closed', () => ipc.dispose());
  closeOnQuit(core, ipc, tray);
  void win.loadURL(APP_ENTRY_URL);
}

function main(): void {
  const args = readArgs();
  if (!args) return;
  // Chromium's profile lives beside, not among, the app's own hosts.json and settings.json;
  // a --config-dir run gets its own (and so its own single-instance lock).
  const base = args.configDir ?? join(app.getPath('appData'), 'virtswitch');
  app.setPath('userData', join(base, 'chromium-profile'));
  if (!app.requestSingleInstanceLock({ ...(args.domain ? { domain: args.domain } : {}) })) {
    app.quit();
    return;
  }
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  app.enableSandbox();
  // Every webContents, not only the window's, refuses navigation, webviews and new windows.
  app.on('web-contents-created', (_e, wc) => guardContents(wc, log));
  app.on('window-all-closed', () => app.quit());
  app.whenReady().then(
    () => start(args),
    (e: unknown) => {
      log(`cannot start: ${e instanceof Error ? e.message : String(e)}`);
      app.exit(1);
    },
  );
}

main();
