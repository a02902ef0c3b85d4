/** RpcConnection against a fake daemon: calls and replies, events, keepalive, and how it fails. */
import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { DomainEvent } from '../../main/libvirt/connection.js';
import { ConnectionClosedError, LibvirtError, ProtocolError } from '../../main/libvirt/errors.js';
import { procedures, eventMessages } from '../../main/libvirt/procedures.js';
import {
  KEEPALIVE_PROC_PING,
  KEEPALIVE_PROC_PONG,
  KEEPALIVE_PROGRAM,
  MessageType,
  REMOTE_PROGRAM,
} from '../../main/libvirt/protocol.js';
import { FakePeer } from './libvirt-fake-peer.js';
import { waitFor, within } from '../rig/wait.js';

const dom = { name: 'g', uuid: '00000000-0000-0000-0000-00000000000a', id: 3 };
const P = procedures;

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
      // A generous count, so a busy machine's event-loop stalls are not taken for a dead peer.
      peer.conn.startKeepalive({ intervalMs: 30, count: 8 });
      await new Promise((r) => setTimeout(r, 600)); // ~20 intervals, far past 9 × 30 ms
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
