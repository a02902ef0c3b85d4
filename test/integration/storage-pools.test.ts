/**
 * Storage pools and volumes, networks and domain capabilities through the wire client, against
 * the real libvirtd: every procedure of procedures-storage.ts with a directory pool in a temporary
 * folder, checked against virsh; volume upload and download streams, their progress, an aborted
 * upload and a connection that drops mid-upload.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  ConnectionClosedError,
  LibvirtClient,
  LibvirtError,
  readVolumeHead,
  uploadToVolume,
  downloadFromVolume,
  type StoragePoolRef,
  type StorageVolRef,
} from '../../main/libvirt/index.js';
import { parseDomainCaps } from '../../main/guests/domcaps.js';
import { ensureLibvirtd } from '../rig/libvirtd.js';

const virsh = (...args: string[]): string =>
  execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const PREFIX = `vst${process.pid}-`;
const MiB = 1 << 20;

/** A source that yields `data` in 64 KiB pieces, pausing `delayMs` between them. */
function slowSource(data: Buffer, delayMs: number): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= data.length) return void this.push(null);
      const piece = data.subarray(at, at + 65536);
      at += piece.length;
      setTimeout(() => this.push(piece), delayMs);
    },
  });
}

describe('libvirt wire client: storage pools, volumes, networks, domain capabilities', () => {
  let c: LibvirtClient;
  let dir: string;
  let pool: StoragePoolRef;
  const poolName = `${PREFIX}pool`;

  before(async () => {
    await ensureLibvirtd();
    c = await LibvirtClient.connect('qemu:///system');
    dir = mkdtempSync(join(tmpdir(), 'vst-pool-'));
  });

  after(async () => {
    try {
      virsh('pool-destroy', poolName);
    } catch {
      /* not running */
    }
    try {
      virsh('pool-undefine', poolName);
    } catch {
      /* not defined */
    }
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('defines, builds, starts a directory pool; info, XML, autostart, lookups as virsh sees them', async () => {
    const xml = `<pool type='dir'><name>${poolName}</name><target><path>${dir}</path></target></pool>`;
    ({ pool } = await c.call('storagePoolDefineXml', { xml, flags: 0 }));
    assert.equal(pool.name, poolName);
    await c.call('storagePoolBuild', { pool, flags: 0 });
    assert.equal((await c.call('storagePoolIsActive', { pool })).active, false);
    await c.call('storagePoolCreate', { pool, flags: 0 });
    assert.equal((await c.call('storagePoolIsActive', { pool })).active, true);
    assert.equal((await c.call('storagePoolIsPersistent', { pool })).persistent, true);
    const info = await c.call('storagePoolGetInfo', { pool });
    assert.equal(info.state, 2, 'VIR_STORAGE_POOL_RUNNING');
    assert.ok(info.capacity > 0 && info.available > 0 && info.available <= info.capacity);
    assert.match(virsh('pool-info', poolName), /State:\s+running/);
    assert.match((await c.call('storagePoolGetXmlDesc', { pool, flags: 0 })).xml, new RegExp(`<path>${dir}</path>`));
    assert.equal((await c.call('storagePoolGetAutostart', { pool })).autostart, false);
    await c.call('storagePoolSetAutostart', { pool, autostart: true });
    assert.match(virsh('pool-info', poolName), /Autostart:\s+yes/);
    await c.call('storagePoolSetAutostart', { pool, autostart: false });
    assert.deepEqual((await c.call('storagePoolLookupByName', { name: poolName })).pool, pool);
    assert.deepEqual((await c.call('storagePoolLookupByUuid', { uuid: pool.uuid })).pool, pool);
    assert.match(virsh('pool-uuid', poolName), new RegExp(pool.uuid));
    const all = await c.call('connectListAllStoragePools', { needResults: true, flags: 0 });
    assert.ok(all.pools.some((p) => p.uuid === pool.uuid));
    assert.equal(all.ret, all.pools.length);
    await c.call('storagePoolRefresh', { pool, flags: 0 });
  });

  it('volumes: create, list, look up, info, XML, path, resize, clone, delete, as virsh vol-list sees them', async () => {
    const volXml = `<volume><name>${PREFIX}a.qcow2</name><capacity unit='MiB'>4</capacity><target><format type='qcow2'/></target></volume>`;
    const { vol } = await c.call('storageVolCreateXml', { pool, xml: volXml, flags: 0 });
    assert.equal(vol.pool, poolName);
    assert.equal(vol.key, join(dir, `${PREFIX}a.qcow2`));
    assert.match(virsh('vol-list', poolName), new RegExp(`${PREFIX}a\\.qcow2`));
    const list = await c.call('storagePoolListAllVolumes', { pool, needResults: true, flags: 0 });
    assert.deepEqual(list.vols, [vol]);
    assert.deepEqual((await c.call('storageVolLookupByName', { pool, name: vol.name })).vol, vol);
    assert.deepEqual((await c.call('storageVolLookupByKey', { key: vol.key })).vol, vol);
    assert.deepEqual((await c.call('storageVolLookupByPath', { path: vol.key })).vol, vol);
    assert.deepEqual((await c.call('storagePoolLookupByVolume', { vol })).pool, pool);
    assert.equal((await c.call('storageVolGetPath', { vol })).name, vol.key);
    const info = await c.call('storageVolGetInfo', { vol });
    assert.deepEqual([info.type, info.capacity], [0, 4 * MiB], 'VIR_STORAGE_VOL_FILE, 4 MiB');
    assert.match((await c.call('storageVolGetXmlDesc', { vol, flags: 0 })).xml, /<format type='qcow2'\/>/);
    await c.call('storageVolResize', { vol, capacity: 8 * MiB, flags: 0 });
    assert.equal((await c.call('storageVolGetInfo', { vol })).capacity, 8 * MiB);
    assert.match(virsh('vol-info', '--pool', poolName, vol.name), /Capacity:\s+8\.00 MiB/);
    const cloneXml = `<volume><name>${PREFIX}b.qcow2</name><capacity unit='MiB'>8</capacity><target><format type='qcow2'/></target></volume>`;
    const clone = (await c.call('storageVolCreateXmlFrom', { pool, xml: cloneXml, clonevol: vol, flags: 0 })).vol;
    assert.equal(clone.name, `${PREFIX}b.qcow2`);
    assert.match(execFileSync('qemu-img', ['info', clone.key], { encoding: 'utf8' }), /virtual size: 8 MiB/);
    for (const v of [vol, clone]) await c.call('storageVolDelete', { vol: v, flags: 0 });
    assert.doesNotMatch(virsh('vol-list', poolName), new RegExp(PREFIX));
    await assert.rejects(
      c.call('storageVolLookupByName', { pool, name: vol.name }),
      (e: unknown) => e instanceof LibvirtError && /Storage volume not found/i.test(e.message),
    );
  });

  async function rawVolume(name: string, bytes: number): Promise<StorageVolRef> {
    const xml = `<volume><name>${name}</name><capacity unit='B'>${bytes}</capacity><target><format type='raw'/></target></volume>`;
    return (await c.call('storageVolCreateXml', { pool, xml, flags: 0 })).vol;
  }

  it('uploads a file into a volume with progress, downloads it back, reads its head', async () => {
    const data = randomBytes(3 * MiB + 12345);
    const vol = await rawVolume(`${PREFIX}up.raw`, data.length);
    const seen: number[] = [];
    await uploadToVolume(c, vol, Readable.from([data.subarray(0, MiB), data.subarray(MiB)]), {
      length: data.length,
      onProgress: (b) => seen.push(b),
    });
    assert.equal(seen.at(-1), data.length);
    assert.ok(
      seen.every((b, i) => i === 0 || b > seen[i - 1]!),
      'progress only grows',
    );
    assert.ok(readFileSync(vol.key).equals(data), 'the volume holds exactly the bytes sent');
    const back: Buffer[] = [];
    for await (const chunk of await downloadFromVolume(c, vol)) back.push(chunk as Buffer);
    assert.ok(Buffer.concat(back).equals(data), 'download gives them back');
    assert.ok((await readVolumeHead(c, vol, 34816)).equals(data.subarray(0, 34816)));
    await c.call('storageVolDelete', { vol, flags: 0 });
  });

  it('an aborted upload rejects, leaves the connection working, and the partial volume can be deleted', async () => {
    const data = randomBytes(4 * MiB);
    const vol = await rawVolume(`${PREFIX}cancel.raw`, data.length);
    const ac = new AbortController();
    let sent = 0;
    const up = uploadToVolume(c, vol, slowSource(data, 5), {
      length: data.length,
      signal: ac.signal,
      onProgress: (b) => {
        sent = b;
        if (b >= MiB) ac.abort();
      },
    });
    await assert.rejects(up, (e: unknown) => e instanceof Error && e.name === 'AbortError');
    assert.ok(sent < data.length);
    await c.call('storageVolDelete', { vol, flags: 0 });
    assert.doesNotMatch(virsh('vol-list', poolName), /cancel\.raw/);
    assert.equal((await c.call('storagePoolIsActive', { pool })).active, true, 'the connection still answers');
  });

  it('a connection that drops mid-upload fails the upload with a connection error', async () => {
    // A relay between client and daemon socket that the test can cut.
    const sock = join(dir, 'relay.sock');
    const conns: Socket[] = [];
    const server: Server = createServer((s) => {
      const d = connect('/run/libvirt/libvirt-sock');
      conns.push(s, d);
      s.pipe(d).pipe(s);
      s.on('error', () => undefined);
      d.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(sock, r));
    const c2 = await LibvirtClient.connect(`qemu:///system?socket=${encodeURIComponent(sock)}`, { keepalive: false });
    const data = randomBytes(4 * MiB);
    const vol = await rawVolume(`${PREFIX}drop.raw`, data.length);
    try {
      const up = uploadToVolume(c2, vol, slowSource(data, 5), {
        length: data.length,
        onProgress: (b) => {
          if (b >= MiB) for (const s of conns) s.destroy();
        },
      });
      await assert.rejects(up, (e: unknown) => e instanceof ConnectionClosedError);
    } finally {
      await c2.close();
      server.close();
      await c.call('storageVolDelete', { vol, flags: 0 });
    }
  });

  it('domain capabilities and networks', async () => {
    const { capabilities } = await c.call('connectGetDomainCapabilities', {
      emulatorbin: null,
      arch: 'x86_64',
      machine: 'q35',
      virttype: 'qemu',
      flags: 0,
    });
    const caps = parseDomainCaps(capabilities);
    assert.equal(caps.virtType, 'qemu');
    assert.match(caps.machine, /q35/);
    const fromVirsh = parseDomainCaps(virsh('domcapabilities', '--virttype', 'qemu', '--machine', 'q35'));
    assert.deepEqual(caps, fromVirsh);
    const { nets, ret } = await c.call('connectListAllNetworks', { needResults: true, flags: 0 });
    assert.equal(ret, nets.length);
    const names = virsh('net-list', '--all', '--name')
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    assert.deepEqual(nets.map((n) => n.name).sort(), names.sort());
    for (const net of nets) assert.equal(typeof (await c.call('networkIsActive', { net })).active, 'boolean');
  });

  it('stops, undefines the pool; its folder stays (no delete asked)', async () => {
    await c.call('storagePoolDestroy', { pool });
    assert.equal((await c.call('storagePoolIsActive', { pool })).active, false);
    await c.call('storagePoolUndefine', { pool });
    assert.doesNotMatch(virsh('pool-list', '--all', '--name'), new RegExp(poolName));
    assert.ok(statSync(dir).isDirectory());
  });
});
