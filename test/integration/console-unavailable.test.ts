/**
 * A display that can't be reached is reported as the console's "unavailable" state with why,
 * against real guests: one whose VNC display listens nowhere (`<listen type='none'/>`), one whose
 * unix socket is gone, and one on a second host whose QEMU requires TLS for VNC (`vnc_tls`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppSession } from '../../main/app/api.js';
import type { ConsoleState } from '../../common/contract.js';
import { SYSTEM_URI, TestRig, testDomainXml, type TestGuest } from '../rig/guests.js';
import { startSecondHost, type SecondHost } from '../rig/second-host.js';
import { waitFor } from '../rig/wait.js';

describe('console unavailable: real guests whose display listens nowhere, or whose VNC unix socket is gone', () => {
  let rig: TestRig;
  let app: App;
  let s: AppSession;
  let dir: string;
  let noListen: TestGuest;
  let noSocket: TestGuest;
  const states: ConsoleState[] = [];

  before(async () => {
    rig = await TestRig.start();
    noListen = await rig.define({ name: 'nolisten', graphics: 'vnc-none' });
    noSocket = await rig.define({ name: 'nosock', graphics: 'vnc-unix' });
    dir = mkdtempSync(join(tmpdir(), 'vs-unavail-'));
    app = new App({ configDir: dir, uris: [SYSTEM_URI] });
    app.on('event', (e) => e.type === 'console' && states.push(e.console));
    app.start();
    s = app.session();
    await waitFor(
      'both guests running in the model',
      () => [noListen, noSocket].every((g) => app.hosts.get(SYSTEM_URI).guest(g.uuid)?.state === 'running'),
      60_000,
    );
  });

  after(async () => {
    s?.close();
    await app?.close();
    await rig?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says "unavailable", and why, instead of waiting for a display that never listens', async () => {
    await assert.rejects(
      s.openConsole({ host: SYSTEM_URI, uuid: noListen.uuid }, 'vnc'),
      /listens nowhere \(listen type='none'\)/,
    );
    const last = states.filter((c) => c.uuid === noListen.uuid && c.kind === 'vnc').at(-1);
    assert.equal(last?.status, 'unavailable');
    assert.match(last?.reason ?? '', /listens nowhere/);
    assert.equal(app.state().consoles.find((c) => c.uuid === noListen.uuid)?.status, 'unavailable');
  });

  it('says "unavailable": the socket the definition names is missing, with its path', async () => {
    const xml = await rig.virsh('dumpxml', noSocket.uuid);
    const path = /<listen type='socket' socket='([^']+)'/.exec(xml)?.[1];
    assert.ok(path && existsSync(path), `the live definition names an existing socket: ${path}`);
    // QEMU still listens on the socket it made; only its name is gone, as after a clean-up of the folder.
    rmSync(path);
    await assert.rejects(s.openConsole({ host: SYSTEM_URI, uuid: noSocket.uuid }, 'vnc'), (e: Error) =>
      e.message.includes(`the display's socket ${path} is missing`),
    );
    const last = states.filter((c) => c.uuid === noSocket.uuid && c.kind === 'vnc').at(-1);
    assert.equal(last?.status, 'unavailable');
    assert.match(last?.reason ?? '', /socket .* is missing/);
  });
});

describe('console unavailable: a real guest whose VNC display requires TLS (vnc_tls on its host)', () => {
  let rig: TestRig;
  let second: SecondHost;
  let app: App;
  let s: AppSession;
  let dir: string;
  let uuid: string;
  const states: ConsoleState[] = [];

  before(async () => {
    rig = await TestRig.start();
    dir = mkdtempSync(join(tmpdir(), 'vs-vnctls-'));
    const certs = vncTlsCertificates(rig.runDir);
    second = await startSecondHost({
      qemuConf: ['vnc_tls = 1', `vnc_tls_x509_cert_dir = "${certs}"`, 'vnc_tls_x509_verify = 0'],
    });
    uuid = randomUUID();
    const name = `${rig.prefix}vnctls`;
    const serialPath = join(rig.runDir, `${uuid}.serial`);
    writeFileSync(serialPath, '');
    const xmlPath = join(rig.runDir, `${uuid}.xml`);
    writeFileSync(xmlPath, testDomainXml({ name, uuid, serialPath }, { name: 'vnctls' }, rig.image));
    await second.virsh('define', xmlPath);
    await second.virsh('start', uuid);
    app = new App({
      configDir: dir,
      uris: [second.sshUri],
      host: { client: { sshPath: second.sshPath, connectTimeoutMs: 20_000 } },
    });
    app.on('event', (e) => e.type === 'console' && states.push(e.console));
    app.start();
    s = app.session();
    await waitFor(
      'the guest running in the model',
      () => app.hosts.get(second.sshUri).guest(uuid)?.state === 'running',
      60_000,
    );
  });

  after(async () => {
    s?.close();
    await app?.close();
    await second?.stop();
    await rig?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'says "unavailable" with why once QEMU offers only VeNCrypt, and closes the channel',
    { timeout: 60_000 },
    async () => {
      const ch = await s.openConsole({ host: second.sshUri, uuid }, 'vnc');
      const closed = new Promise((r) => ch.once('close', r));
      const got: Buffer[] = [];
      ch.on('data', (d: Buffer) => got.push(d));
      // The viewer's side of the start of RFB: the server's version first, then ours.
      await waitFor('the server version', () => Buffer.concat(got).length >= 12, 30_000, 10);
      assert.match(Buffer.concat(got).subarray(0, 12).toString('latin1'), /^RFB 003\.008\n$/);
      ch.write('RFB 003.008\n');
      await closed;
      const last = states.filter((c) => c.uuid === uuid && c.kind === 'vnc').at(-1);
      assert.equal(last?.status, 'unavailable');
      assert.match(last?.reason ?? '', /requires TLS \(VeNCrypt/);
      assert.equal(app.state().consoles.find((c) => c.uuid === uuid)?.status, 'unavailable');
    },
  );
});

/** A throwaway CA and a server certificate it signed, as QEMU's VNC TLS wants them (ca-cert, server-cert, server-key). */
function vncTlsCertificates(parent: string): string {
  const d = join(parent, 'vnc-tls');
  mkdirSync(d, { recursive: true, mode: 0o755 });
  const openssl = (...args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: d });
    assert.equal(r.status, 0, `openssl ${args[0]}: ${r.stderr?.toString()}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca-cert.pem',
    '-days',
    '2',
    '-subj',
    '/CN=virtswitch test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl('req', ...ec, '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=virtswitch-test');
  writeFileSync(
    join(d, 'server.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca-cert.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-out',
    'server-cert.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
  // QEMU runs as its own user: the test's throwaway key must be readable to it.
  for (const f of readdirSync(d)) chmodSync(join(d, f), 0o644);
  return d;
}
