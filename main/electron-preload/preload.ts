/**
 * The preload: runs sandboxed, before the page, in its own isolated world. Bundled to one
 * CommonJS file (sandboxed preloads cannot be ES modules or require anything but `electron`).
 * It exposes one object of named methods to the page and nothing else.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { DESKTOP_API_NAME } from '../../common/desktop-ipc.js';
import { createDesktopApi } from './preload-api.js';

/** The page's window as the preload sees it (typed here so main code needs no DOM types). */
interface PageWindow {
  postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void;
}
const page = globalThis as unknown as PageWindow;

contextBridge.exposeInMainWorld(
  DESKTOP_API_NAME,
  // Posted to our own window only (no other frame receives a window's message to itself); the
  // page accepts it only with event.source === window and an id it asked for.
  createDesktopApi(
    ipcRenderer,
    (message, ports: { close(): void }[]) => page.postMessage(message, '*', ports),
    (file) => webUtils.getPathForFile(file as File),
  ),
);
