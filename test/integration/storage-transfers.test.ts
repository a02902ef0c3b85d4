/**
 * Transfers between volumes and files on this machine's disk through the App (what the desktop
 * shell does with a picked file or a chosen save path), against the real libvirtd: an upload from
 * a file with progress, the same bytes in the pool; a file that is not the one the page holds,
 * refused with nothing made; a cancelled upload's partial volume removed; downloads equal to
 * `virsh vol-download`, a cancelled one leaving no file; and resizing, checked with virsh.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppSession } from '../../main/app/api.js';
import type { AppEvent, JobInfo } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { ISO_PVD_END } from '../../common/iso9660.js';
import { downloadFromVolume } from '../../main/libvirt/index.js';
import { TestRig } from '../rig/guests.js';
import { storageFixture, type StorageFixture } from '../rig/storage.js';
import { waitFor } from '../rig/wait.js';

const HOST = 'qemu:///system';
const virsh = (...a: string[]): string =>
  execFileSync('virsh', ['-c', HOST, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('volumes to and from local files through the App', () => {
  let rig: TestRig;
  let app: App;
  let s: AppSession;
  let fx: StorageFixture;
  let cfg: string;
  let files: string;
  const jobs = new Map<string, JobInfo[]>();
  const ended = (job: string): Promise<JobInfo> =>
    waitFor(`job ${job} to end`, () => jobs.get(job)?.find((j) => j.state !== 'running'), 120_000);
  /** Cancels the job as soon as it has moved some bytes (its first progress event). */
  const cancelOnceMoving = (job: string, command: string): Promise<unknown> =>
    waitFor('the transfer to move', () => jobs.get(job)?.some((j) => j.done > 0), 60_000).then(() =>
      s.invoke(command, { job }),
    );
  const refused = async (p: Promise<unknown>, code: string, text: RegExp): Promise<void> => {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, text);
      return true;
    });
  };
  const paramsOf = (path: string, name: string, role: 'iso' | 'disk' = 'disk') => {
    const bytes = readFileSync(path, { flag: 'r' }).subarray(0, ISO_PVD_END);
    return {
      host: HOST,
      pool: fx.pool,
      name,
      size: Number(execFileSync('stat', ['-c', '%s', path], { encoding: 'utf8' })),
      role,
      head: bytes.toString('base64'),
    };
  };

  before(async () => {
    rig = await TestRig.start();
    fx = storageFixture(rig.prefix);
    cfg = mkdtempSync(join(tmpdir(), 'vst-app-'));
    files = mkdtempSync(join(tmpdir(), 'vst-files-'));
    app = new App({ configDir: cfg, uris: [HOST] });
    app.on('event', (e: AppEvent) => {
      if (e.type === 'job') jobs.set(e.job.id, [...(jobs.get(e.job.id) ?? []), e.job]);
    });
    app.start();
    s = app.session();
    await waitFor('the host to connect', () => app.hosts.get(HOST).connected, 30_000);
    await s.invoke('storage.poolDefineDir', { host: HOST, name: fx.pool, path: fx.dir });
  });

  after(async () => {
    s?.close();
    await app?.close();
    fx?.cleanup();
    await rig?.cleanup();
    rmSync(cfg, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  it('uploads a file from disk with progress; the volume holds its bytes', async () => {
    const path = join(files, 'disk.img');
    const bytes = randomBytes(24 << 20);
    writeFileSync(path, bytes);
    const { job } = await s.uploadFile(paramsOf(path, 'disk.img'), path);
    const last = await ended(job);
    assert.equal(last.state, 'done', last.error);
    assert.equal(last.done, bytes.length);
    assert.equal(jobs.get(job)![0]!.state, 'running');
    assert.ok(readFileSync(join(fx.dir, 'disk.img')).equals(bytes));
  });

  it('refuses a path that is not the picked file (size, first bytes, a folder, relative, missing): nothing made', async () => {
    const path = join(files, 'picked.img');
    writeFileSync(path, randomBytes(100_000));
    const p = paramsOf(path, 'picked.img');
    const before = fx.volumes();
    await refused(s.uploadFile({ ...p, size: p.size + 1 }, path), 'invalid-input', /not the file that was picked/);
    const otherHead = randomBytes(ISO_PVD_END).toString('base64');
    await refused(s.uploadFile({ ...p, head: otherHead }, path), 'invalid-input', /not the file that was picked/);
    await refused(s.uploadFile(p, files), 'invalid-input', /not a regular file/);
    await refused(s.uploadFile(p, 'picked.img'), 'invalid-input', /full path/);
    await refused(s.uploadFile(p, join(files, 'nope.img')), 'invalid-input', /Cannot read/);
    await refused(s.uploadFile({ ...p, pool: '../etc' }, path), 'invalid-input', /pool name/);
    await refused(s.uploadFile({ ...p, host: 'qemu+ssh://nowhere/system' }, path), 'no-such-host', /nowhere/);
    assert.deepEqual(fx.volumes(), before);
  });

  it('a cancelled upload from disk removes its partial volume', async () => {
    const path = join(files, 'big.img');
    writeFileSync(path, randomBytes(ISO_PVD_END));
    truncateSync(path, 512 << 20);
    const { job } = await s.uploadFile(paramsOf(path, 'big.img'), path);
    await cancelOnceMoving(job, 'storage.uploadCancel');
    const last = await ended(job);
    assert.equal(last.state, 'cancelled');
    assert.ok(last.done < 512 << 20, 'cancelled before the end');
    await waitFor('the partial volume to go', () => !fx.volumes().includes('big.img'), 30_000);
  });

  it('downloads volumes into a chosen file, byte for byte what virsh vol-download gives', async () => {
    await s.invoke('storage.volumeCreate', {
      host: HOST,
      pool: fx.pool,
      name: 'small.qcow2',
      format: 'qcow2',
      capacity: 1 << 30,
    });
    for (const name of ['disk.img', 'small.qcow2']) {
      const out = join(files, `got-${name}`);
      const start = await s.downloadToFile({ host: HOST, pool: fx.pool, name }, out);
      const last = await ended(start.job);
      assert.equal(last.state, 'done', last.error);
      const want = join(files, `virsh-${name}`);
      virsh('vol-download', '--pool', fx.pool, name, want);
      const got = readFileSync(out);
      assert.ok(got.equals(readFileSync(want)), `${name}: ${got.length} bytes`);
      assert.equal(start.size, got.length, 'the size told up front is what came');
      assert.equal(last.done, got.length);
      assert.ok(!existsSync(`${out}.part`));
    }
  });

  it('a reader slower than the disk gets the whole volume: the connection waits for it, and the host still answers after', async () => {
    const c = app.hosts.get(HOST).libvirt();
    const { pool } = await c.call('storagePoolLookupByName', { name: fx.pool });
    const { vol } = await c.call('storageVolLookupByName', { pool, name: 'disk.img' });
    const stream = await downloadFromVolume(c, vol);
    const chunks: Buffer[] = [];
    let sinceNap = 0;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      sinceNap += (chunk as Buffer).length;
      // Far slower than the disk: without waiting for the reader, libvirt's 24 MiB would pile up.
      if (sinceNap >= 2 << 20) {
        sinceNap = 0;
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    assert.ok(Buffer.concat(chunks).equals(readFileSync(join(fx.dir, 'disk.img'))), 'every byte, in order');
    assert.equal((await c.call('connectGetHostname', undefined)).hostname.length > 0, true);
  });

  it('a cancelled download leaves no file; a bad path or volume is refused before any file is made', async () => {
    await s.invoke('storage.volumeCreate', {
      host: HOST,
      pool: fx.pool,
      name: 'zeros.raw',
      format: 'raw',
      capacity: 1 << 30,
    });
    const dir = join(files, 'cancel');
    mkdirSync(dir);
    const start = await s.downloadToFile({ host: HOST, pool: fx.pool, name: 'zeros.raw' }, join(dir, 'zeros.raw'));
    await cancelOnceMoving(start.job, 'storage.downloadCancel');
    const last = await ended(start.job);
    assert.equal(last.state, 'cancelled');
    assert.deepEqual(readdirSync(dir), []);
    await refused(
      s.downloadToFile({ host: HOST, pool: fx.pool, name: 'zeros.raw' }, 'x.raw'),
      'invalid-input',
      /full path/,
    );
    await refused(
      s.downloadToFile({ host: HOST, pool: fx.pool, name: 'zeros.raw' }, join(files, 'no', 'such', 'x.raw')),
      'invalid-input',
      /Cannot write/,
    );
    await refused(
      s.downloadToFile({ host: HOST, pool: fx.pool, name: 'gone.raw' }, join(dir, 'g')),
      'invalid-input',
      /no volume gone\.raw/,
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('resizes: grows a volume (virsh vol-info); shrinking and growth past the free space are refused in words', async () => {
    const ref = { host: HOST, pool: fx.pool, name: 'small.qcow2' };
    await s.invoke('storage.volumeResize', { ...ref, capacity: 2 * 2 ** 30 });
    assert.match(virsh('vol-info', '--pool', fx.pool, 'small.qcow2'), /Capacity:\s+2\.00 GiB/);
    await refused(
      s.invoke('storage.volumeResize', { ...ref, capacity: 1 << 30 }),
      'out-of-range',
      /Can't shrink small\.qcow2/,
    );
    await refused(s.invoke('storage.volumeResize', { ...ref, capacity: 2 ** 49 }), 'out-of-range', /free/);
    assert.match(virsh('vol-info', '--pool', fx.pool, 'small.qcow2'), /Capacity:\s+2\.00 GiB/);
  });
});
