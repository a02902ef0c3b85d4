/**
 * A fake libvirt daemon for unit tests of the wire client: a unix socket in a temp folder, so the
 * client sees a real socket (real backpressure, real resets), and the test plays the daemon's part
 * packet by packet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { RpcConnection } from '../../main/libvirt/connection.js';
import { encodePacket, PacketReader } from '../../main/libvirt/packet.js';
import {
  HEADER_SIZE,
  LENGTH_SIZE,
  MessageStatus,
  MessageType,
  REMOTE_PROGRAM,
  remoteError,
  type Header,
  type RemoteError,
} from '../../main/libvirt/protocol.js';
import type { XdrWriter } from '../../main/libvirt/xdr.js';
import type { Codec } from '../../main/libvirt/codec.js';

export interface Received {
  h: Header;
  body: Buffer;
}

export class FakePeer {
  readonly received: Received[] = [];
  private waiters: { pred: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  private readonly reader = new PacketReader((h, pkt) => {
    const r = { h, body: Buffer.from(pkt.subarray(LENGTH_SIZE + HEADER_SIZE)) };
    this.received.push(r);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(r)) return true;
      w.resolve(r);
      return false;
    });
  });

  private constructor(
    readonly conn: RpcConnection,
    readonly socket: Socket,
    private readonly server: Server,
    private readonly dir: string,
  ) {
    socket.on('data', (b: Buffer) => this.reader.push(b));
    socket.on('error', () => undefined);
  }

  static async start(label = 'fake'): Promise<FakePeer> {
    const dir = mkdtempSync(join(tmpdir(), 'vs-fake-peer-'));
    const path = join(dir, 'sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(path, r));
    const accepted = new Promise<Socket>((r) => server.once('connection', r));
    const client = connect(path);
    await new Promise<void>((r, j) => client.once('connect', r).once('error', j));
    const conn = new RpcConnection(client, label);
    return new FakePeer(conn, await accepted, server, dir);
  }

  /** The next packet from the client that matches (already received ones included). */
  next(pred: (r: Received) => boolean = () => true, timeoutMs = 5000): Promise<Received> {
    const seen = this.received.find(pred);
    if (seen) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the fake peer got no such packet')), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (r) => {
          clearTimeout(timer);
          this.received.splice(this.received.indexOf(r), 1);
          resolve(r);
        },
      });
    });
  }

  nextCall(proc?: number): Promise<Received> {
    return this.next((r) => r.h.type === MessageType.Call && (proc === undefined || r.h.proc === proc));
  }

  send(h: Partial<Header> & { serial: number }, body?: (w: XdrWriter) => void, raw?: Buffer): boolean {
    const full: Header = {
      prog: REMOTE_PROGRAM,
      vers: 1,
      proc: 0,
      type: MessageType.Reply,
      status: MessageStatus.Ok,
      ...h,
    };
    return this.socket.write(encodePacket(full, body, raw));
  }

  reply<T>(call: Received, codec: Codec<T>, value: T): void {
    this.send({ proc: call.h.proc, serial: call.h.serial }, (w) => codec.enc(w, value));
  }

  replyError(call: Received, e: Partial<RemoteError> & { code: number }): void {
    this.send({ proc: call.h.proc, serial: call.h.serial, status: MessageStatus.Error }, (w) =>
      remoteError.enc(w, errorOf(e)),
    );
  }

  writeRaw(b: Buffer): boolean {
    return this.socket.write(b);
  }

  async close(): Promise<void> {
    this.conn.destroy('test over');
    this.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function errorOf(e: Partial<RemoteError> & { code: number }): RemoteError {
  return {
    domain: 10,
    message: 'boom',
    level: 2,
    dom: null,
    str1: null,
    str2: null,
    str3: null,
    int1: 0,
    int2: 0,
    net: null,
    ...e,
  };
}

/**
 * A transport the test drives by hand: every write is recorded and its callback held until the
 * test releases it, so a test can see exactly when a write counts as done.
 */
export class ManualTransport extends Duplex {
  readonly writes: { data: Buffer; done: (e?: Error | null) => void }[] = [];
  autoComplete = true;

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.writes.push({ data: chunk, done: cb });
    if (this.autoComplete) cb();
  }

  feed(b: Buffer): void {
    this.push(b);
  }
}
