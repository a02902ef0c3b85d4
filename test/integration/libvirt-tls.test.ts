/**
 * qemu+tls:// against a loopback TLS front: the daemon has no TLS listener here, so a node:tls
 * server that asks for a client certificate plays libvirtd's TLS side — it sends libvirt's one
 * confirmation byte and then pipes to the system daemon's unix socket. Certificates are made with
 * the openssl CLI in a temp folder, in libvirt's file layout (?pkipath=).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { LibvirtClient, TransportError } from '../../main/libvirt/index.js';
import { within } from './libvirt-helpers.js';

function openssl(cwd: string, ...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, and certificates it signs. */
function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  );
}

function makeCert(dir: string, ca: string, name: string, cn: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    `/O=virtswitch test/CN=${cn}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
}

/** libvirt's client layout under ?pkipath=: cacert.pem, clientcert.pem, clientkey.pem. */
function pkiDir(dir: string, name: string, ca: string, client: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  copyFileSync(join(dir, `${ca}.pem`), join(d, 'cacert.pem'));
  copyFileSync(join(dir, `${client}.pem`), join(d, 'clientcert.pem'));
  copyFileSync(join(dir, `${client}.key`), join(d, 'clientkey.pem'));
  return d;
}

type Behaviour = 'libvirtd' | 'refuse-byte' | 'silent';

/** A TLS front for the system daemon. */
async function front(
  dir: string,
  behaviour: Behaviour,
  serverCert = 'server',
  address = '127.0.0.1',
): Promise<{ server: Server; port: number }> {
  const server = createServer(
    {
      key: readFileSync(join(dir, `${serverCert}.key`)),
      cert: readFileSync(join(dir, `${serverCert}.pem`)),
      ca: readFileSync(join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (tls: TLSSocket) => {
      tls.on('error', () => undefined);
      if (behaviour === 'refuse-byte') {
        tls.end(Buffer.from([0]));
        return;
      }
      if (behaviour === 'silent') return;
      const unix = netConnect('/run/libvirt/libvirt-sock');
      unix.on('error', () => tls.destroy());
      unix.once('connect', () => {
        tls.write(Buffer.from([1]));
        tls.pipe(unix);
        unix.pipe(tls);
      });
      tls.on('close', () => unix.destroy());
      unix.on('close', () => tls.destroy());
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, address, r));
  return { server, port: (server.address() as { port: number }).port };
}

describe('libvirt wire client over TLS (a loopback front for the system daemon)', () => {
  let dir: string;
  let good: string;
  let rogue: string;
  const servers: Server[] = [];

  const start = async (behaviour: Behaviour, serverCert?: string, address?: string): Promise<number> => {
    const f = await front(dir, behaviour, serverCert, address);
    servers.push(f.server);
    return f.port;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vs-tls-'));
    makeCa(dir, 'ca');
    makeCa(dir, 'rogue-ca');
    makeCert(dir, 'ca', 'server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
    makeCert(
      dir,
      'ca',
      'elsewhere',
      'kvm.example.org',
      'subjectAltName=DNS:kvm.example.org\nextendedKeyUsage=serverAuth\n',
    );
    makeCert(dir, 'ca', 'client', 'client.virtswitch.invalid', 'extendedKeyUsage=clientAuth\n');
    makeCert(dir, 'rogue-ca', 'rogue-client', 'rogue.invalid', 'extendedKeyUsage=clientAuth\n');
    good = pkiDir(dir, 'pki-good', 'ca', 'client');
    rogue = pkiDir(dir, 'pki-rogue', 'ca', 'rogue-client');
  });

  after(() => {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('qemu+tls://127.0.0.1:PORT/system?pkipath=… : TLS, the confirmation byte, then libvirt as usual', async () => {
    const port = await start('libvirtd');
    const c = await LibvirtClient.connect(`qemu+tls://127.0.0.1:${port}/system?pkipath=${encodeURIComponent(good)}`);
    try {
      assert.equal((await c.call('connectGetUri', undefined)).uri, 'qemu:///system');
      assert.deepEqual(await c.call('authList', undefined), { types: [0] });
      const caps = await c.call('connectGetCapabilities', undefined);
      assert.match(caps.capabilities, /<capabilities>/);
      // Many calls at once over TLS.
      const states = await Promise.all(Array.from({ length: 50 }, () => c.call('connectGetLibVersion', undefined)));
      assert.ok(states.every((s) => s.libVer === 9000000));
    } finally {
      await c.close();
    }
  });

  it('an IPv6 host in brackets: qemu+tls://[::1]:PORT/system', async () => {
    const port = await start('libvirtd', 'server', '::1');
    const c = await LibvirtClient.connect(`qemu+tls://[::1]:${port}/system?pkipath=${encodeURIComponent(good)}`);
    try {
      assert.equal((await c.call('connectGetUri', undefined)).uri, 'qemu:///system');
    } finally {
      await c.close();
    }
  });

  it('a front that answers 0 instead of 1 (the daemon refused our certificate): a clear error', async () => {
    const port = await start('refuse-byte');
    await assert.rejects(
      LibvirtClient.connect(`qemu+tls://127.0.0.1:${port}/system?pkipath=${encodeURIComponent(good)}`),
      (e: unknown) => {
        assert.ok(e instanceof TransportError, String(e));
        assert.match(e.message, /127\.0\.0\.1:\d+ refused our client certificate \(it answered 0, not 1\)/);
        assert.match(e.message, /tls_allowed_dn_list/);
        return true;
      },
    );
  });

  it('a client certificate from a CA the server does not trust is refused in the handshake: a clear error', async () => {
    const port = await start('libvirtd');
    await assert.rejects(
      within(
        LibvirtClient.connect(`qemu+tls://127.0.0.1:${port}/system?pkipath=${encodeURIComponent(rogue)}`),
        15_000,
        'the refusal',
      ),
      (e: unknown) => {
        // As libvirtd does, the front just hangs up (no confirmation byte); with TLS 1.3 that comes
        // after our side of the handshake, so it is the wait for the byte that sees it.
        assert.ok(e instanceof TransportError, String(e));
        assert.match(
          e.message,
          /127\.0\.0\.1:\d+ closed the TLS connection before confirming it|TLS connection to 127\.0\.0\.1:\d+ failed/,
        );
        assert.match(
          e.message,
          /the daemon may have refused our client certificate \(check it, its CA and tls_allowed_dn_list on the host\)/,
        );
        return true;
      },
    );
  });

  it('a server whose certificate names another host is refused, unless ?no_verify=1', async () => {
    const port = await start('libvirtd', 'elsewhere');
    await assert.rejects(
      LibvirtClient.connect(`qemu+tls://127.0.0.1:${port}/system?pkipath=${encodeURIComponent(good)}`),
      (e: unknown) => {
        assert.ok(e instanceof TransportError, String(e));
        assert.match(
          e.message,
          /does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID|IP: 127\.0\.0\.1 is not in the cert's list/,
        );
        return true;
      },
    );
    const c = await LibvirtClient.connect(
      `qemu+tls://127.0.0.1:${port}/system?pkipath=${encodeURIComponent(good)}&no_verify=1`,
    );
    assert.equal((await c.call('connectGetUri', undefined)).uri, 'qemu:///system');
    await c.close();
  });

  it('a front that never confirms: a timeout, not a hang', async () => {
    const port = await start('silent');
    await assert.rejects(
      within(
        LibvirtClient.connect(`qemu+tls://127.0.0.1:${port}/system?pkipath=${encodeURIComponent(good)}`, {
          connectTimeoutMs: 1500,
        }),
        10_000,
        'the silent front',
      ),
      (e: unknown) => e instanceof TransportError && /sent no TLS confirmation within 1500 ms/.test(e.message),
    );
  });
});
