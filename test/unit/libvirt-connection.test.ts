import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { RpcConnection, type DomainEvent } from '../../main/libvirt/connection.js';
import { ConnectionClosedError, LibvirtError, ProtocolError } from '../../main/libvirt/errors.js';
import { encodePacket, PacketReader } from '../../main/libvirt/packet.js';
import { procedures, eventMessages } from '../../main/libvirt/procedures.js';
import {
  KEEPALIVE_PROC_PING,
  KEEPALIVE_PROC_PONG,
  KEEPALIVE_PROGRAM,
  MessageStatus,
  MessageType,
  REMOTE_PROGRAM,
  STREAM_CHUNK_MAX,
  remoteError,
} from '../../main/libvirt/protocol.js';
import { errorOf, FakePeer, ManualTransport } from './libvirt-fake-peer.js';
import { waitFor, within } from '../rig/wait.js';

const dom = { name: 'g', uuid: '00000000-0000-0000-0000-00000000000a', id: 3 };
const P = procedures;

/** Opens a console on the fake daemon: the CALL arrives, the daemon says yes, the stream is live. */
async function openConsole(peer: FakePeer, o: { devName: string | null; flags: number } = { devName: null, flags: 0 }) {
  const { reply, stream } = peer.conn.callStream('domainOpenConsole', { dom, ...o });
  const call = await peer.nextCall(201);
  peer.reply(call, P.domainOpenConsole.ret, undefined);
  await reply;
  return { stream, call };
}

/** Polls a condition every 5 ms: the fake daemon answers at once. */
const until = (pred: () => boolean, what: string, ms = 5000): Promise<true> => waitFor(what, () => pred(), ms, 5);

describe('RpcConnection against a fake daemon', () => {
  let peer: FakePeer | undefined;
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
  });

  it('runs calls concurrently and matches replies by serial, in any order', async () => {
    peer = await FakePeer.start();
    const a = peer.conn.call('connectGetHostname', undefined);
    const b = peer.conn.call('domainGetState', { dom, flags: 0 });
    const c = peer.conn.call('connectGetLibVersion', undefined);
    const [ca, cb, cc] = [await peer.nextCall(59), await peer.nextCall(212), await peer.nextCall(157)];
    assert.deepEqual([ca.h.serial, cb.h.serial, cc.h.serial], [1, 2, 3]);
    assert.equal(ca.h.prog, REMOTE_PROGRAM);
    // The call's arguments arrive as the table encodes them.
    const r = P.domainGetState.args.dec(new (await import('../../main/libvirt/xdr.js')).XdrReader(cb.body));
    assert.deepEqual(r, { dom, flags: 0 });
    peer.reply(cc, P.connectGetLibVersion.ret, { libVer: 9000000 });
    peer.reply(cb, P.domainGetState.ret, { state: 1, reason: 1 });
    peer.reply(ca, P.connectGetHostname.ret, { hostname: 'h1' });
    assert.deepEqual(await Promise.all([a, b, c]), [{ hostname: 'h1' }, { state: 1, reason: 1 }, { libVer: 9000000 }]);
    assert.equal(peer.conn.pendingCalls, 0);
  });

  it('never takes an event (serial 1) for the reply to call 1', async () => {
    peer = await FakePeer.start();
    const events: DomainEvent[] = [];
    peer.conn.on('event', (e) => events.push(e));
    const call = peer.conn.call('connectGetHostname', undefined);
    const c = await peer.nextCall();
    assert.equal(c.h.serial, 1);
    peer.send({ proc: 318, type: MessageType.Message, serial: 1 }, (w) =>
      eventMessages[318].body.enc(w, { callbackId: 4, dom, event: 5, detail: 1 }),
    );
    await until(() => events.length === 1, 'the event');
    assert.deepEqual(events[0], { name: 'lifecycle', body: { callbackId: 4, dom, event: 5, detail: 1 } });
    assert.equal(peer.conn.pendingCalls, 1, 'call 1 still waits for its reply');
    peer.reply(c, P.connectGetHostname.ret, { hostname: 'real' });
    assert.deepEqual(await call, { hostname: 'real' });
  });

  it('turns an error reply into a LibvirtError with libvirt’s code, domain and text', async () => {
    peer = await FakePeer.start();
    const call = peer.conn.call('domainLookupByUuid', { uuid: dom.uuid });
    peer.replyError(await peer.nextCall(), { code: 42, domain: 10, message: 'Domain not found', dom });
    await assert.rejects(call, (e: unknown) => {
      assert.ok(e instanceof LibvirtError);
      assert.equal(e.code, 42);
      assert.equal(e.domain, 10);
      assert.equal(e.message, 'Domain not found');
      assert.equal(e.procedure, 'domainLookupByUuid');
      assert.equal(e.guest, 'g');
      return true;
    });
  });

  it('fails only the call whose reply does not decode; the connection carries on', async () => {
    peer = await FakePeer.start();
    const bad = peer.conn.call('connectGetHostname', undefined);
    const c1 = await peer.nextCall();
    peer.send({ proc: 59, serial: c1.h.serial }, (w) => w.uint(1000)); // a string longer than the packet
    await assert.rejects(
      bad,
      (e: unknown) => e instanceof ProtocolError && /undecodable reply to connectGetHostname/.test(e.message),
    );
    const good = peer.conn.call('connectGetHostname', undefined);
    peer.reply(await peer.nextCall(), P.connectGetHostname.ret, { hostname: 'ok' });
    assert.deepEqual(await good, { hostname: 'ok' });
    assert.equal(peer.conn.closed, false);
  });

  it('ignores replies nobody waits for, unknown events and other programs’ traffic', async () => {
    peer = await FakePeer.start();
    const events: DomainEvent[] = [];
    peer.conn.on('event', (e) => events.push(e));
    peer.send({ proc: 59, serial: 99 }, (w) => w.string('stray', 100));
    peer.send({ proc: 9999, type: MessageType.Message, serial: 1 });
    peer.send({ prog: 0x20008087, proc: 1, type: MessageType.Message, serial: 1 });
    peer.send({ prog: 0, vers: 0, proc: 0, serial: 0 }); // the daemon's "dummy reply" shape
    const call = peer.conn.call('connectGetHostname', undefined);
    peer.reply(await peer.nextCall(), P.connectGetHostname.ret, { hostname: 'still here' });
    assert.deepEqual(await call, { hostname: 'still here' });
    assert.equal(events.length, 0);
  });

  it('drops an event that does not decode, with a warning, and keeps the connection', async () => {
    peer = await FakePeer.start();
    const warnings: Error[] = [];
    peer.conn.on('warning', (w) => warnings.push(w));
    const events: DomainEvent[] = [];
    peer.conn.on('event', (e) => events.push(e));
    peer.send({ proc: 318, type: MessageType.Message, serial: 1 }, (w) => w.int(1)); // truncated body
    peer.send({ proc: 319, type: MessageType.Message, serial: 1 }, (w) =>
      eventMessages[319].body.enc(w, { callbackId: 2, dom }),
    );
    await until(() => events.length === 1, 'the good event');
    assert.equal(events[0]!.name, 'reboot');
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0] instanceof ProtocolError);
    assert.match(warnings[0].message, /dropped an undecodable lifecycle event from fake/);
    assert.equal(peer.conn.closed, false);
  });

  it('with no warning listener, says it once per kind as a process warning', async () => {
    peer = await FakePeer.start();
    const emitted = mock.method(process, 'emitWarning', () => undefined);
    try {
      const events: DomainEvent[] = [];
      peer.conn.on('event', (e) => events.push(e));
      for (let i = 0; i < 3; i++) peer.send({ proc: 318, type: MessageType.Message, serial: 1 }, (w) => w.int(1));
      peer.send({ proc: 319, type: MessageType.Message, serial: 1 }, (w) =>
        eventMessages[319].body.enc(w, { callbackId: 2, dom }),
      );
      await until(() => events.length === 1, 'the good event');
      assert.equal(emitted.mock.callCount(), 1);
      assert.match(String(emitted.mock.calls[0]!.arguments[0]), /undecodable lifecycle event/);
    } finally {
      emitted.mock.restore();
    }
  });

  it('a listener that throws neither kills the connection nor passes for a protocol error', async () => {
    peer = await FakePeer.start();
    const caught: unknown[] = [];
    const events: number[] = [];
    peer.conn.on('event', (e) => {
      events.push(e.body.callbackId);
      if (e.body.callbackId === 1) throw new Error('listener bug');
    });
    // Whatever throws on a later tick is caught here instead of failing the test run.
    const original = process.nextTick.bind(process);
    const tick = mock.method(process, 'nextTick', (fn: (...a: unknown[]) => void, ...args: unknown[]) =>
      original(() => {
        try {
          fn(...args);
        } catch (e) {
          caught.push(e);
        }
      }),
    );
    try {
      for (const id of [1, 2])
        peer.send({ proc: 319, type: MessageType.Message, serial: 1 }, (w) =>
          eventMessages[319].body.enc(w, { callbackId: id, dom }),
        );
      await until(() => events.length === 2 && caught.length > 0, 'both events and the rethrow');
    } finally {
      tick.mock.restore();
    }
    assert.equal(peer.conn.closed, false);
    assert.deepEqual(events, [1, 2], 'the next event was still delivered');
    assert.equal(caught.length, 1);
    assert.match(String(caught[0]), /listener bug/, 'the exception is rethrown as is, on its own tick');
  });

  it('answers the daemon’s keepalive PING with a PONG', async () => {
    peer = await FakePeer.start();
    peer.send({ prog: KEEPALIVE_PROGRAM, proc: KEEPALIVE_PROC_PING, type: MessageType.Message, serial: 0 });
    const pong = await peer.next((r) => r.h.prog === KEEPALIVE_PROGRAM);
    assert.deepEqual(pong.h, {
      prog: KEEPALIVE_PROGRAM,
      vers: 1,
      proc: KEEPALIVE_PROC_PONG,
      type: MessageType.Message,
      serial: 0,
      status: 0,
    });
    assert.equal(pong.body.length, 0);
    assert.equal(peer.conn.keepaliveCounters.pingsReceived, 1);
    assert.equal(peer.conn.keepaliveCounters.pongsSent, 1);
  });

  it('pings a silent daemon, and declares it dead after count silent intervals', async () => {
    peer = await FakePeer.start('qemu:///fake');
    peer.conn.startKeepalive({ intervalMs: 50, count: 3 });
    const pending = [
      peer.conn.call('connectGetHostname', undefined),
      peer.conn.call('connectGetLibVersion', undefined),
    ];
    await peer.next((r) => r.h.prog === KEEPALIVE_PROGRAM && r.h.proc === KEEPALIVE_PROC_PING);
    const results = await within(Promise.allSettled(pending), 3000, 'the pending calls');
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof ConnectionClosedError);
      assert.match((r.reason as Error).message, /qemu:\/\/\/fake stopped answering/);
    }
    assert.ok(peer.conn.keepaliveCounters.pingsSent >= 2);
  });

  it('a daemon that answers the pings stays alive through a long silence', async () => {
    peer = await FakePeer.start();
    let pongs = 0;
    peer.socket.on('data', () => undefined);
    const answer = setInterval(() => {
      const pings = peer!.received.filter((r) => r.h.prog === KEEPALIVE_PROGRAM && r.h.proc === KEEPALIVE_PROC_PING);
      for (const p of pings) {
        peer!.received.splice(peer!.received.indexOf(p), 1);
        peer!.send({ prog: KEEPALIVE_PROGRAM, proc: KEEPALIVE_PROC_PONG, type: MessageType.Message, serial: 0 });
        pongs++;
      }
    }, 10);
    try {
      peer.conn.startKeepalive({ intervalMs: 30, count: 2 });
      await new Promise((r) => setTimeout(r, 500)); // ~16 intervals, far past 3 × 30 ms
      assert.equal(peer.conn.closed, false);
      assert.ok(pongs >= 3, `pongs ${pongs}`);
      assert.equal(peer.conn.keepaliveCounters.pongsReceived, pongs);
    } finally {
      clearInterval(answer);
    }
  });

  it('rejects every pending call at once when the daemon drops the connection', async () => {
    peer = await FakePeer.start('qemu:///fake');
    const calls = Array.from({ length: 20 }, () => peer!.conn.call('connectGetHostname', undefined));
    await until(() => peer!.received.length === 20, 'all calls sent');
    const closed = once(peer.conn, 'close');
    peer.socket.destroy();
    const results = await within(Promise.allSettled(calls), 2000, 'the pending calls');
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof ConnectionClosedError));
    assert.match(
      String((results[0] as PromiseRejectedResult).reason.message),
      /^connectGetHostname failed: connection to qemu:\/\/\/fake closed/,
    );
    await closed;
    assert.equal(peer.conn.pendingCalls, 0);
    // And later calls fail at once, too.
    await assert.rejects(peer.conn.call('connectGetHostname', undefined), ConnectionClosedError);
  });

  it('drops the connection on bad framing, failing pending calls with a ProtocolError cause', async () => {
    peer = await FakePeer.start();
    const call = peer.conn.call('connectGetHostname', undefined);
    await peer.nextCall();
    peer.writeRaw(Buffer.from('00000004', 'hex'));
    await assert.rejects(call, (e: unknown) => e instanceof ConnectionClosedError && e.cause instanceof ProtocolError);
    assert.ok(peer.conn.closeReason instanceof ProtocolError);
  });

  it('refuses arguments that do not encode before sending anything', async () => {
    peer = await FakePeer.start();
    await assert.rejects(
      peer.conn.call('domainLookupByUuid', { uuid: 'nope' }),
      (e: unknown) => e instanceof TypeError && /bad arguments for domainLookupByUuid/.test(e.message),
    );
    await assert.rejects(peer.conn.call('domainGetState', { dom, flags: -1 }), TypeError);
    assert.equal(peer.received.length, 0);
  });
});

describe('streams against a fake daemon', () => {
  let peer: FakePeer | undefined;
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
  });

  const streamPacket = (
    serial: number,
    proc: number,
    status: MessageStatus,
    data?: Buffer,
  ): Parameters<FakePeer['send']> => [{ proc, serial, type: MessageType.Stream, status }, undefined, data];

  it('read stream: data, the daemon’s empty CONTINUE (EOF), our finish, its OK', async () => {
    peer = await FakePeer.start();
    const { reply, stream } = peer.conn.callStream('domainScreenshot', { dom, screen: 0, flags: 0 });
    const call = await peer.nextCall(211);
    peer.reply(call, P.domainScreenshot.ret, { mime: 'image/png' });
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    peer.send(...streamPacket(call.h.serial, 211, MessageStatus.Continue, Buffer.from('abc')));
    peer.send(...streamPacket(call.h.serial, 211, MessageStatus.Continue, Buffer.from('def')));
    peer.send(...streamPacket(call.h.serial, 211, MessageStatus.Continue, Buffer.alloc(0)));
    const fin = await peer.next((r) => r.h.type === MessageType.Stream);
    assert.deepEqual(
      [fin.h.serial, fin.h.proc, fin.h.status, fin.body.length],
      [call.h.serial, 211, MessageStatus.Ok, 0],
    );
    peer.send(...streamPacket(call.h.serial, 211, MessageStatus.Ok));
    await within(finished(stream), 2000, 'the stream');
    assert.deepEqual(await reply, { mime: 'image/png' });
    assert.equal(Buffer.concat(chunks).toString(), 'abcdef');
    assert.equal(peer.received.filter((r) => r.h.type === MessageType.Stream).length, 0, 'one finish, nothing more');
  });

  it('data may arrive before the reply and is not lost', async () => {
    peer = await FakePeer.start();
    const { reply, stream } = peer.conn.callStream('domainScreenshot', { dom, screen: 0, flags: 0 });
    const call = await peer.nextCall(211);
    peer.send(...streamPacket(call.h.serial, 211, MessageStatus.Continue, Buffer.from('early')));
    peer.reply(call, P.domainScreenshot.ret, { mime: null });
    await reply;
    const [c] = (await once(stream, 'data')) as [Buffer];
    assert.equal(c.toString(), 'early');
  });

  it('duplex stream, finished by us: data out, our OK, its OK; both sides end', async () => {
    peer = await FakePeer.start();
    const { stream, call } = await openConsole(peer);
    stream.resume();
    stream.write('echo hi\r');
    stream.end();
    const data = await peer.next((r) => r.h.type === MessageType.Stream && r.h.status === MessageStatus.Continue);
    assert.equal(data.body.toString(), 'echo hi\r');
    const fin = await peer.next((r) => r.h.type === MessageType.Stream);
    assert.equal(fin.h.status, MessageStatus.Ok);
    peer.send(...streamPacket(call.h.serial, 201, MessageStatus.Ok));
    await within(finished(stream), 2000, 'the console stream');
    assert.ok(stream.readableEnded && stream.writableFinished);
  });

  it('aborted by us: one STREAM ERROR packet, the daemon’s confirmation is harmless', async () => {
    peer = await FakePeer.start();
    const { stream, call } = await openConsole(peer, { devName: 'serial0', flags: 1 });
    stream.destroy();
    const abort = await peer.next((r) => r.h.type === MessageType.Stream);
    assert.deepEqual([abort.h.status, abort.h.serial, abort.body.length], [MessageStatus.Error, call.h.serial, 0]);
    peer.send(...streamPacket(call.h.serial, 201, MessageStatus.Ok));
    peer.send(...streamPacket(call.h.serial, 201, MessageStatus.Continue, Buffer.from('late data')));
    const next = peer.conn.call('connectGetHostname', undefined);
    peer.reply(await peer.nextCall(59), P.connectGetHostname.ret, { hostname: 'fine' });
    assert.deepEqual(await next, { hostname: 'fine' });
  });

  it('aborted by the daemon: a STREAM ERROR becomes the stream’s LibvirtError, and we send nothing back', async () => {
    peer = await FakePeer.start();
    const { stream, call } = await openConsole(peer);
    stream.resume();
    peer.send({ proc: 201, serial: call.h.serial, type: MessageType.Stream, status: MessageStatus.Error }, (w) =>
      remoteError.enc(w, errorOf({ code: 1, message: 'stream had I/O failure' })),
    );
    const [err] = (await once(stream, 'error')) as [Error];
    assert.ok(err instanceof LibvirtError);
    assert.equal(err.message, 'stream had I/O failure');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(peer.received.filter((r) => r.h.type === MessageType.Stream).length, 0);
  });

  it('a finish the daemon refuses (REPLY error on the stream serial) errors the stream instead of hanging', async () => {
    peer = await FakePeer.start();
    const { stream, call } = await openConsole(peer);
    stream.resume();
    stream.end();
    await peer.next((r) => r.h.type === MessageType.Stream && r.h.status === MessageStatus.Ok);
    peer.replyError(call, { code: 1, message: 'cannot finish' });
    await assert.rejects(within(finished(stream), 2000, 'the refused finish'), /cannot finish/);
  });

  it('a stream call that fails rejects its reply, crashes nothing and sends no abort', async () => {
    peer = await FakePeer.start();
    const { reply, stream } = peer.conn.callStream('domainOpenConsole', { dom, devName: null, flags: 0 });
    peer.replyError(await peer.nextCall(201), { code: 55, message: 'domain is not running' });
    await assert.rejects(reply, (e: unknown) => e instanceof LibvirtError && e.code === 55);
    await until(() => stream.destroyed, 'the stream to be dropped');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(peer.received.length, 0, 'no abort for a stream the daemon never opened');
  });

  it('a dropped connection ends open streams with its error, crashing nothing when nobody listens', async () => {
    peer = await FakePeer.start();
    const { reply, stream } = peer.conn.callStream('domainOpenConsole', { dom, devName: null, flags: 0 });
    peer.reply(await peer.nextCall(201), P.domainOpenConsole.ret, undefined);
    await reply;
    peer.socket.destroy();
    // (events.once would add an 'error' listener: wait for 'close' alone.)
    await within(new Promise((r) => stream.on('close', r)), 2000, 'the stream');
    assert.ok(stream.errored instanceof ConnectionClosedError);
  });

  it('a reader that does not read never holds up the host: other calls go on, and its bytes wait in its own buffer', async () => {
    peer = await FakePeer.start();
    const { stream, call } = await openConsole(peer);
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 64; i++) peer.send(...streamPacket(call.h.serial, 201, MessageStatus.Continue, chunk));
    // libvirt has no per-stream flow control: a call must still be answered meanwhile.
    const hostname = peer.conn.call('connectGetHostname', undefined);
    peer.reply(await peer.nextCall(59), P.connectGetHostname.ret, { hostname: 'beside the data' });
    assert.deepEqual(await within(hostname, 5000, 'the call beside the data'), { hostname: 'beside the data' });
    await until(() => stream.readableLength === 64 * chunk.length, 'the unread bytes in the stream');
    let got = 0;
    stream.on('data', (c: Buffer) => {
      got += c.length;
    });
    await until(() => got === 64 * chunk.length, 'every byte, in the end');
  });

  it('a reader that falls more than 16 MiB behind loses its stream (aborted on the wire), not the connection', async () => {
    peer = await FakePeer.start();
    const { stream, call } = await openConsole(peer);
    const chunk = Buffer.alloc(256 * 1024, 2);
    for (let i = 0; i < 70; i++) peer.send(...streamPacket(call.h.serial, 201, MessageStatus.Continue, chunk));
    await within(new Promise((r) => stream.on('close', r)), 5000, 'the stream to be aborted');
    assert.match(String(stream.errored), /fell more than 16 MiB behind/);
    const abort = await peer.next((r) => r.h.type === MessageType.Stream && r.h.serial === call.h.serial);
    assert.equal(abort.h.status, MessageStatus.Error);
    assert.equal(peer.conn.closed, false);
    const hostname = peer.conn.call('connectGetHostname', undefined);
    peer.reply(await peer.nextCall(59), P.connectGetHostname.ret, { hostname: 'still here' });
    assert.deepEqual(await within(hostname, 5000, 'a call afterwards'), { hostname: 'still here' });
  });
});

describe('stream writes and the transport', () => {
  it('a write completes only when the transport took it, in chunks of at most 262120 bytes', async () => {
    const t = new ManualTransport();
    const conn = new RpcConnection(t, 'manual');
    const { reply, stream } = conn.callStream('domainOpenConsole', { dom, devName: null, flags: 0 });
    await until(() => t.writes.length === 1, 'the call');
    const callPkt = t.writes[0]!.data;
    const serial = callPkt.readUInt32BE(20);
    t.feed(encodePacket({ prog: REMOTE_PROGRAM, vers: 1, proc: 201, type: MessageType.Reply, serial, status: 0 }));
    await reply;
    t.autoComplete = false;
    let done = false;
    const big = Buffer.alloc(STREAM_CHUNK_MAX * 2 + 10, 7);
    stream.write(big, () => {
      done = true;
    });
    await until(() => t.writes.length === 2, 'the first data packet');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(done, false, 'not done while the transport holds the first packet');
    for (let i = 1; i <= 3; i++) {
      await until(() => t.writes.length === i + 1, `packet ${i}`);
      const w = t.writes[i]!;
      assert.equal(w.data.readUInt32BE(16), MessageType.Stream);
      assert.equal(w.data.readUInt32BE(24), MessageStatus.Continue);
      assert.ok(w.data.length - 28 <= STREAM_CHUNK_MAX);
      assert.equal(done, false);
      w.done();
    }
    await until(() => done, 'the write callback');
    const payload = Buffer.concat(t.writes.slice(1, 4).map((w) => w.data.subarray(28)));
    assert.ok(payload.equals(big));
    conn.destroy();
  });

  it('calls made in one go leave in one write, and a stream’s data waits for its reply', async () => {
    const t = new ManualTransport();
    const conn = new RpcConnection(t, 'manual');
    const calls = Array.from({ length: 9 }, () =>
      conn.call('domainGetState', { dom, flags: 0 }).catch(() => undefined),
    );
    await until(() => t.writes.length === 1, 'the batch');
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(t.writes.length, 1, 'one write for nine calls');
    const serials: number[] = [];
    new PacketReader((h) => serials.push(h.serial)).push(t.writes[0]!.data);
    assert.deepEqual(serials, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // A stream written to at once: the data waits for the daemon's reply (which is when the
    // daemon has set its side up; it drops stream packets that come earlier).
    const { reply, stream } = conn.callStream('domainOpenConsole', { dom, devName: null, flags: 0 });
    stream.write('early input');
    stream.write(' and more');
    await until(() => t.writes.length === 2, 'the call');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(t.writes.length, 2, 'no data before the reply');
    assert.equal(t.writes[1]!.data.readUInt32BE(16), MessageType.Call);
    const serial = t.writes[1]!.data.readUInt32BE(20);
    t.feed(encodePacket({ prog: REMOTE_PROGRAM, vers: 1, proc: 201, type: MessageType.Reply, serial, status: 0 }));
    await reply;
    await until(() => t.writes.length === 4, 'the data, after the reply, in order');
    assert.equal(t.writes[2]!.data.readUInt32BE(16), MessageType.Stream);
    assert.equal(
      t.writes[2]!.data.subarray(28).toString() + t.writes[3]!.data.subarray(28).toString(),
      'early input and more',
    );
    conn.destroy();
    await Promise.all(calls);
  });
});
