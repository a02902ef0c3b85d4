/**
 * qemu+ssh:// for real: a throwaway sshd on a free loopback port (its own host key, root login by
 * key only), reaching the same system libvirtd through virt-ssh-helper or `nc -U`, through the
 * user's own OpenSSH. Nothing touches ~/.ssh: ssh runs through a wrapper with a config of its own.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConnectionClosedError,
  LibvirtClient,
  LifecycleEvent,
  RpcConnection,
  TransportError,
  uploadToVolume,
} from '../../main/libvirt/index.js';
import { randomBytes } from 'node:crypto';
import { Readable, type Duplex } from 'node:stream';
import { App } from '../../main/app/api.js';
import type { TestGuest, TestRig } from '../rig/guests.js';
import { writeSshdConfig } from '../rig/sshd-config.js';
import { useRig } from '../rig/suite.js';
import { waitFor, within } from './libvirt-helpers.js';

/** SPICE channel types a session opens: main, display, inputs, cursor. */
const SPICE_CHANNELS = [1, 2, 3, 4];

/** Sends a SPICE link message for a channel of `type`; resolves with the server's link reply. */
function spiceLink(ch: Duplex, type: number): Promise<{ magic: string; major: number; error: number }> {
  const link = Buffer.alloc(18);
  link.writeUInt8(type, 4);
  link.writeUInt32LE(18, 14);
  const header = Buffer.alloc(16);
  header.write('REDQ', 0, 'latin1');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(link.length, 12);
  ch.write(Buffer.concat([header, link]));
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    ch.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      // Header (magic, major, minor, size), then the reply, which starts with its error code.
      if (got.length >= 20)
        resolve({ magic: got.toString('latin1', 0, 4), major: got.readUInt32LE(4), error: got.readUInt32LE(16) });
    });
    ch.once('error', reject);
    ch.once('end', () => reject(new Error(`the SPICE channel closed after ${got.length} bytes`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Established TCP connections from this host to 127.0.0.1:port, from /proc/net/tcp. */
function connectionsTo(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[2] === `0100007F:${hexPort}` && f[3] === '01').length;
}

/** Processes whose command line starts with the given words. */
function processesWith(...words: string[]): string[] {
  const r = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.startsWith(words.join(' ')));
}

describe('libvirt wire client over SSH (a local sshd on loopback)', () => {
  let rig: TestRig;
  let dir: string;
  let sshd: ChildProcess | undefined;
  let port: number;
  let sshPath: string;
  let g: TestGuest;
  const clients: LibvirtClient[] = [];

  const uri = (query = ''): string =>
    `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${encodeURIComponent(join(dir, 'client_key'))}${query}`;
  const open = async (u: string): Promise<LibvirtClient> => {
    const c = await LibvirtClient.connect(u, { sshPath, connectTimeoutMs: 20_000 });
    clients.push(c);
    return c;
  };

  useRig(async (r, defer) => {
    rig = r;
    g = await rig.define({ name: 'ssh' });
    dir = mkdtempSync(join(tmpdir(), 'vs-ssh-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    defer(async () => {
      if (sshd && sshd.exitCode === null) {
        sshd.kill('SIGTERM');
        await new Promise((res) => sshd!.once('exit', res));
      }
    });
    defer(async () => {
      for (const c of clients) await c.close().catch(() => undefined);
    });
    mkdirSync('/run/sshd', { recursive: true });
    const keygen = (name: string): void => {
      const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
    };
    keygen('host_key');
    keygen('client_key');
    keygen('bad_key');
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o600 });
    port = await freePort();
    writeSshdConfig(dir, { listen: '127.0.0.1', port, maxSessions: 20 });
    writeFileSync(
      join(dir, 'ssh_config'),
      [
        'Host *',
        `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
        '  StrictHostKeyChecking accept-new',
        '  IdentitiesOnly yes',
        '  LogLevel ERROR',
        '',
      ].join('\n'),
    );
    sshPath = join(dir, 'ssh');
    writeFileSync(sshPath, `#!/bin/sh\nexec ssh -F ${join(dir, 'ssh_config')} "$@"\n`, { mode: 0o755 });
    sshd = spawn('/usr/sbin/sshd', ['-f', join(dir, 'sshd_config'), '-D', '-e'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    sshd.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(`sshd on 127.0.0.1:${port} (${err})`, () => portOpen(port), 10_000);
  });

  it('opens qemu+ssh:// through virt-ssh-helper: calls, events and streams reach the system daemon', async () => {
    const c = await open(uri());
    assert.equal((await c.call('connectGetUri', undefined)).uri, 'qemu:///system');
    assert.equal((await c.call('connectGetHostname', undefined)).hostname, (await rig.virsh('hostname')).trim());
    assert.ok(processesWith('virt-ssh-helper', 'qemu:///system').length >= 1, 'the remote side runs virt-ssh-helper');
    assert.deepEqual(processesWith('nc', '-q0', '-U'), []);
    const dom = await c.lookupByUuid(g.uuid);
    const events: number[] = [];
    await c.subscribe('lifecycle', (b) => events.push(b.event), { dom });
    await c.call('domainSuspend', { dom });
    await c.call('domainResume', { dom });
    await waitFor('the events over SSH', () => events.length === 2);
    assert.deepEqual(events, [LifecycleEvent.SUSPENDED, LifecycleEvent.RESUMED]);
    const shot = await c.screenshot(dom);
    assert.equal(shot.mime, 'image/png');
    assert.equal(shot.data.readUInt32BE(16), 720);
    // The host key was taken on first use, into the test's own known_hosts.
    assert.match(readFileSync(join(dir, 'known_hosts'), 'utf8'), /ssh-ed25519/);
  });

  it('uploads into a storage volume over the same SSH connection (no scp, no second login)', async () => {
    const c = await open(uri());
    const poolDir = mkdtempSync(join(tmpdir(), 'vs-ssh-pool-'));
    spawnSync('chmod', ['755', poolDir]);
    const xml = `<pool type='dir'><name>${rig.prefix}sshpool</name><target><path>${poolDir}</path></target></pool>`;
    const { pool } = await c.call('storagePoolCreateXml', { xml, flags: 0 });
    try {
      const data = randomBytes(3 << 20);
      const volXml = `<volume><name>up.img</name><capacity unit='B'>${data.length}</capacity><target><format type='raw'/></target></volume>`;
      const { vol } = await c.call('storageVolCreateXml', { pool, xml: volXml, flags: 0 });
      let seen = 0;
      await uploadToVolume(c, vol, Readable.from([data]), { length: data.length, onProgress: (b) => (seen = b) });
      assert.equal(seen, data.length);
      assert.ok(readFileSync(join(poolDir, 'up.img')).equals(data));
      await c.call('storageVolDelete', { vol, flags: 0 });
    } finally {
      await c.call('storagePoolDestroy', { pool });
      rmSync(poolDir, { recursive: true, force: true });
    }
  });

  it('falls back to nc -U with ?proxy=netcat', async () => {
    const c = await open(uri('&proxy=netcat'));
    assert.equal((await c.call('connectGetUri', undefined)).uri, 'qemu:///system');
    assert.ok(
      processesWith('nc', '-q0', '-U', '/var/run/libvirt/libvirt-sock').length >= 1,
      'the remote side runs nc -U',
    );
    const doms = await c.listAllDomains();
    assert.ok(doms.some((d) => d.uuid === g.uuid));
    await c.close();
  });

  it('a key the server does not accept gives a clear error, with ssh’s own words', async () => {
    const bad = `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${encodeURIComponent(join(dir, 'bad_key'))}`;
    await assert.rejects(
      within(LibvirtClient.connect(bad, { sshPath, connectTimeoutMs: 20_000 }), 25_000, 'the refused login'),
      (e: unknown) => {
        assert.ok(e instanceof TransportError, String(e));
        assert.match(e.message, /Permission denied \(publickey\)/);
        assert.match(e.message, /check that you can `ssh` to the host/);
        return true;
      },
    );
  });

  it('two clients of one host each have their own SSH connection: closing one leaves the other', async () => {
    const a = await open(uri());
    const b = await open(uri());
    const lost: Error[] = [];
    b.on('disconnect', (e) => lost.push(e));
    const both = connectionsTo(port);
    await a.close();
    // a's SSH connection is gone from the server's side: had b ridden on it, b would be lost too.
    await waitFor('a’s SSH connection to close', () => connectionsTo(port) === both - 1, 10_000);
    assert.equal((await b.call('connectGetUri', undefined)).uri, 'qemu:///system');
    assert.deepEqual(lost, []);
    assert.equal((await b.call('connectGetUri', undefined)).uri, 'qemu:///system');
    // And while b is open, a bad key is still judged on its own login.
    const bad = `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${encodeURIComponent(join(dir, 'bad_key'))}`;
    await assert.rejects(
      LibvirtClient.connect(bad, { sshPath, connectTimeoutMs: 20_000 }),
      /Permission denied \(publickey\)/,
    );
    await b.close();
  });

  it('no sshd at the port: a clear error, not a hang', async () => {
    const dead = await freePort();
    await assert.rejects(
      within(
        LibvirtClient.connect(`qemu+ssh://root@127.0.0.1:${dead}/system`, { sshPath, connectTimeoutMs: 10_000 }),
        15_000,
        'the refused connection',
      ),
      (e: unknown) => e instanceof TransportError && /Connection refused/.test(e.message),
    );
  });

  it('SshLink.forward() reaches the guest’s VNC port over the same SSH connection: the RFB banner', async () => {
    const c = await open(uri());
    const link = c.sshLink!;
    assert.ok(link);
    const xml = await c.getXml(await c.lookupByUuid(g.uuid));
    const vncPort = Number(/<graphics type='vnc' port='(\d+)'/.exec(xml)![1]);
    assert.ok(vncPort >= 5900);
    const before = connectionsTo(port);
    const fwd = link.forward({ host: '127.0.0.1', port: vncPort });
    const banner = await within(
      new Promise<string>((resolve, reject) => {
        let got = '';
        fwd.on('data', (d: Buffer) => {
          got += d.toString('latin1');
          if (got.length >= 12) resolve(got);
        });
        fwd.on('error', reject);
      }),
      15_000,
      'the RFB banner',
    );
    assert.equal(banner.slice(0, 12), 'RFB 003.008\n');
    assert.equal(connectionsTo(port), before, 'the forward rode the libvirt connection’s SSH master');
    fwd.destroy();
    // And a unix socket on the far side, through nc -U: here, libvirt's own socket.
    const sock = link.forward({ socket: '/run/libvirt/libvirt-sock' });
    const raw = new RpcConnection(sock, 'forwarded libvirt-sock');
    assert.deepEqual(await within(raw.call('authList', undefined), 15_000, 'AUTH_LIST through the forward'), {
      types: [0],
    });
    raw.destroy();
  });

  it("a SPICE-only guest's SPICE channels, opened by the app over ssh -W (TCP and unix socket): the link reply", async () => {
    const guests = await Promise.all([
      rig.define({ name: 'ssh-spice', graphics: 'spice' }),
      rig.define({ name: 'ssh-spice-unix', graphics: 'spice-unix' }),
    ]);
    const host = uri();
    const app = new App({ configDir: dir, uris: [host], host: { client: { sshPath, connectTimeoutMs: 20_000 } } });
    app.start();
    const s = app.session();
    try {
      for (const sg of guests) {
        const ref = { host, uuid: sg.uuid };
        await waitFor(
          `${sg.name} running on the SSH host`,
          () => app.hosts.get(host).guest(sg.uuid)?.state === 'running',
          30_000,
        );
        // A session's channels: main, display, inputs, cursor — each its own ssh -W forward.
        const channels = await Promise.all(SPICE_CHANNELS.map(() => s.openConsole(ref, 'spice')));
        const replies = await Promise.all(
          channels.map((ch, i) => within(spiceLink(ch, SPICE_CHANNELS[i]!), 15_000, 'the SPICE link reply')),
        );
        for (const [i, r] of replies.entries()) {
          assert.equal(r.magic, 'REDQ', `${sg.name}, channel type ${SPICE_CHANNELS[i]}`);
          assert.equal(r.major, 2);
          assert.equal(r.error, 0, 'SPICE_LINK_ERR_OK');
        }
        for (const ch of channels) ch.destroy();
      }
    } finally {
      s.close();
      await app.close();
    }
  });

  it('the SSH process dying takes the connection down at once with a ConnectionClosedError', async () => {
    const c = await open(uri());
    const disconnected = new Promise<Error>((r) => c.once('disconnect', r));
    const dom = await c.lookupByUuid(g.uuid);
    const helpers = processesWith('virt-ssh-helper', 'qemu:///system');
    assert.ok(helpers.length >= 1);
    // The client's own ssh process, found by its control path and proxy command, is what we kill.
    const pids = spawnSync('pgrep', ['-f', `ssh -F ${join(dir, 'ssh_config')} -p ${port}`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);
    assert.ok(pids.length >= 1);
    const pending = c.call('domainGetState', { dom, flags: 0 }).catch((e: unknown) => e);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const err = await within(disconnected, 10_000, 'the disconnect');
    assert.ok(err instanceof ConnectionClosedError, String(err));
    const r = await within(pending, 10_000, 'the pending call');
    assert.ok(r instanceof ConnectionClosedError || (typeof r === 'object' && r !== null && 'state' in r));
    assert.equal(c.connected, false);
    // reconnect() brings it back over a new ssh process.
    await c.reconnect();
    assert.equal((await c.call('connectGetUri', undefined)).uri, 'qemu:///system');
  });
});
