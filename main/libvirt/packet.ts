/**
 * Packet framing: a 4-byte big-endian length that counts itself, a 24-byte header, the payload.
 * Both directions are bounded by the protocol's 32 MiB limit; anything else is a ProtocolError.
 */
import { ProtocolError } from './errors.js';
import { HEADER_SIZE, LENGTH_SIZE, MESSAGE_MAX, type Header } from './protocol.js';
import { XdrWriter } from './xdr.js';

/** Encodes one packet; `body` writes the payload after the header. */
export function encodePacket(h: Header, body?: (w: XdrWriter) => void, raw?: Uint8Array): Buffer {
  const w = new XdrWriter(raw ? LENGTH_SIZE + HEADER_SIZE + raw.length : 256);
  w.uint(0);
  w.uint(h.prog);
  w.uint(h.vers);
  w.int(h.proc);
  w.uint(h.type);
  w.uint(h.serial);
  w.uint(h.status);
  if (body) body(w);
  if (raw) w.fixedOpaqueUnpadded(raw);
  const len = w.length;
  if (len - LENGTH_SIZE > MESSAGE_MAX)
    throw new ProtocolError(`packet of ${len} bytes exceeds libvirt's ${MESSAGE_MAX}-byte limit`);
  w.patchUint(0, len);
  // Copy out: the writer's buffer may be larger than the packet.
  return Buffer.from(w.bytes());
}

export function decodeHeader(buf: Buffer, at: number): Header {
  return {
    prog: buf.readUInt32BE(at),
    vers: buf.readUInt32BE(at + 4),
    proc: buf.readInt32BE(at + 8),
    type: buf.readUInt32BE(at + 12),
    serial: buf.readUInt32BE(at + 16),
    status: buf.readUInt32BE(at + 20),
  };
}

/**
 * Splits a byte stream into packets. `push` throws ProtocolError on a length that is too small or
 * too large; the stream can't be resynchronised after that, so the caller drops the connection.
 */
export class PacketReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = -1;

  constructor(private readonly onPacket: (header: Header, packet: Buffer) => void) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < LENGTH_SIZE) return;
        const len = this.peekLength();
        if (len < LENGTH_SIZE + HEADER_SIZE) throw new ProtocolError(`packet length ${len} is shorter than a header`);
        if (len - LENGTH_SIZE > MESSAGE_MAX)
          throw new ProtocolError(`packet length ${len} exceeds libvirt's ${MESSAGE_MAX}-byte limit`);
        this.need = len;
      }
      if (this.buffered < this.need) return;
      const packet = this.take(this.need);
      this.need = -1;
      this.onPacket(decodeHeader(packet, LENGTH_SIZE), packet);
    }
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= LENGTH_SIZE) return first.readUInt32BE(0);
    const head = Buffer.concat(this.chunks, LENGTH_SIZE);
    return head.readUInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}
