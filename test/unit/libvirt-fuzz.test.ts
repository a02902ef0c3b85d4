/**
 * Fuzzes the framer and the decoders from a fake daemon: real recorded libvirt 9.0 replies, mutated
 * (bit flips, interesting words, truncations, lengths that lie, duplicated, dropped and reordered
 * packets, forged headers, garbage), fed in random slices. Whatever arrives, the client must not
 * crash, hang or hoard memory: every call settles, and every failure is one of its clean errors.
 * Deterministic: a seeded PRNG, so a failure names the seed and iteration that reproduce it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { RpcConnection } from '../../main/libvirt/connection.js';
import { ConnectionClosedError, LibvirtError, ProtocolError } from '../../main/libvirt/errors.js';
import type { LibvirtStream } from '../../main/libvirt/stream.js';
import { KEEPALIVE_PROGRAM, MESSAGE_MAX, REMOTE_PROGRAM } from '../../main/libvirt/protocol.js';
import type { ArgsOf, ProcedureName } from '../../main/libvirt/procedures.js';
import { recordedCalls, recordedPackets } from './libvirt-recorded.js';
import { FakePeer } from './libvirt-fake-peer.js';

/** mulberry32: small, fast, good enough to drive mutations reproducibly. */
function prng(seed: number): {
  next(): number;
  int(n: number): number;
  pick<T>(a: readonly T[]): T;
  chance(p: number): boolean;
} {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (arr) => arr[Math.floor(next() * arr.length)]!,
    chance: (p) => next() < p,
  };
}
type Rng = ReturnType<typeof prng>;

const dom = { name: 'test', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', id: 1 };
/** Valid arguments for each recorded call, so the same serials carry the same procedures. */
const sampleArgs: { [K in ProcedureName]?: ArgsOf<K> } = {
  authList: undefined,
  connectSupportsFeature: { feature: 10 },
  connectOpen: { name: 'test:///default', flags: 0 },
  connectListAllDomains: { needResults: true, flags: 0 },
  connectDomainEventCallbackRegisterAny: { eventId: 0, dom: null },
  connectGetLibVersion: undefined,
  connectGetHostname: undefined,
  nodeGetInfo: undefined,
  connectGetCapabilities: undefined,
  domainGetInfo: { dom },
  domainGetState: { dom, flags: 0 },
  domainGetXmlDesc: { dom, flags: 0 },
  domainLookupByUuid: { uuid: '00000000-0000-0000-0000-000000000000' },
  connectGetAllDomainStats: { doms: [], stats: 0, flags: 0 },
  domainListAllSnapshots: { dom, needResults: true, flags: 0 },
  domainSuspend: { dom },
  domainResume: { dom },
  domainGetVcpusFlags: { dom, flags: 0 },
  domainGetAutostart: { dom },
  domainScreenshot: { dom, screen: 0, flags: 0 },
  connectDomainEventCallbackDeregisterAny: { callbackId: 0 },
  connectClose: undefined,
};

const recorded = recordedPackets.map((p) => Buffer.from(p, 'base64'));
const INTERESTING = [
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  0x7f,
  0x80,
  0xff,
  0x7fff,
  0xffff,
  0x7fffffff,
  0x80000000,
  0xfffffffe,
  0xffffffff,
  28,
  27,
  MESSAGE_MAX,
  MESSAGE_MAX + 4,
  MESSAGE_MAX + 5,
  REMOTE_PROGRAM,
  KEEPALIVE_PROGRAM,
  16384,
  16385,
  4194304,
  4194305,
];

function mutatePacket(rng: Rng, src: Buffer): Buffer {
  let p = Buffer.from(src);
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) {
    switch (rng.int(8)) {
      case 0: // flip a bit anywhere
        if (p.length) p[rng.int(p.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // an interesting word at a word boundary (header fields included)
        if (p.length >= 4) p.writeUInt32BE(rng.pick(INTERESTING) >>> 0, 4 * rng.int(p.length >> 2));
        break;
      case 2: // a random byte
        if (p.length) p[rng.int(p.length)] = rng.int(256);
        break;
      case 3: // truncate the body but keep the framing honest
        if (p.length > 28) {
          p = p.subarray(0, 28 + rng.int(p.length - 28));
          p.writeUInt32BE(p.length, 0);
        }
        break;
      case 4: // truncate and leave the length word lying
        if (p.length > 4) p = p.subarray(0, 4 + rng.int(p.length - 4));
        break;
      case 5: // the length word lies the other way
        p.writeUInt32BE(Math.min(0xffffffff, p.readUInt32BE(0) + rng.pick([1, 4, 100, 65536, MESSAGE_MAX])) >>> 0, 0);
        break;
      case 6: // extend with garbage, honestly framed
        p = Buffer.concat([p, Buffer.from(Array.from({ length: rng.int(64) }, () => rng.int(256)))]);
        p.writeUInt32BE(p.length, 0);
        break;
      case 7: // forge the header: type, status, serial, proc
        if (p.length >= 28) {
          p.writeUInt32BE(rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 0xffffffff]), 16);
          p.writeUInt32BE(rng.pick([0, 1, 2, 3, 0xffffffff]), 24);
          if (rng.chance(0.5)) p.writeUInt32BE(rng.int(24), 20);
          if (rng.chance(0.3)) p.writeInt32BE(rng.pick([6, 16, 59, 211, 212, 318, 319, 323, 331, 379, -1]), 12);
        }
        break;
    }
  }
  return p;
}

/** A session's worth of daemon bytes, mutated. */
function fuzzedStream(rng: Rng): Buffer {
  const out: Buffer[] = [];
  for (const p of recorded) {
    const r = rng.next();
    if (r < 0.05) continue; // dropped
    const q = r < 0.35 ? mutatePacket(rng, p) : p;
    out.push(q);
    if (rng.chance(0.04)) out.push(q); // duplicated
    if (rng.chance(0.03)) out.push(Buffer.from(Array.from({ length: rng.int(40) }, () => rng.int(256)))); // garbage
  }
  if (rng.chance(0.2)) {
    // reorder two packets
    const i = rng.int(out.length);
    const j = rng.int(out.length);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return Buffer.concat(out);
}

/** The daemon's end of an in-process pair: whatever the client writes is dropped. */
class PeerPipe extends Duplex {
  override _read(): void {}
  override _write(_c: Buffer, _e: BufferEncoding, cb: () => void): void {
    cb();
  }
}

function isCleanError(e: unknown): boolean {
  return e instanceof LibvirtError || e instanceof ProtocolError || e instanceof ConnectionClosedError;
}

interface Outcome {
  calls: PromiseSettledResult<unknown>[];
  stream: LibvirtStream;
  streamSettled: Promise<void>;
  conn: RpcConnection;
}

/** Opens a connection over `transport`, makes the recorded calls, returns what to await. */
function session(
  transport: Duplex,
  listenForStreamErrors = true,
): Outcome & { settled: Promise<PromiseSettledResult<unknown>[]> } {
  const conn = new RpcConnection(transport, 'fuzz');
  conn.on('event', (ev) => {
    // Whatever decodes is well formed.
    assert.equal(typeof ev.body.callbackId, 'number');
    assert.match(ev.body.dom.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
  conn.on('warning', (w) => assert.ok(w instanceof ProtocolError));
  const calls: Promise<unknown>[] = [];
  let stream: LibvirtStream | undefined;
  for (const c of recordedCalls) {
    const name = c.name as ProcedureName;
    if (name === 'domainScreenshot') {
      const s = conn.callStream(name, sampleArgs[name]!);
      calls.push(s.reply);
      stream = s.stream;
    } else {
      calls.push(conn.call(name, sampleArgs[name] as never));
    }
  }
  const st = stream!;
  st.on('data', () => undefined);
  const streamSettled = new Promise<void>((resolve) => {
    // Without an 'error' listener, a stream the daemon breaks must still not crash anything.
    if (listenForStreamErrors) {
      st.on('error', (e) => {
        assert.ok(isCleanError(e) || /stream/.test(String(e)), `stream error: ${String(e)}`);
      });
    }
    st.on('close', () => resolve());
  });
  const result: Outcome = { calls: [], stream: st, streamSettled, conn };
  const settled = Promise.allSettled(calls).then((r) => (result.calls = r));
  return { ...result, settled };
}

async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, j) => (timer = setTimeout(() => j(new Error(`${what}: hung for ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function checkOutcome(results: PromiseSettledResult<unknown>[], where: string): void {
  assert.equal(results.length, recordedCalls.length);
  for (const r of results) {
    if (r.status === 'rejected')
      assert.ok(isCleanError(r.reason), `${where}: unclean failure ${String(r.reason?.stack ?? r.reason)}`);
  }
}

describe('fuzzing the wire client from a fake daemon', () => {
  it('the unmutated recording replays cleanly: every call resolves but the NO_DOMAIN lookup', async () => {
    const pipe = new PeerPipe();
    const s = session(pipe);
    for (const p of recorded) pipe.push(p);
    const results = await bounded(s.settled, 2000, 'replay');
    const rejected = results.map((r, i) => [r.status, recordedCalls[i]!.name]).filter(([st]) => st === 'rejected');
    assert.deepEqual(rejected, [['rejected', 'domainLookupByUuid']]);
    await bounded(s.streamSettled, 2000, 'the screenshot stream');
    assert.equal(s.conn.closed, false);
    s.conn.destroy();
  });

  it('survives thousands of mutated sessions fed in random slices (in-process pair)', async () => {
    const seed = 0x5eed1;
    const rng = prng(seed);
    const before = process.memoryUsage();
    const iterations = 1500;
    let closedByProtocol = 0;
    for (let i = 0; i < iterations; i++) {
      const where = `seed ${seed}, iteration ${i}`;
      const pipe = new PeerPipe();
      const s = session(pipe, rng.chance(0.5));
      const bytes = fuzzedStream(rng);
      for (let at = 0; at < bytes.length;) {
        const n = rng.chance(0.3) ? 1 + rng.int(8) : 1 + rng.int(2048);
        pipe.push(bytes.subarray(at, at + n));
        at += n;
      }
      // The daemon hangs up: whatever still waits must fail now, cleanly.
      pipe.push(null);
      checkOutcome(await bounded(s.settled, 2000, where), where);
      await bounded(s.streamSettled, 2000, `${where}: the stream`);
      assert.equal(s.conn.closed, true, where);
      assert.ok(
        s.conn.closeReason instanceof ConnectionClosedError || s.conn.closeReason instanceof ProtocolError,
        where,
      );
      if (s.conn.closeReason instanceof ProtocolError) closedByProtocol++;
      assert.equal(s.conn.pendingCalls, 0, where);
    }
    // The mutations do reach the framer's refusals, not only the decoders.
    assert.ok(closedByProtocol > iterations / 20, `closed by a protocol error ${closedByProtocol} times`);
    const after = process.memoryUsage();
    assert.ok(
      after.arrayBuffers - before.arrayBuffers < 64 * 1024 * 1024,
      `array buffers grew by ${after.arrayBuffers - before.arrayBuffers}`,
    );
  });

  it('pure noise in random slices never crashes the framer', async () => {
    const rng = prng(0xbadf00d);
    for (let i = 0; i < 300; i++) {
      const pipe = new PeerPipe();
      const s = session(pipe);
      const noise = Buffer.from(Array.from({ length: rng.int(600) }, () => rng.int(256)));
      // Half the time, start with an honest header so the noise reaches the decoders.
      if (rng.chance(0.5) && noise.length >= 28) {
        noise.writeUInt32BE(noise.length, 0);
        noise.writeUInt32BE(REMOTE_PROGRAM, 4);
        noise.writeUInt32BE(1, 8);
        noise.writeUInt32BE(rng.pick([1, 2, 3]), 16);
        noise.writeUInt32BE(1 + rng.int(22), 20);
      }
      for (let at = 0; at < noise.length; at += 1 + rng.int(64)) pipe.push(noise.subarray(at, at + 1 + rng.int(64)));
      pipe.push(null);
      checkOutcome(await bounded(s.settled, 2000, `noise ${i}`), `noise ${i}`);
      await bounded(s.streamSettled, 2000, `noise ${i}: the stream`);
    }
  });

  it('a length that claims 32 MiB holds only the bytes that came, and one over the limit is refused at once', async () => {
    const pipe = new PeerPipe();
    const s = session(pipe);
    const head = Buffer.alloc(28);
    head.writeUInt32BE(MESSAGE_MAX + 4, 0);
    pipe.push(head);
    pipe.push(Buffer.alloc(1024 * 1024));
    await new Promise((r) => setImmediate(r));
    assert.equal(s.conn.closed, false, 'a legal length is waited for');
    pipe.push(null);
    checkOutcome(await bounded(s.settled, 2000, 'the big claim'), 'the big claim');

    const pipe2 = new PeerPipe();
    const s2 = session(pipe2);
    const over = Buffer.alloc(4);
    over.writeUInt32BE(MESSAGE_MAX + 5, 0);
    pipe2.push(over);
    const results = await bounded(s2.settled, 2000, 'the oversized claim');
    assert.ok(
      results.every(
        (r) =>
          r.status === 'rejected' &&
          r.reason instanceof ConnectionClosedError &&
          r.reason.cause instanceof ProtocolError,
      ),
    );
    assert.match(String(s2.conn.closeReason?.message), /exceeds libvirt's 33554432-byte limit/);
  });

  it('a few mutated sessions over a real unix socket, with the daemon hanging up mid-packet', async () => {
    const rng = prng(0xc0ffee);
    for (let i = 0; i < 25; i++) {
      const peer = await FakePeer.start();
      try {
        // The calls go over the socket this time; the fake daemon answers with mutated bytes.
        const calls: Promise<unknown>[] = [];
        for (const c of recordedCalls) {
          const name = c.name as ProcedureName;
          if (name === 'domainScreenshot') {
            const st = peer.conn.callStream(name, sampleArgs[name]!);
            st.stream.resume();
            calls.push(st.reply);
          } else calls.push(peer.conn.call(name, sampleArgs[name] as never));
        }
        peer.conn.on('warning', () => undefined);
        const all = Promise.allSettled(calls);
        const bytes = fuzzedStream(rng);
        const cut = rng.int(bytes.length);
        peer.writeRaw(bytes.subarray(0, cut));
        await new Promise((r) => setTimeout(r, 2));
        peer.socket.destroy();
        checkOutcome(await bounded(all, 3000, `socket ${i}`), `socket ${i}`);
      } finally {
        await peer.close();
      }
    }
  });
});
