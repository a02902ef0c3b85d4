/**
 * The API the preload exposes to the page, built over ipcRenderer (injected, so Node tests can
 * drive it). Named methods only: the page can reach exactly these channels, with arguments
 * shaped here, and its callbacks receive data, never an IPC event (which would hand the page
 * `sender`). Console ports arrive over IPC and are passed on to the page with window.postMessage,
 * the one way a MessagePort reaches a context-isolated page's own world.
 */
import type {
  ConsoleKind,
  GuestRef,
  HotkeyAction,
  LaunchOptions,
  MenuCommand,
  UploadParams,
  VolumeRef,
} from '../../common/contract.js';
import {
  CHANNELS,
  type AppMessage,
  type ConsolePortMessage,
  type DesktopApi,
  type Outcome,
  type SaveStart,
} from '../../common/desktop-ipc.js';

/** A port as the preload holds it (a DOM MessagePort); only closing matters here. */
export interface PortLike {
  close(): void;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the shape of Electron's own ipcRenderer */
export interface IpcRendererLike {
  invoke(channel: string, ...args: any[]): Promise<any>;
  send(channel: string, ...args: any[]): void;
  on(channel: string, listener: (event: any, ...args: any[]) => void): unknown;
  removeListener(channel: string, listener: (...args: any[]) => void): unknown;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Where a picked File is on disk (Electron's webUtils.getPathForFile): '' for one made by a page. */
export type PathForFile = (file: Blob) => string;

export function createDesktopApi<P extends PortLike>(
  ipc: IpcRendererLike,
  postToPage: (message: ConsolePortMessage, ports: P[]) => void,
  pathForFile: PathForFile,
): DesktopApi {
  ipc.on(CHANNELS.consolePort, (event: { ports?: P[] }, message: unknown) => {
    const ports = event.ports ?? [];
    const id = typeof message === 'object' && message !== null ? (message as { id?: unknown }).id : undefined;
    if (typeof id !== 'string' || ports.length !== 1) {
      for (const p of ports) p.close();
      return;
    }
    postToPage({ virtswitch: 'console-port', id }, ports);
  });

  const listen = <T>(channel: string, listener: (value: T) => void): (() => void) => {
    const wrapped = (_event: unknown, value: T): void => listener(value);
    ipc.on(channel, wrapped);
    return () => {
      ipc.removeListener(channel, wrapped);
    };
  };

  return {
    invoke: (command: string, params: unknown) =>
      ipc.invoke(CHANNELS.invoke, { command, params }) as Promise<Outcome<unknown>>,
    subscribe: (listener: (message: AppMessage) => void) => {
      // Listening first, then asking: the state cannot slip past.
      const off = listen(CHANNELS.app, listener);
      ipc.invoke(CHANNELS.subscribe).catch(() => undefined);
      return off;
    },
    openConsole: (id: string, ref: GuestRef, kind: ConsoleKind) =>
      ipc.invoke(CHANNELS.openConsole, { id, host: ref.host, uuid: ref.uuid, kind }) as Promise<Outcome<null>>,
    launchOptions: async () => {
      const o = (await ipc.invoke(CHANNELS.launchOptions)) as Outcome<LaunchOptions>;
      if (!o.ok) throw new Error(o.error.message);
      return o.result;
    },
    onHotkey: (listener: (action: HotkeyAction) => void) => listen(CHANNELS.hotkey, listener),
    onMenuCommand: (listener: (command: MenuCommand) => void) => listen(CHANNELS.menu, listener),
    setActiveGuest: (ref: GuestRef | null, consoleFocused: boolean) => {
      ipc.send(CHANNELS.activeGuest, { guest: ref ? { host: ref.host, uuid: ref.uuid } : null, consoleFocused });
    },
    captureHotkeys: (on: boolean) => {
      ipc.send(CHANNELS.captureHotkeys, on);
    },
    uploadFile: async (params: UploadParams, file: Blob) => {
      // Only a File the user picked (or dropped) has a path; one a page made up has none.
      let path = '';
      try {
        path = pathForFile(file);
      } catch {
        /* not a File at all */
      }
      if (!path)
        return {
          ok: false,
          error: { code: 'invalid-input', message: 'Only a file picked from this computer’s disk can be uploaded' },
        } satisfies Outcome<never>;
      return ipc.invoke(CHANNELS.uploadFile, { params, path }) as Promise<Outcome<{ job: string }>>;
    },
    saveVolume: (ref: VolumeRef) =>
      ipc.invoke(CHANNELS.saveVolume, { host: ref.host, pool: ref.pool, name: ref.name }) as Promise<
        Outcome<SaveStart | null>
      >,
  };
}
