/**
 * The serve shell against a page or a client that has (or guesses at) the secret: where the
 * secret may travel, which Host and Origin are let in, how many connections, and what is served.
 * Needs only the running system daemon, no guests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiUrl, openWs, rawUpgrade, serve, type Served } from './serve-helpers.js';

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
});
