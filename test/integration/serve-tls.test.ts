/**
 * The serve shell over TLS (--tls-cert/--tls-key), with a certificate made by the openssl CLI:
 * https for the static files, wss for the API and a real guest's console, and the same checks at
 * the handshake as in clear. Also bound to a non-loopback address, as TLS allows.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { get as httpGet } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { TestRig, type TestGuest } from '../rig/guests.js';
import {
  apiUrl,
  closeWs,
  consoleUrl,
  makeCert,
  rawUpgrade,
  rfbHandshake,
  serve,
  waitModel,
  within,
  WsReader,
  withSecret,
  freePort,
  type Served,
} from './serve-helpers.js';

/** This machine's first non-loopback IPv4 address, if it has one. */
function outsideAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

function fetchText(url: string, ca?: Buffer): Promise<{ status: number; body: string }> {
  return within(
    new Promise((resolve, reject) => {
      const req = url.startsWith('https:') ? httpsGet(url, { ca }) : httpGet(url);
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    }),
    10_000,
    `GET ${url}`,
  );
}

function openTls(url: string, ca: Buffer, origin: string): Promise<WsReader> {
  return new Promise((resolve, reject) => {
    const wire = withSecret(url);
    const ws = new WebSocket(wire.url, wire.protocols, { ca, origin, perMessageDeflate: false });
    const r = new WsReader(ws);
    ws.once('open', () => resolve(r));
    ws.once('error', reject);
  });
}

describe('serve shell over TLS', () => {
  let rig: TestRig;
  let g: TestGuest;
  let dir: string;
  let tls: { cert: string; key: string };
  let ca: Buffer;
  let s: Served;
  const outside = outsideAddress();

  before(async () => {
    rig = await TestRig.start();
    g = await rig.define({ name: 'serve-tls' });
    dir = mkdtempSync(join(tmpdir(), 'vs-tls-'));
    tls = makeCert(dir, ['127.0.0.1', ...(outside ? [outside] : [])]);
    ca = readFileSync(tls.cert);
    s = await serve({ tls });
    await waitModel(s, g, 'running');
  });

  after(async () => {
    await s?.close();
    await rig?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves https and no plain http on the same port', async () => {
    assert.match(s.shell.origin, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(s.shell.url, /^https:\/\/127\.0\.0\.1:\d+\/#token=/);
    const page = await fetchText(`${s.shell.origin}/`, ca);
    assert.equal(page.status, 200);
    assert.match(page.body, /virtswitch test/);
    assert.equal((await fetchText(`${s.shell.origin}/../../etc/passwd`, ca)).status, 404);
    await assert.rejects(fetchText(s.shell.origin.replace('https:', 'http:') + '/'));
  });

  it('speaks wss for the API and a real console, with the secret and the same origin', async () => {
    const api = await openTls(apiUrl(s.shell), ca, s.shell.origin);
    const first = await api.read(1).then(async (b) => b.toString() + (await api.until('}', 10_000)));
    assert.match(first, /^\{"type":"state"/);
    await closeWs(api.ws);
    const con = await openTls(consoleUrl(s.shell, g), ca, s.shell.origin);
    const hs = await rfbHandshake(con);
    assert.equal(hs.version, 'RFB 003.008\n');
    await closeWs(con.ws);
  });

  it('refuses at the handshake as in clear: no secret, a wrong one, a foreign or plain-http Origin', async () => {
    const o = { Origin: s.shell.origin };
    const cases: [string, Record<string, string>, number][] = [
      [apiUrl(s.shell, null), o, 401],
      [apiUrl(s.shell, 'nope'), o, 401],
      [consoleUrl(s.shell, g, 'vnc', 'nope'), o, 401],
      [apiUrl(s.shell), { Origin: 'https://evil.example' }, 403],
      [consoleUrl(s.shell, g), { Origin: s.shell.origin.replace('https:', 'http:') }, 403],
    ];
    for (const [url, headers, status] of cases) {
      const r = await rawUpgrade(url, headers, ca);
      assert.equal(r.upgraded, false);
      assert.equal(r.status, status, `${url} ${JSON.stringify(headers)}`);
    }
    assert.equal((await rawUpgrade(consoleUrl(s.shell, g), o, ca)).status, 101);
  });

  it(
    'binds to a non-loopback address with TLS and answers under its public origin',
    { skip: outside ? false : 'no non-loopback address here' },
    async () => {
      const port = await freePort();
      const there = await serve({ tls, host: outside!, port, publicOrigin: `https://${outside}:${port}` });
      try {
        assert.equal(there.shell.origin, `https://${outside}:${there.shell.port}`);
        assert.equal((await fetchText(`${there.shell.origin}/`, ca)).status, 200);
        await waitModel(there, g, 'running');
        const con = await openTls(consoleUrl(there.shell, g), ca, there.shell.origin);
        assert.equal((await rfbHandshake(con)).version, 'RFB 003.008\n');
        await closeWs(con.ws);
        assert.equal((await rawUpgrade(apiUrl(there.shell, 'nope'), { Origin: there.shell.origin }, ca)).status, 401);
        assert.equal((await rawUpgrade(apiUrl(there.shell), { Origin: 'https://evil.example' }, ca)).status, 403);
      } finally {
        await there.close();
      }
    },
  );

  it(
    'bound to every interface, answers under its public origin only, and prints that',
    { skip: outside ? false : 'no non-loopback address here' },
    async () => {
      const port = await freePort();
      const all = await serve({ tls, host: '0.0.0.0', port, publicOrigin: `https://${outside}:${port}` });
      try {
        assert.equal(all.shell.origin, `https://${outside}:${port}`);
        assert.match(all.shell.url, new RegExp(`^https://${outside!.replace(/\./g, '\\.')}:${port}/#token=`));
        const viaOutside = { origin: `https://${outside}:${all.shell.port}`, token: all.shell.token };
        const viaLoopback = { origin: `https://127.0.0.1:${port}`, token: all.shell.token };
        // Another name of the same machine is not the public origin: refused, as a rebinding page is.
        assert.equal((await rawUpgrade(apiUrl(viaLoopback), { Origin: viaLoopback.origin }, ca)).status, 403);
        assert.equal((await rawUpgrade(apiUrl(viaLoopback), {}, ca)).status, 403);
        await waitModel(all, g, 'running');
        const con = await openTls(consoleUrl(viaOutside, g), ca, viaOutside.origin);
        assert.equal((await rfbHandshake(con)).version, 'RFB 003.008\n');
        await closeWs(con.ws);
        assert.equal((await rawUpgrade(apiUrl(viaOutside), { Origin: viaOutside.origin }, ca)).status, 101);
        assert.equal(
          (await rawUpgrade(apiUrl(viaOutside), { Origin: viaLoopback.origin }, ca)).status,
          403,
          'an Origin that is not the public origin',
        );
        assert.equal((await rawUpgrade(apiUrl(viaOutside, 'nope'), { Origin: viaOutside.origin }, ca)).status, 401);
      } finally {
        await all.close();
      }
    },
  );
});
