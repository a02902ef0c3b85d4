/**
 * A libvirt stream (screenshot, console) as a Node Duplex. The daemon's data arrives as STREAM
 * packets with status CONTINUE; an empty CONTINUE is its end of data. Ending the writable side
 * sends the finish handshake (STREAM OK, answered by OK); destroying the stream aborts it
 * (STREAM ERROR, answered by OK). Backpressure both ways: writes complete when the transport has
 * taken the bytes; a full reader pauses the transport until it reads again.
 * An error from the daemon's side goes to 'error' listeners; with none, the stream just closes
 * with `errored` set, rather than crashing the process.
 */
import { Duplex } from 'node:stream';
import { MessageStatus, STREAM_CHUNK_MAX } from './protocol.js';

/** The most one stream buffers for a reader that does not keep up (a console flood, a big screenshot). */
export const STREAM_BUFFER_MAX = 16 << 20;

/** Unread bytes past which a stream that may hold its connection does so. */
const HOLD_AT = 4 << 20;

export interface StreamHooks {
  label: string;
  sendPacket(status: MessageStatus, data: Buffer | undefined, cb: (e?: Error | null) => void): void;
  release(): void;
  /**
   * For a transfer the user waits for (a volume download): instead of losing the stream to a
   * slow reader, stop reading the whole connection (true) until the reader catches up (false).
   */
  hold?(on: boolean): void;
}

/**
 * Stops (or restarts) reading a connection's transport, for a stream whose reader is behind: every
 * call on the connection waits meanwhile. The silence while held is ours, not the peer's.
 */
export function holdReading(transport: Duplex, on: boolean, keepalive: { heard(): void }): void {
  if (on) transport.pause();
  else {
    keepalive.heard();
    transport.resume();
  }
}

export class LibvirtStream extends Duplex {
  private finishCallback: ((e?: Error | null) => void) | undefined;
  private settled = false;
  private eof = false;

  constructor(private readonly hooks: StreamHooks) {
    // Half-open off: once the daemon ends its data we end ours, which sends the finish handshake.
    super({ allowHalfOpen: false, readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
  }

  /** @internal data from the daemon (empty = its end of data). */
  receiveData(data: Buffer): void {
    if (this.destroyed || this.eof) return;
    if (data.length === 0) {
      this.endReadable();
      return;
    }
    this.push(data);
    if (this.hooks.hold && !this.holding && this.readableLength > HOLD_AT) {
      this.holding = true;
      this.hooks.hold(true);
    }
    // libvirt has no per-stream flow control: holding the socket for one slow reader would stop
    // every call on the host. So each stream buffers on its own, up to a bound, and a reader that
    // falls further behind loses its stream rather than the whole connection.
    if (this.readableLength > STREAM_BUFFER_MAX) {
      if (!this.settled) this.hooks.sendPacket(MessageStatus.Error, undefined, () => undefined);
      this.failQuietly(
        new Error(
          `${this.hooks.label}: the reader fell more than ${STREAM_BUFFER_MAX >> 20} MiB behind, so the stream was aborted`,
        ),
      );
    }
  }

  private endReadable(): void {
    if (this.eof) return;
    this.eof = true;
    this.push(null);
  }

  /** @internal the daemon's OK: confirms our finish, or ends the stream on its own. */
  receiveFinish(): void {
    this.settle();
    // Nothing more can arrive on a finished stream (a console we end() is closed both ways).
    if (!this.destroyed) this.endReadable();
    const cb = this.finishCallback;
    this.finishCallback = undefined;
    if (cb) cb();
  }

  /**
   * @internal the stream can no longer work (the daemon ended it with an error, its call failed,
   * or the connection dropped): release it without an abort packet, and destroy it with `err`.
   * 'error' listeners get it; with none, the stream just closes with `errored` set. The daemon
   * may end a stream at any moment, and that must never crash a process as an unhandled 'error'.
   */
  failQuietly(err: Error): void {
    this.settle();
    if (this.destroyed) return;
    // Not "if nobody listens now": a listener may be gone by the time 'error' is emitted (on a
    // later tick), as openConsole's own is when its call fails.
    if (!this.quiet) {
      this.quiet = true;
      this.on('error', () => undefined);
    }
    this.destroy(err);
  }
  private quiet = false;
  private holding = false;

  private letGo(): void {
    if (!this.holding) return;
    this.holding = false;
    this.hooks.hold?.(false);
  }

  /** @internal a STREAM ERROR from the daemon (or a REPLY error to our finish). */
  receiveError(err: Error): void {
    this.failQuietly(err);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.letGo();
    this.hooks.release();
  }

  override _read(): void {
    // Data is pushed as it arrives (see receiveData). Node asks for more once what is buffered
    // falls below the high-water mark: the reader has caught up, so a held connection is let go.
    this.letGo();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.settled) {
      cb(new Error(`${this.hooks.label}: the stream has ended`));
      return;
    }
    // Every packet of the chunk goes out at once, so the socket never idles between them; the
    // write completes when the transport has taken them all (the first failure ends it early).
    if (chunk.length === 0) {
      cb();
      return;
    }
    let pending = Math.ceil(chunk.length / STREAM_CHUNK_MAX);
    let failed = false;
    for (let offset = 0; offset < chunk.length; offset += STREAM_CHUNK_MAX) {
      this.hooks.sendPacket(MessageStatus.Continue, chunk.subarray(offset, offset + STREAM_CHUNK_MAX), (e) => {
        if (failed) return;
        if (e) {
          failed = true;
          cb(e);
        } else if (--pending === 0) cb();
      });
    }
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.settled) {
      cb();
      return;
    }
    this.finishCallback = cb;
    this.hooks.sendPacket(MessageStatus.Ok, undefined, (e) => {
      if (e && this.finishCallback) {
        this.finishCallback = undefined;
        cb(e);
      }
    });
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    if (!this.settled) {
      // Abort: tell the daemon to drop its side; its confirmation needs no waiting for.
      this.hooks.sendPacket(MessageStatus.Error, undefined, () => undefined);
      this.settle();
    }
    this.letGo();
    const pendingFinish = this.finishCallback;
    this.finishCallback = undefined;
    pendingFinish?.(err ?? new Error(`${this.hooks.label}: aborted`));
    cb(err);
  }
}

/**
 * Waits for the reply of the call that opened a stream. Until the caller has the stream, nobody
 * else listens for its errors: one that comes meanwhile fails the open instead of going unheard.
 */
export async function streamOpened(reply: Promise<unknown>, stream: LibvirtStream): Promise<void> {
  let early: Error | undefined;
  const onEarly = (e: Error): void => {
    early ??= e;
  };
  stream.on('error', onEarly);
  try {
    await reply;
  } finally {
    stream.off('error', onEarly);
  }
  if (early) throw early;
}
