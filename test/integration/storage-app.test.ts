/**
 * Storage and the guests' whole life through the App (what both shells expose), against the real
 * libvirtd: a directory pool, uploads (progress, cancel, refusals), a new guest from the rig's
 * installer ISO that prints its marker on the serial port, a clone with its own MAC, deletion with
 * storage, and each bad input refused in words with nothing half-made.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppSession } from '../../main/app/api.js';
import type { AppEvent, JobInfo, NewGuestRequest } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { ISO_PVD_END } from '../../common/iso9660.js';
import { LibvirtClient } from '../../main/libvirt/index.js';
import { TestRig } from '../rig/guests.js';
import { ensureInstallerIso, ISO_MARKER } from '../rig/iso.js';
import { storageFixture, type StorageFixture } from '../rig/storage.js';
import { waitFor } from '../rig/wait.js';

const HOST = 'qemu:///system';

describe('storage and new guests through the App', () => {
  let rig: TestRig;
  let app: App;
  let s: AppSession;
  let fx: StorageFixture;
  let c: LibvirtClient;
  let cfg: string;
  const jobs = new Map<string, JobInfo[]>();
  const call = (name: string, params: unknown): Promise<unknown> => s.invoke(name, params);
  const refused = async (p: Promise<unknown>, code: string, text: RegExp): Promise<void> => {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, text);
      return true;
    });
  };

  async function upload(name: string, bytes: Buffer, role: 'iso' | 'disk', cut?: number): Promise<JobInfo> {
    const { job } = (await call('storage.uploadBegin', {
      host: HOST,
      pool: fx.pool,
      name,
      size: bytes.length,
      role,
      head: bytes.subarray(0, ISO_PVD_END).toString('base64'),
    })) as { job: string };
    const sink = s.openUpload(job);
    for (let at = 0; at < (cut ?? bytes.length); at += 1 << 20)
      sink.write(bytes.subarray(at, Math.min(at + (1 << 20), cut ?? bytes.length)));
    if (cut === undefined) sink.end();
    else call('storage.uploadCancel', { job }).catch(() => undefined);
    return waitFor(`upload ${name} to finish`, () => jobs.get(job)?.find((j) => j.state !== 'running'), 120_000);
  }

  before(async () => {
    rig = await TestRig.start();
    fx = storageFixture(rig.prefix);
    cfg = mkdtempSync(join(tmpdir(), 'vst-app-'));
    app = new App({ configDir: cfg, uris: [HOST] });
    app.on('event', (e: AppEvent) => {
      if (e.type === 'job') jobs.set(e.job.id, [...(jobs.get(e.job.id) ?? []), e.job]);
    });
    app.start();
    s = app.session();
    await waitFor('the host to connect', () => app.hosts.get(HOST).connected, 30_000);
    c = await LibvirtClient.connect(HOST);
  });

  after(async () => {
    s?.close();
    await c?.close();
    await app?.close();
    fx?.cleanup();
    await rig?.cleanup();
    rmSync(cfg, { recursive: true, force: true });
  });

  it('defines a directory pool; hostile names and paths are refused before libvirt sees them', async () => {
    for (const name of ['../etc', 'a b', "x'y", '', '.hidden'])
      await refused(call('storage.poolDefineDir', { host: HOST, name, path: fx.dir }), 'invalid-input', /name/);
    for (const path of ['relative', '/etc/../root', '/', "/tmp/x'y"])
      await refused(call('storage.poolDefineDir', { host: HOST, name: fx.pool, path }), 'invalid-input', /folder/);
    const pool = (await call('storage.poolDefineDir', { host: HOST, name: fx.pool, path: fx.dir })) as {
      state: string;
      available: number;
      path: string;
    };
    assert.deepEqual([pool.state, pool.path], ['running', fx.dir]);
    assert.ok(pool.available > 0);
  });

  it('uploads: an ISO with progress; refusals leave nothing behind; a cancelled upload removes its volume', async () => {
    const iso = readFileSync(ensureInstallerIso());
    const done = await upload('installer.iso', iso, 'iso');
    assert.equal(done.state, 'done', done.error);
    assert.equal(done.done, iso.length);
    assert.ok(fx.volumes().includes('installer.iso'));
    assert.ok(readFileSync(join(fx.dir, 'installer.iso')).equals(iso));
    // The rig's ISO is in no OS database: the dialog offers the generic entries.
    assert.deepEqual(await call('guests.detectVolume', { host: HOST, pool: fx.pool, name: 'installer.iso' }), []);
    const notIso = randomBytes(64 * 1024);
    const head = notIso.subarray(0, ISO_PVD_END).toString('base64');
    const begin = (name: string, size: number, role = 'iso'): Promise<unknown> =>
      call('storage.uploadBegin', { host: HOST, pool: fx.pool, name, size, role, head });
    await refused(begin('notes.iso', notIso.length), 'invalid-input', /not an ISO image/);
    await refused(
      call('storage.uploadBegin', {
        host: HOST,
        pool: fx.pool,
        name: 'installer.iso',
        size: iso.length,
        role: 'iso',
        head: iso.subarray(0, ISO_PVD_END).toString('base64'),
      }),
      'conflict',
      /already has a volume named installer\.iso/,
    );
    await refused(begin('huge.img', 2 ** 49, 'disk'), 'out-of-range', /free, not enough for huge\.img/);
    await refused(begin('../x.img', 10, 'disk'), 'invalid-input', /name/);
    assert.deepEqual(fx.volumes(), ['installer.iso'], 'nothing half-made');
    const cancelled = await upload('cut.img', randomBytes(8 << 20), 'disk', 2 << 20);
    assert.equal(cancelled.state, 'cancelled');
    await waitFor('the partial volume to go', () => !fx.volumes().includes('cut.img'), 30_000);
  });

  const request = (over: Partial<NewGuestRequest> = {}): NewGuestRequest => ({
    host: HOST,
    name: `${rig.prefix}new`,
    osId: 'generic-linux',
    source: { kind: 'iso', pool: fx.pool, volume: 'installer.iso' },
    memoryMiB: 256,
    vcpus: 1,
    diskGiB: 1,
    diskPool: fx.pool,
    network: { kind: 'network', source: fx.network },
    emulate: true,
    ...over,
  });
  let created: { uuid: string; name: string };

  it('creates a guest from the ISO: defined, started, its disk in the pool, its marker on the serial port', async () => {
    const defaults = (await call('guests.newDefaults', { host: HOST, osId: 'generic-linux', emulate: true })) as {
      notices: string[];
      pools: { name: string }[];
    };
    assert.ok(defaults.pools.some((p) => p.name === fx.pool));
    assert.ok(defaults.notices.some((n) => /emulated, and slow/.test(n)));
    created = (await call('guests.create', request())) as { uuid: string; name: string };
    assert.ok(fx.volumes().includes(`${rig.prefix}new.qcow2`));
    const dom = await c.lookupByUuid(created.uuid);
    const con = await c.openConsole(dom);
    let text = '';
    con.on('data', (b: Buffer) => (text += b.toString('latin1')));
    await waitFor('the installer’s marker on the new guest’s serial port', () => text.includes(ISO_MARKER), 300_000);
    con.destroy();
    await waitFor(
      'the model to know the guest',
      () => app.hosts.get(HOST).guest(created.uuid)?.state === 'running',
      10_000,
    );
  });

  it('refuses a taken name, a disk larger than the pool, and XML libvirt rejects, leaving nothing behind', async () => {
    const before = fx.volumes();
    await refused(call('guests.create', request()), 'conflict', /already exists/);
    await refused(
      call('guests.create', request({ name: `${rig.prefix}big`, diskGiB: 2 ** 19 })),
      'out-of-range',
      /free, not enough/,
    );
    await refused(
      call(
        'guests.create',
        request({ name: `${rig.prefix}bad`, xml: `<domain type='qemu'><name>${rig.prefix}bad</name></domain>` }),
      ),
      'invalid-input',
      /XML error/,
    );
    await refused(call('guests.create', request({ name: 'a/b' })), 'invalid-input', /name/);
    assert.deepEqual(fx.volumes(), before);
    const names = (await c.listAllDomains()).map((d) => d.name);
    assert.ok(!names.includes(`${rig.prefix}big`) && !names.includes(`${rig.prefix}bad`));
  });

  it('clones the stopped guest with a new MAC; both run; deleting the clone with its disk keeps the original’s', async () => {
    const ref = { host: HOST, uuid: created.uuid };
    await refused(call('guest.clone', { ...ref, name: `${rig.prefix}copy` }), 'invalid-state', /shut it down first/);
    await call('guest.poweroff', ref);
    await waitFor('the guest to stop', () => app.hosts.get(HOST).guest(created.uuid)?.state === 'shutoff', 30_000);
    const clone = (await call('guest.clone', { ...ref, name: `${rig.prefix}copy` })) as { uuid: string };
    assert.ok(fx.volumes().includes(`${rig.prefix}copy.qcow2`));
    const mac = async (uuid: string): Promise<string> =>
      /<mac address='([^']+)'/.exec(await c.getXml(await c.lookupByUuid(uuid)))![1]!;
    assert.notEqual(await mac(clone.uuid), await mac(created.uuid));
    await call('guest.start', ref);
    await call('guest.start', { host: HOST, uuid: clone.uuid });
    await waitFor(
      'both to run',
      () =>
        ['running', 'running'].every(
          (st, i) => app.hosts.get(HOST).guest([created.uuid, clone.uuid][i]!)?.state === st,
        ),
      30_000,
    );
    const plan = (await call('guest.deletePlan', { host: HOST, uuid: clone.uuid })) as {
      disks: { path: string; device: string; sharedWith: string[] }[];
    };
    const disk = plan.disks.find((d) => d.device === 'disk')!;
    const iso = plan.disks.find((d) => d.device === 'cdrom')!;
    assert.equal(disk.path, join(fx.dir, `${rig.prefix}copy.qcow2`));
    assert.deepEqual(iso.sharedWith, [`${rig.prefix}new`], 'the ISO is shared with the original');
    await refused(
      call('guest.delete', { host: HOST, uuid: clone.uuid, force: true, removeDisks: [iso.path] }),
      'invalid-state',
      /also uses it/,
    );
    await call('guest.delete', { host: HOST, uuid: clone.uuid, force: true, removeDisks: [disk.path] });
    assert.ok(!fx.volumes().includes(`${rig.prefix}copy.qcow2`), 'the clone’s disk is gone');
    assert.ok(fx.volumes().includes(`${rig.prefix}new.qcow2`) && fx.volumes().includes('installer.iso'));
    await refused(
      call('storage.volumeDelete', { host: HOST, pool: fx.pool, name: 'installer.iso' }),
      'invalid-state',
      /uses it/,
    );
  });
});
