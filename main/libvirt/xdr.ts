/**
 * XDR (RFC 4506) as libvirt's rpcgen uses it: big-endian 4-byte units, 8-byte hypers, strings
 * and variable opaques with a length word and zero padding, `T *` as a 4-byte present flag.
 * Every read is bounds-checked, so a short or hostile packet is an XdrError, never a crash.
 */

export class XdrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XdrError';
  }
}

const pad = (n: number): number => (4 - (n & 3)) & 3;

export class XdrReader {
  private offset: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.offset = start;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number, what: string): number {
    const at = this.offset;
    if (n < 0 || at + n > this.end)
      throw new XdrError(`truncated ${what}: need ${n} bytes at offset ${at}, have ${this.end - at}`);
    this.offset = at + n;
    return at;
  }

  int(): number {
    return this.buf.readInt32BE(this.need(4, 'int'));
  }

  uint(): number {
    return this.buf.readUInt32BE(this.need(4, 'unsigned int'));
  }

  hyper(): bigint {
    return this.buf.readBigInt64BE(this.need(8, 'hyper'));
  }

  uhyper(): bigint {
    return this.buf.readBigUInt64BE(this.need(8, 'unsigned hyper'));
  }

  double(): number {
    return this.buf.readDoubleBE(this.need(8, 'double'));
  }

  bool(): boolean {
    const v = this.uint();
    if (v > 1) throw new XdrError(`bad bool ${v}`);
    return v === 1;
  }

  /** A variable-length opaque: length word, bytes, padding. The bytes are a view, not a copy. */
  opaque(max: number): Buffer {
    const len = this.uint();
    if (len > max) throw new XdrError(`opaque of ${len} bytes exceeds its limit of ${max}`);
    const at = this.need(len + pad(len), 'opaque');
    return this.buf.subarray(at, at + len);
  }

  fixedOpaque(len: number): Buffer {
    const at = this.need(len + pad(len), 'fixed opaque');
    return this.buf.subarray(at, at + len);
  }

  string(max: number): string {
    const len = this.uint();
    if (len > max) throw new XdrError(`string of ${len} bytes exceeds its limit of ${max}`);
    const at = this.need(len + pad(len), 'string');
    return this.buf.toString('utf8', at, at + len);
  }

  /** Everything not yet read (raw stream payloads). */
  rest(): Buffer {
    const at = this.offset;
    this.offset = this.end;
    return this.buf.subarray(at, this.end);
  }
}

export class XdrWriter {
  private buf: Buffer;
  private offset: number;

  constructor(initial = 256, reserve = 0) {
    this.buf = Buffer.allocUnsafe(Math.max(initial, reserve));
    this.offset = reserve;
  }

  get length(): number {
    return this.offset;
  }

  /**
   * Reserves n bytes and returns where they start. It may replace `this.buf`, so callers must call
   * it before they read `this.buf` (`this.buf.writeX(v, this.room(n))` would write into the old one).
   */
  private room(n: number): number {
    const at = this.offset;
    if (at + n > this.buf.length) {
      let size = Math.max(64, this.buf.length * 2);
      while (size < at + n) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, 0, at);
      this.buf = next;
    }
    this.offset = at + n;
    return at;
  }

  int(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new XdrError(`int out of range: ${v}`);
    const at = this.room(4);
    this.buf.writeInt32BE(v, at);
  }

  uint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new XdrError(`unsigned int out of range: ${v}`);
    const at = this.room(4);
    this.buf.writeUInt32BE(v, at);
  }

  hyper(v: bigint): void {
    if (v < -(1n << 63n) || v >= 1n << 63n) throw new XdrError(`hyper out of range: ${v}`);
    const at = this.room(8);
    this.buf.writeBigInt64BE(v, at);
  }

  uhyper(v: bigint): void {
    if (v < 0n || v >= 1n << 64n) throw new XdrError(`unsigned hyper out of range: ${v}`);
    const at = this.room(8);
    this.buf.writeBigUInt64BE(v, at);
  }

  double(v: number): void {
    const at = this.room(8);
    this.buf.writeDoubleBE(v, at);
  }

  bool(v: boolean): void {
    this.uint(v ? 1 : 0);
  }

  private padding(n: number): void {
    const p = pad(n);
    if (p) {
      const at = this.room(p);
      this.buf.fill(0, at, at + p);
    }
  }

  opaque(v: Uint8Array, max: number): void {
    if (v.length > max) throw new XdrError(`opaque of ${v.length} bytes exceeds its limit of ${max}`);
    this.uint(v.length);
    this.fixedOpaque(v);
  }

  fixedOpaque(v: Uint8Array): void {
    const at = this.room(v.length);
    this.buf.set(v, at);
    this.padding(v.length);
  }

  /** Raw bytes with no length word and no padding (stream payloads are not XDR). */
  fixedOpaqueUnpadded(v: Uint8Array): void {
    const at = this.room(v.length);
    this.buf.set(v, at);
  }

  string(v: string, max: number): void {
    const len = Buffer.byteLength(v, 'utf8');
    if (len > max) throw new XdrError(`string of ${len} bytes exceeds its limit of ${max}`);
    this.uint(len);
    const at = this.room(len);
    this.buf.write(v, at, len, 'utf8');
    this.padding(len);
  }

  /** Overwrites a 4-byte word already written (used to fill in the packet length). */
  patchUint(at: number, v: number): void {
    this.buf.writeUInt32BE(v, at);
  }

  /** The bytes written so far; a view, valid until the next write. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.offset);
  }
}
