/**
 * A console over a MessagePort: the main process's relay (main/electron/console-relay.ts) and
 * the page's WebSocket-shaped channel (renderer/src/bridge/electron.ts) joined by a fake port
 * pair, with real Duplex streams on the guest's side (a scripted one, and a TCP socket).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { isConsoleControl, ownArrayBuffer } from '../../common/desktop-api.js';
import { PAGE_SEND_WINDOW, relayConsole, type ConsoleControl } from '../../main/electron/console-relay.js';
import { CONSOLE_SEND_WINDOW, ElectronConsoleChannel } from '../../renderer/src/bridge/electron.js';
import { fakePortPair, settle } from './electron-fakes.js';

/** A guest's side: what the page sends lands in `written`; `push` plays the guest's bytes. */
function scriptedGuest(opts: { holdWrites?: boolean } = {}) {
  const written: Buffer[] = [];
  const held: (() => void)[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      if (opts.holdWrites) held.push(() => cb());
      else cb();
    },
  });
  return {
    stream,
    written,
    push: (b: Buffer) => stream.push(b),
    releaseWrites: () => {
      for (const cb of held.splice(0)) cb();
    },
    bytesWritten: () => Buffer.concat(written),
  };
}

/** A page channel joined to a relay over `stream`. */
function joined(stream: Duplex, relayOpts: Parameters<typeof relayConsole>[2] = {}) {
  const { main, page } = fakePortPair();
  const closedStreams: string[] = [];
  const relay = relayConsole(main, stream, {
    closeStream: (s, why) => {
      closedStreams.push(why);
      s.destroy();
    },
    ...relayOpts,
  });
  const channel = new ElectronConsoleChannel();
  const received: Buffer[] = [];
  const closes: { code?: number; reason?: string; wasClean?: boolean }[] = [];
  let opened = 0;
  channel.onopen = () => opened++;
  channel.onmessage = (ev) => received.push(Buffer.from(ev.data as ArrayBuffer));
  channel.onclose = (ev) => closes.push(ev);
  channel.attach(page);
  return { main, page, relay, channel, received, closes, closedStreams, opened: () => opened };
}

const bytes = (n: number, seed = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe('console relay ↔ page channel', () => {
  it('opens, and carries bytes both ways in order', async () => {
    const guest = scriptedGuest();
    const j = joined(guest.stream);
    assert.equal(j.opened(), 1);
    assert.equal(j.channel.readyState, ElectronConsoleChannel.OPEN);
    assert.equal(j.channel.protocol, '');
    guest.push(Buffer.from('RFB 003.008\n'));
    guest.push(bytes(5000));
    j.channel.send(new TextEncoder().encode('RFB 003.008\n'));
    // A view into a larger buffer sends only its own bytes (noVNC sends such views).
    const big = new Uint8Array(64);
    big.set([1, 2, 3], 10);
    j.channel.send(big.subarray(10, 13));
    j.channel.send('text');
    await settle();
    assert.deepEqual(Buffer.concat(j.received), Buffer.concat([Buffer.from('RFB 003.008\n'), bytes(5000)]));
    assert.deepEqual(
      guest.bytesWritten(),
      Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1, 2, 3]), Buffer.from('text')]),
    );
    // Every byte each way has been acknowledged.
    assert.equal(j.channel.bufferedAmount, 0);
  });

  it('each chunk reaches the page as an ArrayBuffer of its own bytes only', async () => {
    const guest = scriptedGuest();
    const j = joined(guest.stream);
    const pool = Buffer.alloc(8192, 0xee);
    pool.write('secret', 100);
    guest.push(pool.subarray(0, 4));
    await settle();
    const sent = j.main.posted.filter((m): m is ArrayBuffer => m instanceof ArrayBuffer);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.byteLength, 4);
  });

  it('pauses the guest while the page is a window behind, and resumes when it catches up', async () => {
    const guest = scriptedGuest();
    const { main, page } = fakePortPair();
    relayConsole(main, guest.stream, { highWater: 32 << 10, lowWater: 8 << 10 });
    // A page that reads but does not acknowledge (yet).
    const got: ArrayBuffer[] = [];
    page.onmessage = (ev) => {
      if (ev.data instanceof ArrayBuffer) got.push(ev.data);
    };
    for (let i = 0; i < 16; i++) guest.push(bytes(4096, i));
    await settle();
    assert.equal(guest.stream.isPaused(), true, 'the guest side is paused');
    const sentBeforeAck = got.reduce((n, b) => n + b.byteLength, 0);
    assert.ok(
      sentBeforeAck > 32 << 10 && sentBeforeAck <= (32 << 10) + 4096,
      `sent ${sentBeforeAck} bytes before the pause`,
    );
    page.postMessage({ t: 'ack', n: sentBeforeAck } satisfies ConsoleControl);
    await settle();
    assert.equal(guest.stream.isPaused(), false, 'the guest side flows again');
    assert.equal(
      got.reduce((n, b) => n + b.byteLength, 0),
      16 * 4096,
    );
  });

  it('the page queues its input while the guest is a window behind', async () => {
    const guest = scriptedGuest({ holdWrites: true });
    const j = joined(guest.stream);
    const chunk = bytes(256 << 10);
    for (let i = 0; i < 8; i++) j.channel.send(chunk); // 2 MiB, twice the window
    await settle();
    // What the relay took from the page and handed to the stream (nothing is acknowledged yet,
    // so all of it is still counted in the stream's writable length).
    const arrived = guest.stream.writableLength;
    assert.equal(arrived, CONSOLE_SEND_WINDOW, 'only one window is in flight');
    assert.equal(j.channel.bufferedAmount, 8 * chunk.length, 'all of it is still buffered');
    for (let i = 0; i < 64 && guest.bytesWritten().length < 8 * chunk.length; i++) {
      guest.releaseWrites();
      await settle(1);
    }
    guest.releaseWrites();
    await settle();
    assert.equal(guest.bytesWritten().length, 8 * chunk.length);
    assert.deepEqual(guest.bytesWritten(), Buffer.concat(Array(8).fill(chunk)));
    assert.equal(j.channel.bufferedAmount, 0);
  });

  it('a page that overruns its window is cut off', async () => {
    const guest = scriptedGuest({ holdWrites: true });
    const { main, page } = fakePortPair();
    const closed: string[] = [];
    relayConsole(main, guest.stream, { closeStream: (s, why) => (closed.push(why), s.destroy()) });
    page.start();
    for (let i = 0; i < 20; i++) page.postMessage(bytes(128 << 10).buffer);
    await settle();
    assert.deepEqual(closed, ['the viewer sent more than its window']);
    assert.equal(guest.stream.destroyed, true);
    assert.ok(guest.bytesWritten().length <= PAGE_SEND_WINDOW + (64 << 10));
  });

  it('closes cleanly from the guest side, saying why', async () => {
    const guest = scriptedGuest();
    const j = joined(guest.stream, { reasonOf: () => 'the guest stopped' });
    guest.push(Buffer.from('bye'));
    await settle();
    guest.stream.destroy();
    await settle();
    assert.equal(j.channel.readyState, ElectronConsoleChannel.CLOSED);
    assert.deepEqual(j.closes, [{ code: 1000, reason: 'the guest stopped', wasClean: true }]);
    assert.deepEqual(Buffer.concat(j.received).toString(), 'bye');
    assert.equal(j.relay.closed, true);
    assert.equal(j.page.closed, true, "the page closed its end on the relay's word");
  });

  it('a guest-side error closes the page channel with 1011 and the error', async () => {
    const guest = scriptedGuest();
    const j = joined(guest.stream);
    guest.stream.destroy(new Error('connection reset by QEMU'));
    await settle();
    assert.deepEqual(j.closes, [{ code: 1011, reason: 'connection reset by QEMU', wasClean: true }]);
  });

  it('closes cleanly from the page side', async () => {
    const guest = scriptedGuest();
    const j = joined(guest.stream);
    assert.equal(j.relay.closed, false);
    j.channel.close();
    assert.equal(j.channel.readyState, ElectronConsoleChannel.CLOSING);
    assert.deepEqual(j.closes, [], 'the close event comes later, as a WebSocket does it');
    await settle();
    assert.equal(j.channel.readyState, ElectronConsoleChannel.CLOSED);
    assert.deepEqual(j.closes, [{ code: 1000, reason: '', wasClean: true }]);
    assert.deepEqual(j.closedStreams, ['the viewer closed the console']);
    assert.equal(guest.stream.destroyed, true);
    assert.equal(j.relay.closed, true);
    // Sending after close is silently dropped, as on a closed WebSocket.
    assert.doesNotThrow(() => j.channel.send('late'));
  });

  it('a page that goes away (its port closed without a word) closes the stream', async () => {
    const guest = scriptedGuest();
    const { main, page } = fakePortPair();
    const closed: string[] = [];
    let done = 0;
    relayConsole(main, guest.stream, {
      closeStream: (s, why) => (closed.push(why), s.destroy()),
      onDone: () => done++,
    });
    page.close();
    await settle();
    assert.deepEqual(closed, ['the viewer went away']);
    assert.equal(done, 1);
  });

  it('a relay closed from the main process tells the page (1001) and closes the stream', async () => {
    const guest = scriptedGuest();
    const j = joined(guest.stream);
    j.relay.close('the window closed');
    await settle();
    assert.deepEqual(j.closes, [{ code: 1001, reason: 'the window closed', wasClean: true }]);
    assert.deepEqual(j.closedStreams, ['the window closed']);
  });

  it('the main end vanishing without a word closes the page channel (1006)', async () => {
    const { page, main } = fakePortPair();
    const channel = new ElectronConsoleChannel();
    const closes: unknown[] = [];
    channel.onclose = (ev) => closes.push(ev);
    channel.attach(page);
    main.close();
    await settle();
    assert.deepEqual(closes, [{ code: 1006, reason: 'the desktop app closed the console', wasClean: false }]);
  });

  it('a message outside the protocol ends the relay', async () => {
    const guest = scriptedGuest();
    const { main, page } = fakePortPair();
    const closed: string[] = [];
    relayConsole(main, guest.stream, { closeStream: (s, why) => (closed.push(why), s.destroy()) });
    page.start();
    page.postMessage({ t: 'exec', cmd: 'rm -rf /' });
    await settle();
    assert.deepEqual(closed, ['the viewer sent a message that is not part of the console protocol']);
  });

  it('both ends read the wire with one check, and send bytes that are only their own', () => {
    for (const ok of [
      { t: 'ack', n: 1 },
      { t: 'close', code: 1000, reason: '' },
    ])
      assert.equal(isConsoleControl(ok), true, JSON.stringify(ok));
    for (const bad of [
      null,
      'ack',
      { t: 'ack', n: 0 },
      { t: 'ack', n: -5 },
      { t: 'ack', n: 1.5 },
      { t: 'close', code: 1000 },
    ])
      assert.equal(isConsoleControl(bad), false, JSON.stringify(bad));
    const pooled = Buffer.from('..hello..');
    const view = pooled.subarray(2, 7);
    assert.equal(Buffer.from(ownArrayBuffer(view)).toString(), 'hello');
    assert.equal(Buffer.from(ownArrayBuffer('hé')).toString(), 'hé');
    const whole = new Uint8Array([1, 2, 3]).buffer;
    const copy = ownArrayBuffer(whole);
    assert.notEqual(copy, whole);
    assert.deepEqual([...new Uint8Array(copy)], [1, 2, 3]);
    assert.deepEqual([...new Uint8Array(ownArrayBuffer(new Uint16Array([0x0201])))], [1, 2]);
  });

  it('a page channel ignores an ack that is no count of bytes', async () => {
    const guest = scriptedGuest({ holdWrites: true });
    const j = joined(guest.stream);
    j.channel.send(new Uint8Array(10));
    await settle();
    assert.equal(j.channel.bufferedAmount, 10);
    for (const n of [-1_000_000, 2.5, 0]) j.main.postMessage({ t: 'ack', n });
    await settle();
    assert.equal(j.channel.bufferedAmount, 10);
    assert.equal(j.channel.readyState, ElectronConsoleChannel.OPEN);
    guest.releaseWrites();
    await settle();
    assert.equal(j.channel.bufferedAmount, 0);
  });

  it('a stream that had already ended closes the page channel at once', async () => {
    const guest = scriptedGuest();
    guest.stream.destroy();
    await once(guest.stream, 'close');
    const j = joined(guest.stream);
    await settle();
    assert.equal(j.channel.readyState, ElectronConsoleChannel.CLOSED);
    assert.equal(j.closes[0]?.code, 1000);
  });

  it('a channel closed before its port arrives closes the port at once', async () => {
    const guest = scriptedGuest();
    const { main, page } = fakePortPair();
    const closed: string[] = [];
    relayConsole(main, guest.stream, { closeStream: (s, why) => (closed.push(why), s.destroy()) });
    const channel = new ElectronConsoleChannel();
    assert.throws(() => channel.send('x'), { name: 'InvalidStateError' });
    channel.close();
    channel.attach(page);
    await settle();
    assert.deepEqual(closed, ['the viewer closed the console']);
  });

  it('a failed open reports an error, then a close with the reason', () => {
    const channel = new ElectronConsoleChannel();
    const seen: string[] = [];
    channel.onerror = () => seen.push('error');
    channel.onclose = (ev) => seen.push(`close ${ev.code} ${ev.reason}`);
    channel.fail('web1 is not running (it is shutoff); start it to see its console');
    channel.fail('again');
    assert.deepEqual(seen, ['error', 'close 1006 web1 is not running (it is shutoff); start it to see its console']);
    assert.equal(channel.readyState, ElectronConsoleChannel.CLOSED);
  });

  it('has the shape noVNC checks for in a raw channel', () => {
    const channel = new ElectronConsoleChannel();
    const props = [...Object.keys(channel), ...Object.getOwnPropertyNames(Object.getPrototypeOf(channel))];
    for (const p of ['send', 'close', 'binaryType', 'onerror', 'onmessage', 'onopen', 'protocol', 'readyState'])
      assert.ok(props.includes(p), p);
    assert.equal(channel.readyState, 0);
  });

  it('carries a real TCP stream both ways and closes it from either side', async () => {
    // The guest's side is a real socket to an echo server that upper-cases what it gets.
    const server = createServer((s) => {
      s.on('data', (d) => s.write(d.toString().toUpperCase()));
      s.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const sock: Socket = connect(port, '127.0.0.1');
      await once(sock, 'connect');
      const j = joined(sock);
      j.channel.send('hello guest');
      for (let i = 0; i < 50 && Buffer.concat(j.received).length < 11; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(Buffer.concat(j.received).toString(), 'HELLO GUEST');
      j.channel.close();
      await once(sock, 'close');
      assert.equal(sock.destroyed, true);

      // And from the guest's side: the server hangs up.
      const conns: Socket[] = [];
      server.on('connection', (s) => conns.push(s));
      const sock2 = connect(port, '127.0.0.1');
      await once(sock2, 'connect');
      const j2 = joined(sock2);
      while (!conns.length) await new Promise((r) => setTimeout(r, 5));
      conns[0]!.end();
      for (let i = 0; i < 100 && j2.channel.readyState !== ElectronConsoleChannel.CLOSED; i++)
        await new Promise((r) => setTimeout(r, 5));
      await settle();
      assert.equal(j2.channel.readyState, ElectronConsoleChannel.CLOSED);
      assert.equal(j2.closes[0]?.code, 1000);
    } finally {
      server.close();
    }
  });
});
