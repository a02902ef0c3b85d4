/**
 * The page's side of a download over the serve shell (renderer/src/bridge/download.ts) on a fake
 * socket: the size first, then bytes counted into progress, "end" makes the file; a refusal, a
 * socket that closes before the end and a file that cannot be written each fail in words, and a
 * picked file is written in order and dropped on failure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobInfo } from '../../common/contract.js';
import { downloadOverWebSocket, fileSink, memorySink, pickSaveFile } from '../../renderer/src/bridge/download.js';

const REF = { host: 'qemu:///system', pool: 'default', name: 'disk.img' };

class FakeSocket {
  binaryType = '';
  closed = false;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { reason: string }) => void) | null = null;
  close(): void {
    this.closed = true;
  }
  say(data: unknown): void {
    this.onmessage?.({ data });
  }
}

const bytes = (...b: number[]): ArrayBuffer => new Uint8Array(b).buffer;

function start(sink = memorySink(() => undefined)) {
  const ws = new FakeSocket();
  const jobs: JobInfo[] = [];
  const ac = new AbortController();
  const done = downloadOverWebSocket(ws as unknown as WebSocket, REF, (j) => jobs.push(j), ac.signal, sink);
  return { ws, jobs, done, ac };
}

describe('a download in the page', () => {
  it('counts the bytes against the size it was told, and saves them as the file at "end"', async () => {
    const saved: [Blob, string][] = [];
    const t = start(memorySink((blob, name) => saved.push([blob, name])));
    t.ws.say(JSON.stringify({ job: 'j1', name: 'disk.img', size: 4 }));
    t.ws.say(bytes(1, 2));
    t.ws.say(bytes(3, 4));
    t.ws.say('end');
    assert.equal(await t.done, true);
    assert.deepEqual(
      t.jobs.map((j) => [j.id, j.state, j.done, j.total]),
      [
        ['j1', 'running', 0, 4],
        ['j1', 'running', 2, 4],
        ['j1', 'running', 4, 4],
        ['j1', 'done', 4, 4],
      ],
    );
    assert.equal(saved[0]![1], 'disk.img');
    assert.deepEqual([...new Uint8Array(await saved[0]![0].arrayBuffer())], [1, 2, 3, 4]);
  });

  it('a refusal, an early close and a cancel each end it, in words', async () => {
    const refused = start();
    refused.ws.say(JSON.stringify({ error: 'There is no volume disk.img in pool default' }));
    await assert.rejects(refused.done, { message: 'There is no volume disk.img in pool default' });
    assert.equal(refused.jobs.at(-1)!.state, 'failed');
    const cut = start();
    cut.ws.say(JSON.stringify({ job: 'j2', name: 'disk.img', size: 4 }));
    cut.ws.onclose?.({ reason: 'the host went away' });
    await assert.rejects(cut.done, /stopped before its end: the host went away/);
    const cancelled = start();
    cancelled.ac.abort();
    await assert.rejects(cancelled.done, { code: 'conflict' });
    assert.equal(cancelled.ws.closed, true);
    assert.equal(cancelled.jobs.at(-1)!.state, 'cancelled');
  });

  it('streams into a picked file in order; a write that fails stops the download and drops the file', async () => {
    const written: number[] = [];
    let closed = false;
    let aborted = false;
    const file = {
      write: async (c: ArrayBuffer) => void written.push(...new Uint8Array(c)),
      close: async () => void (closed = true),
      abort: async () => void (aborted = true),
    } as unknown as FileSystemWritableFileStream;
    const ok = start(fileSink(file));
    ok.ws.say(JSON.stringify({ job: 'j3', name: 'disk.img', size: 3 }));
    ok.ws.say(bytes(7));
    ok.ws.say(bytes(8, 9));
    ok.ws.say('end');
    assert.equal(await ok.done, true);
    assert.deepEqual([written, closed, aborted], [[7, 8, 9], true, false]);
    const full = {
      write: async () => {
        throw new Error('no space left');
      },
      close: async () => undefined,
      abort: async () => void (aborted = true),
    } as unknown as FileSystemWritableFileStream;
    const bad = start(fileSink(full));
    bad.ws.say(JSON.stringify({ job: 'j4', name: 'disk.img', size: 3 }));
    bad.ws.say(bytes(1));
    bad.ws.say('end');
    await assert.rejects(bad.done, /Could not save disk\.img: no space left/);
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(aborted, true);
  });

  it('the picker: absent → through memory; declined → nothing; refused → through memory', async () => {
    assert.equal(await pickSaveFile('x', {}), undefined);
    const declined = { showSaveFilePicker: async () => Promise.reject(new DOMException('no', 'AbortError')) };
    assert.equal(await pickSaveFile('x', declined), null);
    const refused = { showSaveFilePicker: async () => Promise.reject(new DOMException('no', 'SecurityError')) };
    assert.equal(await pickSaveFile('x', refused), undefined);
  });
});
