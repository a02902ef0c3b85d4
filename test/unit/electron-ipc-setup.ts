/**
 * The main process's IPC (main/electron/ipc.ts) on a fake window: a fake app whose sessions
 * record what they are asked, the IPC wired to fake ports, and what the page was told.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { DEFAULT_SETTINGS, type AppState } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { DesktopIpc, type AppLike, type SessionLike } from '../../main/electron/ipc.js';
import {
  FakeContents,
  FakeIpcMain,
  fakePortPair,
  mainFrame,
  type FakeIpcEvent,
  type FakePagePort,
} from './electron-fakes.js';

export const UUID = '6f1c7a52-3a3e-4f5e-9d55-1b2a3c4d5e6f';
export const HOST = 'qemu:///system';

export const emptyState = (): AppState => ({ hosts: [], guests: [], consoles: [], settings: DEFAULT_SETTINGS });
/** A console request as the page makes one. */
export const VNC_REQUEST = { id: 'c0ffee00-1234', host: HOST, uuid: UUID, kind: 'vnc' };

/** What an invoke handler answers (an Outcome), loosely typed for the assertions. */
export interface Answer {
  ok: boolean;
  result?: unknown;
  error: { code: string; message: string };
}

/** Asks every request of `bad` on `channel`; each must be refused as invalid input, saying `what`. */
export async function assertInvalid(
  ask: (channel: string, ...args: unknown[]) => Promise<Answer>,
  channel: string,
  bad: unknown[],
  what: RegExp,
): Promise<void> {
  for (const req of bad) {
    const r = await ask(channel, req);
    assert.equal(r.ok, false, JSON.stringify(req));
    assert.equal(r.error.code, 'invalid-input');
    assert.match(r.error.message, what);
  }
}

class FakeSession implements SessionLike {
  invoked: [unknown, unknown][] = [];
  consoles: Duplex[] = [];
  uploads: [unknown, unknown][] = [];
  downloads: [unknown, unknown][] = [];
  closed = false;
  async invoke(name: unknown, params: unknown): Promise<unknown> {
    this.invoked.push([name, params]);
    if (name === 'guest.start')
      throw new ApiError('invalid-state', 'web1 is already running', { host: HOST, guest: 'web1' });
    if (name === 'boom') throw new Error('kaput');
    if (name === 'storage.volumes') return [{ name: 'disk.qcow2' }];
    return { echoed: params };
  }
  async openConsole(ref: unknown, kind: unknown): Promise<Duplex> {
    if ((ref as { uuid: string }).uuid !== UUID)
      throw new ApiError('no-such-guest', `No guest with UUID ${(ref as { uuid: string }).uuid}`);
    void kind;
    const d = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
    this.consoles.push(d);
    return d;
  }
  async uploadFile(params: unknown, path: unknown): Promise<{ job: string }> {
    this.uploads.push([params, path]);
    if (path === '/gone.iso') throw new ApiError('invalid-input', '/gone.iso is not the file that was picked');
    return { job: 'up-1' };
  }
  async downloadToFile(ref: unknown, path: unknown): Promise<{ job: string; name: string; size: number }> {
    this.downloads.push([ref, path]);
    return { job: 'down-1', name: 'disk.qcow2', size: 1234 };
  }
  close(): void {
    this.closed = true;
  }
}

class FakeApp extends EventEmitter implements AppLike {
  sessions: FakeSession[] = [];
  current = emptyState();
  session(): FakeSession {
    const s = new FakeSession();
    this.sessions.push(s);
    return s;
  }
  state(): AppState {
    return this.current;
  }
}

export function setup() {
  const ipcMain = new FakeIpcMain();
  const frame = mainFrame();
  const contents = new FakeContents(1, frame);
  const app = new FakeApp();
  const pages: FakePagePort[] = [];
  const logged: string[] = [];
  const active: unknown[] = [];
  const capture: boolean[] = [];
  /** What the save dialog answers (undefined: declined), and the names it was asked about. */
  const saveDialog = { answer: undefined as string | undefined, asked: [] as string[] };
  const ipc = new DesktopIpc({
    chooseSavePath: async (name) => {
      saveDialog.asked.push(name);
      return saveDialog.answer;
    },
    ipcMain,
    app,
    contents,
    launchOptions: { domain: 'web1', fullscreen: true, kiosk: false },
    createChannel: () => {
      const { main, page } = fakePortPair();
      pages.push(page);
      return { port1: main, port2: page };
    },
    onActiveGuest: (g, focused) => active.push([g, focused]),
    onCaptureHotkeys: (on) => capture.push(on),
    log: (l) => logged.push(l),
  });
  const ok: FakeIpcEvent = { sender: { id: 1 }, senderFrame: frame };
  /** An invoke from our page's main frame. */
  const ask = (channel: string, ...args: unknown[]) => ipcMain.invoke(channel, ok, ...args) as Promise<Answer>;
  return { ipcMain, contents, app, ipc, ok, ask, frame, pages, logged, active, capture, saveDialog };
}
