/**
 * The serve shell's upload and download channels against the system daemon: refused without the
 * secret or from a foreign Origin (no 101); an unknown job closes at once; the bytes of a real one
 * arrive in the volume with progress; a socket closed before the end cancels the upload and its
 * volume goes. A download says its size, then carries the volume's bytes and "end"; an unknown
 * volume is said in words.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import type { JobInfo } from '../../common/contract.js';
import { ISO_PVD_END } from '../../common/iso9660.js';
import { TestRig } from '../rig/guests.js';
import { storageFixture, type StorageFixture } from '../rig/storage.js';
import { HOST, rawUpgrade, serve, waitFor, type Served } from './serve-helpers.js';
import { withSecret } from './serve-urls.js';

describe('serve shell: the upload and download channels', () => {
  let rig: TestRig;
  let s: Served;
  let fx: StorageFixture;
  // The secret rides in the fragment, as serve-urls.ts does: open and rawUpgrade present it in the header.
  const uploadUrl = (job: string, token: string | null = s.shell.token): string =>
    `${s.shell.origin.replace(/^http/, 'ws')}/upload?job=${job}${token !== null ? `#token=${encodeURIComponent(token)}` : ''}`;
  const jobState = (id: string): JobInfo | undefined =>
    s.events
      .filter((e) => e.type === 'job' && e.job.id === id)
      .map((e) => (e as { job: JobInfo }).job)
      .at(-1);
  const begin = async (name: string, data: Buffer): Promise<string> =>
    (
      (await s.app.session().invoke('storage.uploadBegin', {
        host: HOST,
        pool: fx.pool,
        name,
        size: data.length,
        role: 'disk',
        head: data.subarray(0, ISO_PVD_END).toString('base64'),
      })) as { job: string }
    ).job;
  const open = (url: string): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const wire = withSecret(url);
      const ws = new WebSocket(wire.url, wire.protocols, { headers: { Origin: s.shell.origin } });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });

  before(async () => {
    rig = await TestRig.start();
    fx = storageFixture(rig.prefix);
    s = await serve();
    await s.app.session().invoke('storage.poolDefineDir', { host: HOST, name: fx.pool, path: fx.dir });
  });

  after(async () => {
    await s?.close();
    fx?.cleanup();
    await rig?.cleanup();
  });

  it('refuses the handshake without the secret or from a foreign Origin; an unknown job closes at once', async () => {
    for (const [url, headers, status] of [
      [uploadUrl('x', null), { Origin: s.shell.origin }, 401],
      [uploadUrl('x', 'wrong'), { Origin: s.shell.origin }, 401],
      [uploadUrl('x'), { Origin: 'http://evil.example' }, 403],
    ] as const) {
      const r = await rawUpgrade(url, headers);
      assert.equal(r.upgraded, false);
      assert.equal(r.status, status);
    }
    const ws = await open(uploadUrl('no-such-job'));
    const code = await new Promise<number>((res) => ws.once('close', (c) => res(c)));
    assert.equal(code, 1008);
  });

  it('carries the bytes into the volume, then closes; a socket closed early cancels and removes the volume', async () => {
    const data = randomBytes(5 << 20);
    const job = await begin('whole.img', data);
    const ws = await open(uploadUrl(job));
    for (let at = 0; at < data.length; at += 1 << 20) ws.send(data.subarray(at, at + (1 << 20)));
    ws.send('end');
    await waitFor('the upload to finish', () => jobState(job)?.state === 'done', 60_000);
    assert.ok(readFileSync(`${fx.dir}/whole.img`).equals(data));
    const cut = await begin('cut.img', data);
    const ws2 = await open(uploadUrl(cut));
    ws2.send(data.subarray(0, 1 << 20));
    ws2.close();
    await waitFor('the cut-off upload to end', () => jobState(cut) && jobState(cut)!.state !== 'running', 60_000);
    assert.equal(jobState(cut)!.state, 'failed');
    await waitFor('the partial volume to go', () => !fx.volumes().includes('cut.img'), 30_000);
    assert.deepEqual(fx.volumes(), ['whole.img']);
  });

  it('download: the same handshake rules; the size, the volume’s bytes, then "end"; an unknown volume in words', async () => {
    const base = `${s.shell.origin.replace(/^http/, 'ws')}/download?host=${encodeURIComponent(HOST)}&pool=${fx.pool}`;
    const url = (name: string, token: string | null = s.shell.token): string =>
      `${base}&name=${name}${token !== null ? `#token=${encodeURIComponent(token)}` : ''}`;
    for (const [u, headers, status] of [
      [url('whole.img', null), { Origin: s.shell.origin }, 401],
      [url('whole.img', 'wrong'), { Origin: s.shell.origin }, 401],
      [url('whole.img'), { Origin: 'http://evil.example' }, 403],
    ] as const) {
      const r = await rawUpgrade(u, headers);
      assert.deepEqual([r.upgraded, r.status], [false, status]);
    }
    const fetchAll = async (name: string): Promise<{ text: string[]; bytes: Buffer; code: number }> => {
      const ws = await open(url(name));
      const text: string[] = [];
      const chunks: Buffer[] = [];
      ws.on('message', (d: Buffer, binary: boolean) => (binary ? chunks.push(d) : text.push(d.toString())));
      const code = await new Promise<number>((res) => ws.once('close', (c) => res(c)));
      return { text, bytes: Buffer.concat(chunks), code };
    };
    const got = await fetchAll('whole.img');
    const want = readFileSync(`${fx.dir}/whole.img`);
    assert.ok(got.bytes.equals(want));
    assert.equal(JSON.parse(got.text[0]!).size, want.length);
    assert.deepEqual([got.text[1], got.code], ['end', 1000]);
    // Closed at once, before the volume's stream even opened: the job still ends cancelled.
    await s.app.session().invoke('storage.volumeCreate', {
      host: HOST,
      pool: fx.pool,
      name: 'zeros.raw',
      format: 'raw',
      capacity: 2 ** 30,
    });
    const early = await open(url('zeros.raw'));
    early.close();
    const cancelled = await waitFor(
      'the early-closed download to end',
      () =>
        s.events
          .filter((e) => e.type === 'job' && e.job.kind === 'download' && e.job.label.includes('zeros.raw'))
          .map((e) => (e as { job: JobInfo }).job)
          .find((j) => j.state !== 'running'),
      60_000,
    );
    assert.equal(cancelled.state, 'cancelled', cancelled.error);
    const missing = await fetchAll('gone.img');
    assert.match(JSON.parse(missing.text[0]!).error, /no volume gone\.img/);
    assert.equal(missing.bytes.length, 0);
  });
});
