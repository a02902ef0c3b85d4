/** libvirt streams over RpcConnection against a fake daemon: reading, writing, finishing, aborting, and the writes. */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { RpcConnection } from '../../main/libvirt/connection.js';
import { ConnectionClosedError, LibvirtError } from '../../main/libvirt/errors.js';
import { encodePacket, PacketReader } from '../../main/libvirt/packet.js';
import { procedures } from '../../main/libvirt/procedures.js';
import {
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
