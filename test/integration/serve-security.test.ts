/**
 * The serve shell's defences, in-process against the system daemon: refusals at the handshake
 * (no secret, a wrong one, a foreign Origin, a foreign Host; never a 101), static paths that try
 * to leave their folder, malformed and oversized API messages, clients that vanish mid-handshake,
 * slow clients (a console that is never read, a flood into a console that is never drained, an
 * API client that never reads), and a secret that never reaches the log.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { openVncChannel, type ChannelReader } from '../../main/consoles/endpoint.js';
import { RELAY_HIGH_WATER, SERIAL_MAX_BUFFERED } from '../../main/serve/console-channel.js';
import { TestRig, type TestGuest } from '../rig/guests.js';
import { apiClient, deafSink, fastSource, FastSerial, mem, patternAt, plateau, rawGet } from './serve-clients.js';
import {
  apiUrl,
  closeWs,
  consoleUrl,
  fdTargets,
  openWs,
  rawUpgrade,
  rfbHandshake,
  serve,
  waitFor,
  waitModel,
  within,
  withSecret,
  type Served,
} from './serve-helpers.js';

const FAKE = '11111111-2222-4333-8444-555555555555';

describe('serve shell: refusals, hostile input and slow clients', () => {
  let rig: TestRig;
  let s: Served;
  let g: TestGuest;
  /** Routes console requests for FAKE to a stream the test chooses. */
  let fake: ((reader?: ChannelReader) => Promise<Duplex>) | undefined;

  before(async () => {
    rig = await TestRig.start();
    g = await rig.define({ name: 'serve-sec' });
    s = await serve();
    await waitModel(s, g, 'running');
    const real = s.app.consoles.open.bind(s.app.consoles);
    s.app.consoles.open = (ref, kind, opts) => (ref.uuid === FAKE && fake ? fake(opts?.reader) : real(ref, kind, opts));
  });

  after(async () => {
    await s?.close();
    await rig?.cleanup();
  });

  it('refuses a WebSocket without the secret, with a wrong one, from a foreign Origin or Host: never a 101', async () => {
    const o = { Origin: s.shell.origin };
    for (const [url, headers, status, what] of [
      [apiUrl(s.shell, null), o, 401, 'API, no secret'],
      [apiUrl(s.shell, 'wrong'), o, 401, 'API, wrong secret'],
      [apiUrl(s.shell, `${s.shell.token}x`), o, 401, 'API, secret with a suffix'],
      [apiUrl(s.shell, s.shell.token.slice(1)), o, 401, 'API, secret missing a character'],
      [consoleUrl(s.shell, g, 'vnc', null), o, 401, 'console, no secret'],
      [consoleUrl(s.shell, g, 'vnc', 'wrong'), o, 401, 'console, wrong secret'],
      [apiUrl(s.shell), { Origin: 'http://evil.example' }, 403, 'API, foreign Origin'],
      [apiUrl(s.shell), { Origin: 'null' }, 403, 'API, opaque Origin'],
      [apiUrl(s.shell), { Origin: s.shell.origin.replace(/:\d+$/, ':1') }, 403, 'API, same host, other port'],
      [apiUrl(s.shell), { Origin: s.shell.origin.replace('http:', 'https:') }, 403, 'API, other scheme'],
      [consoleUrl(s.shell, g), { Origin: 'http://evil.example' }, 403, 'console, foreign Origin'],
      [consoleUrl(s.shell, g), { Origin: 'http://evil.example', Host: 'evil.example' }, 403, 'console, rebinding Host'],
      [apiUrl(s.shell), { Host: `evil.example:${s.shell.port}` }, 403, 'API, foreign Host without Origin'],
    ] as const) {
      const r = await rawUpgrade(url, headers);
      assert.equal(r.upgraded, false, `${what}: no 101`);
      assert.equal(r.status, status, `${what}: ${r.status} ${r.body}`);
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'access-denied', what);
    }
    // The secret is checked before the guest is even looked at: nothing opened, nothing said.
    assert.equal(s.app.consoles.openCount, 0);
    // The same origin, and no Origin at all (a non-browser client), are let in.
    for (const headers of [
      { Origin: s.shell.origin },
      {} as Record<string, string>,
      { Origin: s.shell.origin.replace('127.0.0.1', 'localhost'), Host: `localhost:${s.shell.port}` },
    ]) {
      const r = await rawUpgrade(apiUrl(s.shell), headers);
      assert.equal(r.status, 101, JSON.stringify(headers));
    }
    assert.equal((await rawUpgrade(`${apiUrl(s.shell).replace('/api', '/other')}`, o)).status, 404);
  });

  it('serves the static files without the secret, and nothing outside their folder', async () => {
    const outside = join(dirname(s.staticDir), `outside-${process.pid}.txt`);
    writeFileSync(outside, 'SECRET-OUTSIDE\n');
    mkdirSync(join(s.staticDir, 'sub'), { recursive: true });
    writeFileSync(join(s.staticDir, 'sub', 'x.txt'), 'inside\n');
    try {
      const index = await rawGet(s.shell.port, '/');
      assert.equal(index.status, 200);
      assert.match(index.text, /virtswitch test/);
      assert.match(index.text, /Content-Security-Policy: default-src 'none'/i);
      assert.match(index.text, /X-Content-Type-Options: nosniff/i);
      assert.equal((await rawGet(s.shell.port, '/app.js')).status, 200);
      assert.equal((await rawGet(s.shell.port, '/sub/x.txt')).status, 200);
      const name = `outside-${process.pid}.txt`;
      const escapes = [
        `/../${name}`,
        `/sub/../../${name}`,
        `/%2e%2e/${name}`,
        `/%2E%2E/${name}`,
        `/.%2e/${name}`,
        `/..%2f${name}`,
        `/sub%2f..%2f..%2f${name}`,
        `/%2e%2e%2f${name}`,
        `/..%5c${name}`,
        `/%252e%252e/${name}`,
        `/..//${name}`,
        `//..//${name}`,
        `/./../${name}`,
        `/index.html%00.js`,
        `/%00`,
        `/..%00/${name}`,
        `/%ff`,
        `/%`,
        `/sub/`,
        `/sub`,
        `http://127.0.0.1:${s.shell.port}/../${name}`,
        '/../../../../../../etc/passwd',
        '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
        '/..%2f..%2f..%2f..%2fetc%2fpasswd',
      ];
      for (const path of escapes) {
        const r = await rawGet(s.shell.port, path);
        assert.doesNotMatch(r.text, /SECRET-OUTSIDE|root:x:0/, `${path} must not escape`);
        assert.ok([400, 404].includes(r.status), `${path}: ${r.status}`);
      }
      assert.equal((await rawGet(s.shell.port, '/index.html?x=/../..')).status, 200);
    } finally {
      rmSync(outside, { force: true });
    }
  });

  it('answers malformed API messages with a clear error and keeps the connection', async () => {
    const c = await apiClient(s);
    const first = await c.next(() => true);
    assert.equal(first.type, 'state', 'the whole state comes first');
    const bad: [string | Buffer, RegExp][] = [
      ['{not json', /not JSON/],
      ['', /not JSON/],
      ['null', /expected an object/],
      ['[1,2]', /expected an object/],
      ['"state.get"', /expected an object/],
      ['{"id":1}', /Unknown command/],
      ['{"id":2,"command":"no.such"}', /Unknown command/],
      ['{"id":3,"command":"guest.start","params":{"host":1}}', /Bad input for guest.start/],
      ['{"id":4,"command":"guest.start","params":{"host":"qemu:///system","uuid":"x","extra":1}}', /Bad input/],
      ['{"id":5,"command":"__proto__"}', /Unknown command/],
      ['{"id":6,"command":"toString"}', /Unknown command/],
      [Buffer.from([1, 2, 3]), /binary/],
      ['['.repeat(100_000), /not JSON|expected/],
    ];
    for (const [msg, want] of bad) {
      c.ws.send(msg, { binary: Buffer.isBuffer(msg) });
      const m = await c.next((x) => 'error' in x);
      const err = m.error as { code: string; message: string };
      assert.equal(err.code, 'invalid-input', `${String(msg).slice(0, 40)} → ${err.message}`);
      assert.match(err.message, want);
    }
    // Still open, and still working.
    c.ws.send(JSON.stringify({ id: 'ok', command: 'state.get', params: {} }));
    const ok = await c.next((x) => x.id === 'ok');
    assert.ok('result' in ok && (ok.result as { hosts: unknown[] }).hosts.length === 1);
    await closeWs(c.ws);
  });

  it('refuses an oversized API message by closing that channel (1009), and nothing else', async () => {
    const other = await apiClient(s);
    const c = await apiClient(s);
    const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
    c.ws.send(JSON.stringify({ id: 1, command: 'state.get', params: { pad: 'x'.repeat(2 << 20) } }));
    assert.equal(await within(closed, 10_000, 'the close'), 1009);
    other.ws.send(JSON.stringify({ id: 'still', command: 'state.get', params: {} }));
    assert.ok('result' in (await other.next((x) => x.id === 'still')));
    await closeWs(other.ws);
  });

  it('survives clients that reset the connection in the middle of a handshake', async () => {
    const reqFor = (url: string): string => {
      const wire = withSecret(url);
      const u = new URL(wire.url);
      const secret = wire.protocols.length ? `Sec-WebSocket-Protocol: ${wire.protocols.join(', ')}\r\n` : '';
      return `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: 127.0.0.1:${s.shell.port}\r\nOrigin: ${s.shell.origin}\r\n${secret}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\n\r\n`;
    };
    const urls = [
      consoleUrl(s.shell, g),
      consoleUrl(s.shell, g, 'vnc', 'wrong'),
      apiUrl(s.shell),
      consoleUrl(s.shell, { uuid: FAKE }),
    ];
    for (let i = 0; i < 20; i++) {
      for (const url of urls) {
        await new Promise<void>((resolve) => {
          const sock = connect(s.shell.port, '127.0.0.1', () => {
            sock.write(reqFor(url));
            // Sometimes at once, sometimes a moment later: before and during the console's opening.
            setImmediate(() => {
              if (i % 2) sock.resetAndDestroy();
              else sock.destroy();
              resolve();
            });
          });
          sock.on('error', () => resolve());
        });
      }
    }
    // Alive, and nothing left open.
    await waitFor('every console channel to close', () => s.app.consoles.openCount === 0, 10_000);
    const { ws, reader } = await openWs(consoleUrl(s.shell, g), { origin: s.shell.origin });
    assert.equal((await rfbHandshake(reader)).version, 'RFB 003.008\n');
    await closeWs(ws);
  });

  for (const how of ['reads into one reused buffer', "emits 'data'"] as const) {
    it(`pauses the guest side while a browser does not read its console (a channel that ${how}): memory stays bounded`, async () => {
      const src = await fastSource();
      fake = async (reader) => {
        if (how === 'reads into one reused buffer')
          return openVncChannel({ kind: 'tcp', host: '127.0.0.1', port: src.port }, {}, 10_000, reader);
        const sock = connect(src.port, '127.0.0.1');
        await new Promise((r) => sock.once('connect', r));
        return sock;
      };
      try {
        const before = mem();
        const { ws, reader } = await openWs(consoleUrl(s.shell, { uuid: FAKE }), { origin: s.shell.origin });
        reader.discard = true;
        ws.pause(); // the browser stops reading: everything stays in the kernel's buffers
        const stalled = await plateau('the fast source', src.written);
        const grown = mem() - before;
        // Kernel socket buffers hold some megabytes on each hop; the relay itself at most its window.
        assert.ok(stalled < 256 << 20, `the source stalled after ${stalled >> 20} MiB`);
        assert.ok(grown < 6 * RELAY_HIGH_WATER + (16 << 20), `memory grew by ${grown >> 20} MiB`);
        // When the browser reads again, the flow resumes, and every byte is the source's, in order.
        let corrupt = 0;
        let offset = reader.received;
        ws.on('message', (d: Buffer) => {
          for (let i = 0; i < d.length; i += 97) if (d[i] !== patternAt(offset + i)) corrupt++;
          if (d[d.length - 1] !== patternAt(offset + d.length - 1)) corrupt++;
          offset += d.length;
        });
        ws.resume();
        await waitFor(
          'the flow to resume',
          () => src.written() > stalled + (64 << 20) && reader.received > stalled,
          30_000,
        );
        assert.equal(corrupt, 0);
        await closeWs(ws);
      } finally {
        fake = undefined;
        for (const sock of src.sockets) sock.destroy();
        src.server.close();
      }
    });
  }

  it('pauses a browser that floods a console the guest does not drain: memory stays bounded', async () => {
    const sink = await deafSink();
    fake = async () => {
      const sock = connect(sink.port, '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      return sock;
    };
    try {
      const before = mem();
      const { ws } = await openWs(consoleUrl(s.shell, { uuid: FAKE }), { origin: s.shell.origin });
      const block = Buffer.alloc(256 << 10, 0x41);
      let sent = 0;
      // Send while our own side takes it: a stall means the server stopped reading us.
      const flood = setInterval(() => {
        while (ws.readyState === ws.OPEN && ws.bufferedAmount < 2 << 20) {
          ws.send(block);
          sent += block.length;
        }
      }, 5);
      try {
        const stalled = await plateau('the flood', () => sent);
        const grown = mem() - before;
        assert.ok(stalled < 256 << 20, `the flood stalled after ${stalled >> 20} MiB`);
        assert.ok(grown < 48 << 20, `memory grew by ${grown >> 20} MiB`);
        assert.equal(ws.readyState, ws.OPEN);
      } finally {
        clearInterval(flood);
      }
      ws.terminate();
      await waitFor('the channel to close', () => s.app.consoles.openCount === 0);
    } finally {
      fake = undefined;
      for (const sock of sink.sockets) sock.destroy();
      sink.server.close();
    }
  });

  it("never pauses a serial console for a browser that does not read it (that would stop the host's whole libvirt connection): closes it (1013)", async () => {
    const serial = new FastSerial();
    fake = () => Promise.resolve(serial);
    try {
      const before = mem();
      const { ws, reader } = await openWs(consoleUrl(s.shell, { uuid: FAKE }, 'serial'), { origin: s.shell.origin });
      reader.discard = true;
      ws.pause();
      await waitFor('the channel to be closed on the server side', () => serial.destroyed, 30_000);
      assert.equal(serial.stalls, 0, 'the stream was never left unread');
      assert.ok(serial.produced > SERIAL_MAX_BUFFERED, `${serial.produced >> 20} MiB produced`);
      assert.ok(mem() - before < SERIAL_MAX_BUFFERED + (48 << 20), `memory grew by ${(mem() - before) >> 20} MiB`);
      ws.resume();
      const closed = await reader.waitClosed(40_000);
      assert.equal(closed.code, 1013);
      assert.match(closed.reason, /did not keep up with the serial console/);
    } finally {
      fake = undefined;
      serial.destroy();
    }
  });

  it('drops an API client that never reads instead of buffering for it', async () => {
    const c = await apiClient(s);
    await c.next((x) => x.type === 'state');
    c.ws.pause();
    const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
    const before = mem();
    let sent = 0;
    // Each answer carries the whole state; ask until the server gives up on us.
    await waitFor(
      'the server to stop answering',
      async () => {
        for (let i = 0; i < 500; i++) c.ws.send(JSON.stringify({ id: sent++, command: 'state.get', params: {} }));
        await new Promise((r) => setTimeout(r, 5));
        return sent > 40_000 || undefined;
      },
      60_000,
    );
    assert.ok(mem() - before < 96 << 20, `memory grew by ${(mem() - before) >> 20} MiB`);
    c.ws.resume();
    assert.equal(await within(closed, 40_000, 'the close'), 1013);
  });

  it('never writes the secret to its log, and leaves no descriptor of these tests open', async () => {
    // Everything the shell logged during this whole file, refusals and failures included.
    for (const line of s.logs) assert.ok(!line.includes(s.shell.token), `log line carries the secret: ${line}`);
    const events = JSON.stringify(s.events);
    assert.ok(!events.includes(s.shell.token), 'no API event carries the secret');
    await waitFor('no console open', () => s.app.consoles.openCount === 0);
    const sockets = fdTargets().filter((t) => t.startsWith('socket:')).length;
    assert.ok(sockets < 40, `${sockets} sockets open in this process`);
  });
});
