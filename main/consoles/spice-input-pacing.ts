/**
 * Key events on a SPICE inputs channel, spaced out right before they leave for QEMU. QEMU hands
 * each SPICE key message straight to the emulated PS/2 keyboard, whose small queue drops bytes a
 * busy guest has not read yet; its VNC server instead queues keys and feeds them 10 ms apart. A
 * page that spaces its keys does not help: they bunch up on the way (IPC, WebSocket, a busy
 * event loop) and arrive together. (The page bounds bunching itself by waiting for QEMU's ack
 * of each small batch: renderer/src/consoles/spice-key-gate.ts; this gives the guest time to read
 * each key.) So the channel's writes are split at message boundaries and
 * every key message goes out at least KEY_GAP_MS after the previous one, whatever the page did.
 * The bytes themselves are never changed, only when they are written; channels other than inputs
 * pass through untouched once their link message has named them.
 */
import type { Duplex } from 'node:stream';

/** The least time between two key messages written to QEMU. */
export const KEY_GAP_MS = 25;

const LINK_HEADER = 16;
const INPUTS_CHANNEL = 3;
const CAP_AUTH_SELECTION = 1 << 0;
const CAP_MINI_HEADER = 1 << 3;
const TICKET = 128;
/** KEY_DOWN, KEY_UP, KEY_SCANCODE: the inputs-channel messages that reach the PS/2 keyboard. */
const KEY_MESSAGES = new Set([101, 102, 105]);

/** A run of the written bytes, and whether it is one key message. */
export interface Segment {
  bytes: Buffer;
  key: boolean;
}

/**
 * Follows what a SPICE client writes on one channel (link header, link message, ticket, then
 * messages) and cuts it into segments, each key message of an inputs channel alone. Pure.
 */
export class SpiceClientParser {
  private stage: 'header' | 'link' | 'ticket' | 'messages' | 'through' = 'header';
  /** Bytes of the current unit (header, link, ticket or message) seen so far, when it spans writes. */
  private partial: Buffer = Buffer.alloc(0);
  private need = LINK_HEADER;
  private ticketBytes = TICKET;
  private headerBytes = 6;

  /** Cuts one write into segments, in order; their bytes are the write's, unchanged. */
  split(chunk: Buffer): Segment[] {
    const out: Segment[] = [];
    let at = 0;
    let plainFrom = 0;
    while (at < chunk.length && this.stage !== 'through') {
      const unitStart = at - this.partial.length;
      const take = Math.min(this.need - this.partial.length, chunk.length - at);
      this.partial = Buffer.concat([this.partial, chunk.subarray(at, at + take)]);
      at += take;
      if (this.partial.length < this.need) break;
      const unit = this.partial;
      this.partial = Buffer.alloc(0);
      if (this.complete(unit)) {
        // A key message begun in an earlier write still counts from here: QEMU acts on its last byte.
        const start = Math.max(unitStart, plainFrom);
        if (start > plainFrom) out.push({ bytes: chunk.subarray(plainFrom, start), key: false });
        out.push({ bytes: chunk.subarray(start, at), key: true });
        plainFrom = at;
      }
    }
    if (plainFrom < chunk.length) out.push({ bytes: chunk.subarray(plainFrom), key: false });
    return out;
  }

  /** One whole unit was read; returns whether it was a key message. Sets what comes next. */
  private complete(unit: Buffer): boolean {
    switch (this.stage) {
      case 'header':
        this.stage = 'link';
        this.need = unit.readUInt32LE(12);
        return false;
      case 'link': {
        if (unit.length < 18 || unit[4] !== INPUTS_CHANNEL) {
          this.stage = 'through';
          return false;
        }
        const commonCaps = unit.readUInt32LE(6) > 0 ? unit.readUInt32LE(unit.readUInt32LE(14)) : 0;
        this.ticketBytes = (commonCaps & CAP_AUTH_SELECTION ? 4 : 0) + TICKET;
        this.headerBytes = commonCaps & CAP_MINI_HEADER ? 6 : 18;
        this.stage = 'ticket';
        this.need = this.ticketBytes;
        return false;
      }
      case 'ticket':
        this.stage = 'messages';
        this.need = this.headerBytes;
        return false;
      default:
        return this.message(unit);
    }
  }

  /** A message's header (then its body) was read. */
  private message(unit: Buffer): boolean {
    const mini = this.headerBytes === 6;
    if (unit.length === this.headerBytes) {
      const size = unit.readUInt32LE(mini ? 2 : 10);
      if (size > 0) {
        this.need = this.headerBytes + size;
        // The header is kept: the message is one unit, header and body.
        this.partial = unit;
        return false;
      }
    }
    this.need = this.headerBytes;
    return KEY_MESSAGES.has(unit.readUInt16LE(mini ? 0 : 8));
  }
}

type WriteFn = (chunk: Buffer, encoding: BufferEncoding, cb: (err?: Error | null) => void) => void;

/**
 * Makes a SPICE channel's writes pace its key messages (see the top of this file). Works inside
 * the stream's own write path, so its buffering, backpressure and write callbacks behave as before
 * (a write's callback comes once its last segment is written).
 */
export function paceSpiceKeys(stream: Duplex, gapMs = KEY_GAP_MS): Duplex {
  const parser = new SpiceClientParser();
  const inner = stream as unknown as { _write: WriteFn; _writev?: unknown };
  const write: WriteFn = inner._write.bind(stream);
  // One chunk at a time through _write below (a _writev would bypass the pacing).
  inner._writev = undefined;
  let lastKeyAt = 0;
  let timer: NodeJS.Timeout | undefined;
  stream.once('close', () => clearTimeout(timer));
  inner._write = (chunk, encoding, cb) => {
    const segments = parser.split(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding));
    const next = (err?: Error | null): void => {
      const s = segments[0];
      if (err || !s || stream.destroyed) return cb(err);
      const wait = s.key ? lastKeyAt + gapMs - performance.now() : 0;
      if (wait > 0) {
        timer = setTimeout(() => next(), wait);
        return;
      }
      segments.shift();
      if (s.key) lastKeyAt = performance.now();
      write(s.bytes, encoding, next);
    };
    next();
  };
  return stream;
}
