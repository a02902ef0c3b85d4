/**
 * Uploads and downloads in the desktop shell, on the small fakes: the preload reads a picked
 * File's path itself (a File a page made up has none and goes nowhere); the main process takes
 * only a full path and a well-formed volume from our own page, asks where to save before any
 * download, and hands the rest to the app; the page's bridge follows the job to its end and
 * cancels it on abort.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppMessage, DesktopApi } from '../../common/desktop-ipc.js';
import { CHANNELS } from '../../common/desktop-ipc.js';
import type { JobInfo, UploadParams } from '../../common/contract.js';
import { createDesktopApi } from '../../main/electron-preload/preload-api.js';
import { ElectronBridge, type PortWindow } from '../../renderer/src/bridge/electron.js';
import { FakeIpcRenderer, subFrame } from './electron-fakes.js';
import { assertInvalid, HOST, setup } from './electron-ipc-setup.js';

const PARAMS: UploadParams = { host: HOST, pool: 'isos', name: 'debian.iso', size: 4, role: 'iso', head: 'AAAA' };
const VOLUME = { host: HOST, pool: 'default', name: 'disk.qcow2' };

describe('desktop uploads and downloads: the main process', () => {
  it('uploads the file at a full path from our page; anything else is refused before the app sees it', async () => {
    const t = setup();
    const r = await t.ask(CHANNELS.uploadFile, { params: PARAMS, path: '/home/u/debian.iso' });
    assert.deepEqual(r, { ok: true, result: { job: 'up-1' } });
    const session = t.app.sessions[0]!;
    assert.deepEqual(session.uploads, [[PARAMS, '/home/u/debian.iso']]);
    await assertInvalid(
      t.ask,
      CHANNELS.uploadFile,
      [
        { params: PARAMS, path: 'debian.iso' },
        { params: PARAMS, path: '../../etc/shadow' },
        { params: PARAMS, path: '/tmp/a\0b' },
        { params: PARAMS },
        { params: PARAMS, path: '/x', extra: 1 },
        { params: PARAMS, path: 42 },
      ],
      /Bad upload request/,
    );
    // The app's own refusal (not the file that was picked) reaches the page in words.
    const gone = await t.ask(CHANNELS.uploadFile, { params: PARAMS, path: '/gone.iso' });
    assert.equal(gone.ok, false);
    assert.match(gone.error.message, /not the file that was picked/);
    // From a frame that is not our page's main frame: refused, the app never asked.
    const foreign = (await t.ipcMain.invoke(
      CHANNELS.uploadFile,
      { sender: { id: 1 }, senderFrame: subFrame(t.frame) },
      { params: PARAMS, path: '/etc/shadow' },
    )) as { ok: boolean; error: { code: string } };
    assert.deepEqual([foreign.ok, foreign.error.code], [false, 'access-denied']);
    assert.equal(session.uploads.length, 2);
  });

  it('asks where to save a volume that exists, then downloads it there; a declined dialog downloads nothing', async () => {
    const t = setup();
    const session = t.app.sessions[0]!;
    assert.deepEqual(await t.ask(CHANNELS.saveVolume, VOLUME), { ok: true, result: null });
    assert.deepEqual(t.saveDialog.asked, ['disk.qcow2']);
    assert.deepEqual(session.downloads, []);
    t.saveDialog.answer = '/home/u/Downloads/disk.qcow2';
    const r = await t.ask(CHANNELS.saveVolume, VOLUME);
    assert.deepEqual(r, { ok: true, result: { job: 'down-1', name: 'disk.qcow2', size: 1234 } });
    assert.deepEqual(session.downloads, [[VOLUME, '/home/u/Downloads/disk.qcow2']]);
    // Hostile or unknown volumes: refused before any dialog opens.
    await assertInvalid(
      t.ask,
      CHANNELS.saveVolume,
      [
        { ...VOLUME, name: '../../etc/passwd' },
        { ...VOLUME, pool: 'a b' },
        { ...VOLUME, path: '/etc' },
        { ...VOLUME, name: 'other.img' },
      ],
      /Bad volume/,
    );
    assert.equal(t.saveDialog.asked.length, 2);
  });
});

describe('desktop uploads and downloads: the preload', () => {
  it('sends the path of a picked File, never one the page names; a File with no path goes nowhere', async () => {
    const ipc = new FakeIpcRenderer();
    const paths = new Map<Blob, string>();
    const api = createDesktopApi(
      ipc,
      () => undefined,
      (f) => paths.get(f) ?? '',
    );
    const picked = new Blob(['iso!']);
    paths.set(picked, '/home/u/debian.iso');
    ipc.answers.set(CHANNELS.uploadFile, { ok: true, result: { job: 'up-1' } });
    assert.deepEqual(await api.uploadFile(PARAMS, picked), { ok: true, result: { job: 'up-1' } });
    const made = await api.uploadFile(PARAMS, new Blob(['made up']));
    assert.equal(made.ok, false);
    assert.deepEqual(ipc.invoked, [[CHANNELS.uploadFile, [{ params: PARAMS, path: '/home/u/debian.iso' }]]]);
    await api.saveVolume({ ...VOLUME, extra: 'dropped' } as never);
    assert.deepEqual(ipc.invoked[1], [CHANNELS.saveVolume, [VOLUME]]);
  });
});

/** A DesktopApi whose transfers the test drives: the job events it emits, the calls it got. */
function fakeDesktop(start: { upload?: () => Promise<unknown>; save?: () => Promise<unknown> }) {
  const calls: unknown[][] = [];
  let listener: ((m: AppMessage) => void) | undefined;
  const api = {
    invoke: async (command: string, params: unknown) => {
      calls.push([command, params]);
      return { ok: true, result: null };
    },
    subscribe: (l: (m: AppMessage) => void) => {
      listener = l;
      return () => undefined;
    },
    uploadFile: () => start.upload?.() ?? Promise.resolve({ ok: true, result: { job: 'up-1' } }),
    saveVolume: () => start.save?.() ?? Promise.resolve({ ok: true, result: null }),
  } as unknown as DesktopApi;
  const job = (id: string, state: JobInfo['state'], done: number, error?: string): void =>
    listener?.({
      type: 'event',
      event: {
        type: 'job',
        job: { id, kind: 'upload', host: HOST, label: id, state, done, total: 10, ...(error ? { error } : {}) },
      },
    });
  return { api, calls, job };
}

const win: PortWindow & object = { addEventListener: () => undefined };

describe('desktop uploads and downloads: the page’s bridge', () => {
  it('follows an upload’s job to its end, with an event that came before the job’s id', async () => {
    const d = fakeDesktop({
      upload: async () => {
        d.job('up-1', 'running', 0);
        d.job('someone-else', 'done', 10);
        return { ok: true, result: { job: 'up-1' } };
      },
    });
    const bridge = new ElectronBridge(d.api, win);
    const seen: [string, number][] = [];
    const done = bridge.uploadVolume(PARAMS, new Blob(['x']), (j) => seen.push([j.state, j.done]));
    await new Promise((r) => setTimeout(r, 0));
    d.job('up-1', 'running', 5);
    d.job('up-1', 'done', 10);
    await done;
    assert.deepEqual(seen, [
      ['running', 0],
      ['running', 5],
      ['done', 10],
    ]);
  });

  it('a failed job rejects with its words; aborting cancels the job by its id', async () => {
    const d = fakeDesktop({});
    const bridge = new ElectronBridge(d.api, win);
    const failed = bridge.uploadVolume(PARAMS, new Blob(['x']), () => undefined);
    await new Promise((r) => setTimeout(r, 0));
    d.job('up-1', 'failed', 3, 'the connection to the host dropped');
    await assert.rejects(failed, { name: 'BridgeError', message: 'the connection to the host dropped' });
    const ac = new AbortController();
    const cancelled = bridge.uploadVolume(PARAMS, new Blob(['x']), () => undefined, ac.signal);
    await new Promise((r) => setTimeout(r, 0));
    ac.abort();
    assert.deepEqual(d.calls.at(-1), ['storage.uploadCancel', { job: 'up-1' }]);
    d.job('up-1', 'cancelled', 3);
    await assert.rejects(cancelled, { name: 'BridgeError', code: 'conflict' });
  });

  it('a download the user declines in the save dialog resolves false; a refusal rejects in words', async () => {
    const declined = new ElectronBridge(fakeDesktop({}).api, win);
    assert.equal(await declined.downloadVolume(VOLUME, () => undefined), false);
    const refused = new ElectronBridge(
      fakeDesktop({
        save: async () => ({ ok: false, error: { code: 'invalid-input', message: 'Bad volume: no such volume' } }),
      }).api,
      win,
    );
    await assert.rejects(
      refused.downloadVolume(VOLUME, () => undefined),
      { message: 'Bad volume: no such volume' },
    );
  });
});
