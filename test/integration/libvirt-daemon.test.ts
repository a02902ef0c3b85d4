/**
 * The wire client against daemons that die, stop or go silent: keepalive both ways, a daemon killed
 * mid-call, a stopped one detected by keepalive, and reconnecting with persistent subscriptions.
 *
 * Other suites share the system libvirtd, so nothing here kills or stops it: the daemons killed
 * and stopped are this file's own per-user libvirtd processes, run as uid 65534 (nobody).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import {
  ConnectionClosedError,
  LibvirtClient,
  LifecycleEvent,
  type KeepaliveCounters,
} from '../../main/libvirt/index.js';
import { encodePacket, PacketReader } from '../../main/libvirt/packet.js';
import { KEEPALIVE_PROGRAM, MessageStatus, MessageType, REMOTE_PROGRAM } from '../../main/libvirt/protocol.js';
import { waitFor, within } from './libvirt-helpers.js';
import { useUserDaemons } from './user-daemon.js';

describe('libvirt wire client: daemons that die, stop or go silent', () => {
  const u = useUserDaemons();

  it('keepalive: idle for 16 s, connections stay alive and usable, the daemons’ pings answered', async () => {
    // (1) The system daemon with its defaults (ping after 5 s of silence) and ours.
    const sys = await LibvirtClient.connect('qemu:///system');
    // (2) A daemon that pings every second and drops a client after 2 unanswered pings, while our
    //     own pings are off (interval far beyond the test): only our answers can keep it alive.
    const d = await u.daemon('keepalive', { interval: 1, count: 2 });
    const user = await LibvirtClient.connect(d.uri(), { keepalive: { intervalMs: 600_000, count: 5 } });
    // (3) The control: a raw client that asks for keepalive and never answers is dropped.
    const raw = connect(d.socket);
    const rawClosed = new Promise<number>((resolve) => raw.once('close', () => resolve(performance.now())));
    raw.on('error', () => undefined);
    let rawPings = 0;
    const rawReader = new PacketReader((h) => {
      if (h.prog === KEEPALIVE_PROGRAM) rawPings++;
    });
    raw.on('data', (b: Buffer) => rawReader.push(b));
    const call = (serial: number, proc: number, body?: Buffer): Buffer =>
      encodePacket(
        { prog: REMOTE_PROGRAM, vers: 1, proc, type: MessageType.Call, serial, status: MessageStatus.Ok },
        undefined,
        body,
      );
    raw.write(call(1, 66)); // AUTH_LIST
    raw.write(call(2, 60, Buffer.from('0000000a', 'hex'))); // SUPPORTS_FEATURE(PROGRAM_KEEPALIVE)
    const rawStart = performance.now();

    const disconnects: Error[] = [];
    sys.on('disconnect', (e) => disconnects.push(e));
    user.on('disconnect', (e) => disconnects.push(e));
    try {
      await new Promise((r) => setTimeout(r, 16_000));
      assert.deepEqual(disconnects, []);
      assert.ok(sys.connected && user.connected);
      assert.equal((await sys.call('connectGetUri', undefined)).uri, 'qemu:///system');
      assert.equal((await user.call('connectGetUri', undefined)).uri, 'test:///default');
      const ka = (c: LibvirtClient): KeepaliveCounters => c.keepaliveCounters;
      assert.ok(ka(user).pingsReceived >= 8, `the user daemon pinged ${ka(user).pingsReceived} times`);
      assert.equal(ka(user).pongsSent, ka(user).pingsReceived);
      assert.equal(ka(user).pingsSent, 0);
      assert.ok(ka(sys).pingsSent + ka(sys).pingsReceived >= 2, 'keepalive traffic with the system daemon');
      assert.equal(ka(sys).pongsSent, ka(sys).pingsReceived);
      // The control was dropped after ~3 s of unanswered pings.
      const closedAt = await within(rawClosed, 1000, 'the silent raw client to be dropped');
      assert.ok(
        rawPings >= 1 && closedAt - rawStart < 10_000,
        `raw client: ${rawPings} pings, dropped after ${Math.round(closedAt - rawStart)} ms`,
      );
    } finally {
      raw.destroy();
      await sys.close();
      await user.close();
    }
  });

  it('a stopped daemon (SIGSTOP) is detected by keepalive within a bounded time: a clear ConnectionClosedError', async () => {
    const d = await u.daemon('stopped');
    const c = await LibvirtClient.connect(d.uri(), { keepalive: { intervalMs: 300, count: 2 } });
    const disconnected = new Promise<Error>((r) => c.once('disconnect', r));
    assert.equal((await c.call('connectGetUri', undefined)).uri, 'test:///default');
    d.signal('SIGSTOP');
    try {
      const pending = c.call('connectGetHostname', undefined);
      const err = await within(
        pending.then(
          () => new Error('resolved?'),
          (e: unknown) => e as Error,
        ),
        10_000,
        'the call to a stopped daemon',
      );
      assert.ok(err instanceof ConnectionClosedError, String(err));
      assert.match(
        err.message,
        /connectGetHostname failed: libvirt at test:\/\/\/default stopped answering \(no reply to keepalive for \d+ s\)/,
      );
      const why = await within(disconnected, 1000, 'the disconnect event');
      assert.ok(why instanceof ConnectionClosedError);
      assert.equal(c.connected, false);
    } finally {
      d.signal('SIGCONT');
      await c.close();
    }
  });

  it('the daemon killed mid-call rejects every pending call at once and never hangs', async () => {
    const d = await u.daemon('killed');
    const c = await LibvirtClient.connect(d.uri(), { keepalive: false });
    const [dom] = await c.listAllDomains();
    // Stop it first, so that every call below is certainly in flight when it dies.
    d.signal('SIGSTOP');
    const calls = [
      ...Array.from({ length: 10 }, () => c.call('domainGetState', { dom: dom!, flags: 0 })),
      c.call('connectGetCapabilities', undefined),
      c.screenshot(dom!),
    ];
    const settled = Promise.allSettled(calls);
    await new Promise((r) => setTimeout(r, 200));
    await d.kill();
    const results = await within(settled, 5000, 'the pending calls of a killed daemon');
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof ConnectionClosedError, String(r.reason));
      assert.match((r.reason as Error).message, /failed: connection to test:\/\/\/default (closed|failed)/);
    }
    assert.equal(c.connected, false);
    await assert.rejects(c.call('connectGetUri', undefined), ConnectionClosedError);
    await c.close();
  });

  it('a daemon killed while calls stream in: none of them hangs', async () => {
    const d = await u.daemon('killed-busy');
    const c = await LibvirtClient.connect(d.uri(), { keepalive: false });
    const [dom] = await c.listAllDomains();
    let stop = false;
    let done = 0;
    const failures: unknown[] = [];
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          await c.call('domainGetState', { dom: dom!, flags: 0 });
          done++;
        } catch (e) {
          failures.push(e);
          return;
        }
      }
    };
    const workers = Promise.all(Array.from({ length: 8 }, worker));
    await waitFor('some calls to complete', () => done > 200);
    await d.kill();
    await within(workers, 5000, 'the workers');
    stop = true;
    assert.equal(failures.length, 8);
    assert.ok(failures.every((f) => f instanceof ConnectionClosedError));
  });

  it('subscriptions asked to be persistent survive a reconnect to a restarted daemon; the others do not', async () => {
    const d = await u.daemon('reconnect');
    const c = await LibvirtClient.connect(d.uri());
    const persistent: number[] = [];
    const oneShot: number[] = [];
    await c.subscribe('lifecycle', (b) => persistent.push(b.event), { persistent: true });
    await c.subscribe('lifecycle', (b) => oneShot.push(b.event));
    let [dom] = await c.listAllDomains();
    await c.call('domainSuspend', { dom: dom! });
    await waitFor('both subscriptions to hear the suspend', () => persistent.length === 1 && oneShot.length === 1);
    const disconnected = new Promise<Error>((r) => c.once('disconnect', r));
    const reconnected = new Promise<void>((r) => c.once('reconnect', r));
    await d.kill();
    await within(disconnected, 5000, 'the disconnect');
    await d.start(); // a new daemon, with a fresh test:///default (the domain runs again)
    await c.reconnect();
    await within(reconnected, 1000, 'the reconnect event');
    [dom] = await c.listAllDomains();
    await c.call('domainSuspend', { dom: dom! });
    await c.call('domainResume', { dom: dom! });
    await waitFor('the persistent subscription to hear both', () => persistent.length === 3);
    assert.deepEqual(persistent, [LifecycleEvent.SUSPENDED, LifecycleEvent.SUSPENDED, LifecycleEvent.RESUMED]);
    assert.deepEqual(oneShot, [LifecycleEvent.SUSPENDED], 'the other one was dropped');
    // reconnect() itself is not a disconnect.
    let spurious = 0;
    c.on('disconnect', () => spurious++);
    await c.reconnect();
    assert.equal(spurious, 0);
    await c.call('domainSuspend', { dom: dom! });
    await waitFor('the subscription to survive a second reconnect too', () => persistent.length === 4);
    await c.close();
  });
});
