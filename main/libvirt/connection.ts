/**
 * One RPC connection to a libvirt daemon over any byte transport (unix socket, TLS, an ssh
 * process's pipes). Calls run concurrently and replies are matched by serial, in any order.
 * Packets are routed by message type first: events carry serial 1 and must never be taken for
 * the reply to call 1. Keepalive pings are answered; a silent peer is detected and dropped. When
 * the transport goes away every pending call and stream fails at once with one clear error.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { ConnectionClosedError, LibvirtError, ProtocolError } from './errors.js';
import { encodePacket, PacketReader } from './packet.js';
import { WriteBatch } from './write-batch.js';
import { Keepalive, type KeepaliveCounters, type KeepaliveOptions } from './keepalive.js';
import {
  HEADER_SIZE,
  KEEPALIVE_PROGRAM,
  LENGTH_SIZE,
  MessageStatus,
  MessageType,
  REMOTE_PROGRAM,
  REMOTE_PROTOCOL_VERSION,
  remoteError,
  type Header,
} from './protocol.js';
import {
  eventMessages,
  procedures,
  type ArgsOf,
  type EventBody,
  type EventName,
  type ProcedureName,
  type RetOf,
} from './procedures.js';
import { holdReading, LibvirtStream } from './stream.js';
import { XdrError, XdrReader } from './xdr.js';

interface PendingCall {
  name: ProcedureName;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export type DomainEvent = { [N in EventName]: { name: N; body: EventBody<N> } }[EventName];

export interface ConnectionEvents {
  event: [DomainEvent];
  close: [Error];
  /** Something the daemon sent was dropped (an event that does not decode); the connection goes on. */
  warning: [ProtocolError];
}

export class RpcConnection extends EventEmitter<ConnectionEvents> {
  private serial = 0;
  private readonly pending = new Map<number, PendingCall>();
  private readonly streams = new Map<number, LibvirtStream>();
  private readonly reader: PacketReader;
  private closedWith: Error | undefined;
  /** Calls leave in batches (see WriteBatch); nothing is written once the connection failed. */
  private readonly outgoing = new WriteBatch((data) => {
    if (!this.closedWith) this.transport.write(data);
  });
  private readonly keepalive = new Keepalive({
    send: (packet) => {
      if (this.closedWith) return false;
      this.outgoing.add(packet);
      return true;
    },
    dead: (silent) =>
      this.fail(
        new ConnectionClosedError(
          `libvirt at ${this.label} stopped answering (no reply to keepalive for ${Math.round(silent / 1000)} s)`,
        ),
      ),
  });

  constructor(
    private readonly transport: Duplex,
    /** Names the daemon in error messages, e.g. "qemu:///system". */
    readonly label: string,
  ) {
    super();
    this.reader = new PacketReader((h, pkt) => this.dispatch(h, pkt));
    transport.on('data', (chunk: Buffer) => {
      if (this.closedWith) return;
      this.keepalive.heard();
      try {
        this.reader.push(chunk);
      } catch (e) {
        // Only the framer and the dispatcher throw here (listeners run isolated, see deliver()).
        this.fail(
          e instanceof ProtocolError
            ? e
            : new ProtocolError(`bad data from ${label}: ${(e as Error).message}`, { cause: e }),
        );
      }
    });
    transport.on('error', (e: Error) =>
      this.fail(new ConnectionClosedError(`connection to ${label} failed: ${e.message}`, { cause: e })),
    );
    transport.on('close', () => this.fail(new ConnectionClosedError(`connection to ${label} closed`)));
    transport.on('end', () => this.fail(new ConnectionClosedError(`connection to ${label} closed by the daemon`)));
    // A transport that was read with 'readable' before (the TLS confirmation byte) may be left in
    // paused mode, where adding a 'data' listener does not start the flow.
    transport.resume();
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Why the connection ended, once it has. */
  get closeReason(): Error | undefined {
    return this.closedWith;
  }

  get pendingCalls(): number {
    return this.pending.size;
  }

  /** Keepalive packets seen and sent so far. */
  get keepaliveCounters(): Readonly<KeepaliveCounters> {
    return this.keepalive.counters;
  }

  private nextSerial(): number {
    this.serial = (this.serial + 1) >>> 0;
    if (this.serial === 0) this.serial = 1;
    return this.serial;
  }

  /** Calls a procedure by its name in the table; resolves with its decoded return value. */
  call<K extends ProcedureName>(name: K, args: ArgsOf<K>): Promise<RetOf<K>> {
    return this.send(name, args, this.nextSerial());
  }

  private send<K extends ProcedureName>(name: K, args: ArgsOf<K>, serial: number): Promise<RetOf<K>> {
    if (this.closedWith) return Promise.reject(this.closedError(name));
    const def = procedures[name];
    let packet: Buffer;
    try {
      packet = encodePacket(
        {
          prog: REMOTE_PROGRAM,
          vers: REMOTE_PROTOCOL_VERSION,
          proc: def.proc,
          type: MessageType.Call,
          serial,
          status: MessageStatus.Ok,
        },
        (w) => (def.args.enc as (w: unknown, v: unknown) => void)(w, args),
      );
    } catch (e) {
      return Promise.reject(e instanceof XdrError ? new TypeError(`bad arguments for ${name}: ${e.message}`) : e);
    }
    return new Promise<RetOf<K>>((resolve, reject) => {
      this.pending.set(serial, { name, resolve: resolve as (v: unknown) => void, reject });
      this.outgoing.add(packet);
    });
  }

  /**
   * Calls a stream procedure (screenshot, console). The stream is registered before the call is
   * sent, since the daemon may send data before its reply.
   */
  callStream<K extends ProcedureName>(
    name: K,
    args: ArgsOf<K>,
    opts: { holdConnection?: boolean } = {},
  ): { reply: Promise<RetOf<K>>; stream: LibvirtStream } {
    const def = procedures[name] as { proc: number; stream?: 'read' | 'duplex' };
    if (!def.stream) throw new TypeError(`${name} is not a stream procedure`);
    const serial = this.nextSerial();
    // The daemon sets its side of the stream up while it handles the call, and drops stream
    // packets that arrive before that: ours wait for the reply (in order), or fail with the call.
    let replied!: (e?: Error) => void;
    const opened = new Promise<Error | undefined>((resolve) => (replied = resolve));
    const stream = new LibvirtStream({
      label: `${name} on ${this.label}`,
      sendPacket: (status, data, cb) => {
        void opened.then((failed) => (failed ? cb(failed) : this.sendStreamPacket(def.proc, serial, status, data, cb)));
      },
      release: () => {
        this.streams.delete(serial);
      },
      ...(opts.holdConnection
        ? {
            hold: (on: boolean) => {
              if (!this.closedWith) holdReading(this.transport, on, this.keepalive);
            },
          }
        : {}),
    });
    if (!this.closedWith) this.streams.set(serial, stream);
    const reply = this.send(name, args, serial);
    // A failed call means the daemon never opened the stream: drop ours without an abort packet.
    // The rejected reply is the news; the stream's 'error' is for whoever listens to it, and must
    // not crash the process as an unhandled 'error' when nobody does.
    reply.then(
      () => replied(),
      (e: Error) => {
        replied(e);
        stream.failQuietly(e);
      },
    );
    return { reply, stream };
  }

  private sendStreamPacket(
    proc: number,
    serial: number,
    status: MessageStatus,
    data: Buffer | undefined,
    cb: (e?: Error | null) => void,
  ): void {
    if (this.closedWith) {
      cb(this.closedWith);
      return;
    }
    const packet = encodePacket(
      { prog: REMOTE_PROGRAM, vers: REMOTE_PROTOCOL_VERSION, proc, type: MessageType.Stream, serial, status },
      undefined,
      data,
    );
    this.outgoing.flush(); // after any call queued before it: a stream's data never overtakes its CALL
    // A write that fails means the connection is gone: say so, as every other call on it will.
    this.transport.write(packet, (e) =>
      cb(
        e
          ? (this.closedWith ??
              new ConnectionClosedError(`libvirt at ${this.label}: the connection dropped (${e.message})`, {
                cause: e,
              }))
          : e,
      ),
    );
  }

  /**
   * Opts in to keepalive: answer the daemon's pings (the daemon pings only clients that asked for
   * the keepalive feature) and ping it ourselves after `intervalMs` of silence; after `count`
   * silent intervals the peer is declared dead and the connection fails.
   */
  startKeepalive(opts: KeepaliveOptions): void {
    this.keepalive.start(opts);
  }

  stopKeepalive(): void {
    this.keepalive.stop();
  }

  private dispatch(h: Header, pkt: Buffer): void {
    // A listener may have closed the connection while earlier packets of this chunk were delivered.
    if (this.closedWith) return;
    const body = LENGTH_SIZE + HEADER_SIZE;
    if (h.prog === KEEPALIVE_PROGRAM) {
      this.keepalive.receive(h.proc);
      return;
    }
    if (h.prog !== REMOTE_PROGRAM) return; // another program's traffic (QEMU/LXC): not ours
    switch (h.type) {
      case MessageType.Reply:
        this.onReply(h, pkt, body);
        return;
      case MessageType.Message:
        this.onEvent(h, pkt, body);
        return;
      case MessageType.Stream:
        this.onStream(h, pkt, body);
        return;
      default:
        throw new ProtocolError(`unexpected message type ${h.type} from ${this.label}`);
    }
  }

  private onReply(h: Header, pkt: Buffer, at: number): void {
    const call = this.pending.get(h.serial);
    if (!call) {
      // The daemon answers a stream finish or abort it could not carry out with a REPLY error on
      // the stream's serial; anything else with no call waiting is nothing to resolve.
      const stream = this.streams.get(h.serial);
      if (stream && h.status === MessageStatus.Error) stream.receiveError(this.streamError(pkt, at));
      return;
    }
    this.pending.delete(h.serial);
    const r = new XdrReader(pkt, at);
    try {
      if (h.status === MessageStatus.Error) {
        call.reject(new LibvirtError(remoteError.dec(r), call.name));
      } else if (h.status === MessageStatus.Ok) {
        const v = procedures[call.name].ret.dec(r);
        call.resolve(v);
      } else {
        call.reject(new ProtocolError(`reply to ${call.name} has status ${h.status}`));
      }
    } catch (e) {
      call.reject(
        new ProtocolError(`undecodable reply to ${call.name} from ${this.label}: ${(e as Error).message}`, {
          cause: e,
        }),
      );
    }
  }

  private onEvent(h: Header, pkt: Buffer, at: number): void {
    const def = (eventMessages as Record<number, (typeof eventMessages)[keyof typeof eventMessages]>)[h.proc];
    if (!def) return; // an event we did not ask for or do not know: ignore, as libvirt's client does
    let body: unknown;
    try {
      body = def.body.dec(new XdrReader(pkt, at));
    } catch (e) {
      // As libvirt's own client does: an event that does not decode is dropped, the connection
      // (and the framing, which is intact) carries on. Said once per kind, not silently.
      this.warn(
        `undecodable-${def.name}`,
        new ProtocolError(`dropped an undecodable ${def.name} event from ${this.label}: ${(e as Error).message}`, {
          cause: e,
        }),
      );
      return;
    }
    this.deliver(() => this.emit('event', { name: def.name, body } as DomainEvent));
  }

  private readonly warned = new Set<string>();
  /** To 'warning' listeners; with none, once per kind as a process warning. */
  private warn(key: string, err: ProtocolError): void {
    if (this.listenerCount('warning') > 0) {
      this.deliver(() => this.emit('warning', err));
      return;
    }
    if (this.warned.has(key)) return;
    this.warned.add(key);
    process.emitWarning(`libvirt: ${err.message}`, 'LibvirtProtocolWarning');
  }

  /**
   * Runs listener code (event handlers, a stream's 'data' listeners). A listener that throws is a
   * bug of its own: it must neither kill the connection nor pass for a protocol error, so its
   * exception is rethrown on its own tick, where it surfaces as the uncaught exception it is.
   */
  private deliver(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      process.nextTick(() => {
        throw e;
      });
    }
  }

  private onStream(h: Header, pkt: Buffer, at: number): void {
    const stream = this.streams.get(h.serial);
    if (!stream) return; // data for a stream already finished or aborted
    if (h.status === MessageStatus.Continue) {
      const data = pkt.subarray(at);
      this.deliver(() => stream.receiveData(data));
    } else if (h.status === MessageStatus.Ok) {
      this.deliver(() => stream.receiveFinish());
    } else {
      const err = this.streamError(pkt, at);
      this.deliver(() => stream.receiveError(err));
    }
  }

  private streamError(pkt: Buffer, at: number): Error {
    try {
      return pkt.length > at
        ? new LibvirtError(remoteError.dec(new XdrReader(pkt, at)))
        : new ProtocolError('stream aborted by the daemon');
    } catch (e) {
      return new ProtocolError(`undecodable stream error from ${this.label}: ${(e as Error).message}`, { cause: e });
    }
  }

  private closedError(name: string): ConnectionClosedError {
    const why = this.closedWith?.message ?? 'closed';
    return new ConnectionClosedError(`${name} failed: ${why}`, { cause: this.closedWith });
  }

  /** Fails the connection once: rejects every pending call, errors every stream, emits 'close'. */
  private fail(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.stopKeepalive();
    this.transport.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const c of pending) c.reject(this.closedError(c.name));
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) this.deliver(() => s.failQuietly(err));
    this.deliver(() => this.emit('close', err));
  }

  /** Drops the transport now; pending calls fail with `reason`. */
  destroy(reason = 'connection closed by the client'): void {
    this.fail(new ConnectionClosedError(reason));
  }
}
