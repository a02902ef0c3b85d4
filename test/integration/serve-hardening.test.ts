/**
 * The serve shell against a page or a client that has (or guesses at) the secret: where the
 * secret may travel, which Host and Origin are let in, how many connections, and what is served.
 * Needs only the running system daemon, no guests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { startServeShell, type ServeShell } from '../../main/serve/server.js';
import { FREE_FAILURES } from '../../main/serve/guard.js';
import { apiUrl, consoleUrl, freePort, openWs, rawUpgrade, serve, type Served } from './serve-helpers.js';

const FAKE = '11111111-2222-4333-8444-555555555555';

/** A console that stays open and says nothing until closed. */
function quietConsole(): Duplex {
  return new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
}

describe('serve shell hardening', () => {
  let s: Served;

  before(async () => {
    s = await serve();
  });

  after(async () => {
    await s?.close();
  });

  it('takes the secret from the Sec-WebSocket-Protocol header only, never from the URL', async () => {
    const o = { Origin: s.shell.origin };
    const inQuery = `${apiUrl(s.shell, null)}?token=${encodeURIComponent(s.shell.token)}`;
    const r = await rawUpgrade(inQuery, o);
    assert.equal(r.upgraded, false, 'a secret in the query string is no secret: no 101');
    assert.equal(r.status, 401);

    const ok = await rawUpgrade(apiUrl(s.shell), o);
    assert.equal(ok.status, 101);
    // The answer names our subprotocol and never echoes the secret back.
    assert.equal(ok.headers['sec-websocket-protocol'], 'virtswitch');
    assert.ok(!JSON.stringify(ok.headers).includes(s.shell.token));

    const { ws } = await openWs(apiUrl(s.shell), { origin: s.shell.origin });
    assert.equal(ws.protocol, 'virtswitch');
    ws.close();
  });

  it('off loopback, needs a public origin and lets in only its Host and Origin (no DNS rebinding)', async () => {
    await assert.rejects(
      startServeShell({ app: s.app, host: '0.0.0.0', port: 0, staticDir: s.staticDir }),
      /needs --public-origin/,
    );
    const port = await freePort();
    const publicOrigin = `http://127.0.0.1:${port}`;
    const shell = await startServeShell({ app: s.app, host: '0.0.0.0', port, staticDir: s.staticDir, publicOrigin });
    try {
      assert.equal(shell.url, `${publicOrigin}/#token=${shell.token}`);
      assert.equal((await rawUpgrade(apiUrl(shell), { Origin: publicOrigin })).status, 101);
      // A page on evil.example whose name now points here: its Host and Origin agree, and are not ours.
      const rebound = { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` };
      assert.equal((await rawUpgrade(apiUrl(shell), rebound)).status, 403);
      assert.equal((await rawUpgrade(apiUrl(shell), { Host: `evil.example:${port}` })).status, 403);
      assert.equal((await rawUpgrade(apiUrl(shell), { Origin: `http://localhost:${port}` })).status, 403);
    } finally {
      await shell.close();
    }
  });

  it('off loopback, makes an address that keeps guessing the secret wait, even once it has it right', async () => {
    const port = await freePort();
    const publicOrigin = `http://127.0.0.1:${port}`;
    const shell = await startServeShell({ app: s.app, host: '0.0.0.0', port, staticDir: s.staticDir, publicOrigin });
    const o = { Origin: shell.origin };
    try {
      for (let i = 0; i < FREE_FAILURES; i++)
        assert.equal((await rawUpgrade(apiUrl(shell, `guess${i}`), o)).status, 401);
      // Within the free failures a right secret still works, and starts the count again.
      assert.equal((await rawUpgrade(apiUrl(shell), o)).status, 101);
      for (let i = 0; i <= FREE_FAILURES; i++) await rawUpgrade(apiUrl(shell, `guess${i}`), o);
      const r = await rawUpgrade(apiUrl(shell), o);
      assert.equal(r.status, 429, r.body);
      assert.match(r.body, /too many wrong secrets; try again in \d+ s/);
    } finally {
      await shell.close();
    }
  });

  it('caps open consoles per client and per host, and the TCP connections', async () => {
    const real = s.app.consoles.open.bind(s.app.consoles);
    s.app.consoles.open = (ref, kind, opts) =>
      ref.uuid === FAKE ? Promise.resolve(quietConsole()) : real(ref, kind, opts);
    const shells: ServeShell[] = [];
    const start = async (o: object): Promise<ServeShell> => {
      const sh = await startServeShell({ app: s.app, host: '127.0.0.1', port: 0, staticDir: s.staticDir, ...o });
      shells.push(sh);
      return sh;
    };
    try {
      for (const limits of [
        { perClient: 2, perHost: 10 },
        { perClient: 10, perHost: 2 },
      ]) {
        const shell = await start({ consoleLimits: limits });
        const url = consoleUrl(shell, { uuid: FAKE });
        const a = await openWs(url, { origin: shell.origin });
        await openWs(url, { origin: shell.origin });
        const third = await rawUpgrade(url, { Origin: shell.origin });
        assert.equal(third.status, 429, JSON.stringify(limits));
        assert.match(third.body, /too many consoles open/);
        a.ws.close();
        await a.reader.waitClosed();
        await new Promise((r) => setTimeout(r, 50));
        const again = await openWs(url, { origin: shell.origin });
        again.ws.close();
      }
      const few = await start({ maxConnections: 2 });
      await openWs(apiUrl(few), { origin: few.origin });
      await openWs(apiUrl(few), { origin: few.origin });
      await assert.rejects(openWs(apiUrl(few), { origin: few.origin }));
    } finally {
      s.app.consoles.open = real;
      for (const sh of shells) await sh.close();
    }
  });
});
