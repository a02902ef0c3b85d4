/**
 * Composable XDR codecs. A procedure's argument and return types are built from these once, in
 * the procedure table, and TypeScript derives the JavaScript shapes from them, so encoding,
 * decoding and the types can never drift apart.
 */
import { XdrError, type XdrReader, type XdrWriter } from './xdr.js';

export interface Codec<T> {
  enc(w: XdrWriter, v: T): void;
  dec(r: XdrReader): T;
}

export type CodecType<C> = C extends Codec<infer T> ? T : never;

export const voidCodec: Codec<void> = { enc: () => undefined, dec: () => undefined };

export const int: Codec<number> = { enc: (w, v) => w.int(v), dec: (r) => r.int() };
export const uint: Codec<number> = { enc: (w, v) => w.uint(v), dec: (r) => r.uint() };
export const hyper: Codec<bigint> = { enc: (w, v) => w.hyper(v), dec: (r) => r.hyper() };
export const uhyper: Codec<bigint> = { enc: (w, v) => w.uhyper(v), dec: (r) => r.uhyper() };
export const double: Codec<number> = { enc: (w, v) => w.double(v), dec: (r) => r.double() };
/** libvirt's `int` used as a boolean: any non-zero value reads as true, as xdr_int would. */
export const intBool: Codec<boolean> = { enc: (w, v) => w.int(v ? 1 : 0), dec: (r) => r.int() !== 0 };

/**
 * An unsigned hyper as a JavaScript number, for values that are sizes in KiB and the like, which
 * never approach 2^53. A larger value is refused rather than silently rounded.
 */
export const uhyperNumber: Codec<number> = {
  enc: (w, v) => {
    if (!Number.isSafeInteger(v) || v < 0) throw new XdrError(`unsigned hyper out of range: ${v}`);
    w.uhyper(BigInt(v));
  },
  dec: (r) => {
    const v = r.uhyper();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new XdrError(`value ${v} does not fit a JavaScript number`);
    return Number(v);
  },
};

export function string(max: number): Codec<string> {
  return { enc: (w, v) => w.string(v, max), dec: (r) => r.string(max) };
}

export function opaque(max: number): Codec<Buffer> {
  return { enc: (w, v) => w.opaque(v, max), dec: (r) => r.opaque(max) };
}

export function fixedOpaque(len: number): Codec<Buffer> {
  return {
    enc: (w, v) => {
      if (v.length !== len) throw new XdrError(`expected ${len} bytes, got ${v.length}`);
      w.fixedOpaque(v);
    },
    dec: (r) => Buffer.from(r.fixedOpaque(len)),
  };
}

/** `T *x`: a present flag, then the value when present. */
export function optional<T>(c: Codec<T>): Codec<T | null> {
  return {
    enc: (w, v) => {
      if (v === null || v === undefined) w.uint(0);
      else {
        w.uint(1);
        c.enc(w, v);
      }
    },
    dec: (r) => (r.bool() ? c.dec(r) : null),
  };
}

/** `T x<max>`: a count, then the elements. Counts above the limit are refused both ways. */
export function array<T>(c: Codec<T>, max: number): Codec<T[]> {
  return {
    enc: (w, v) => {
      if (v.length > max) throw new XdrError(`array of ${v.length} exceeds its limit of ${max}`);
      w.uint(v.length);
      for (const x of v) c.enc(w, x);
    },
    dec: (r) => {
      const n = r.uint();
      if (n > max) throw new XdrError(`array of ${n} exceeds its limit of ${max}`);
      // Each element takes at least 4 bytes: refuse counts the packet cannot hold before allocating.
      if (n * 4 > r.remaining) throw new XdrError(`array count ${n} exceeds the ${r.remaining} bytes left`);
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = c.dec(r);
      return out;
    },
  };
}

/**
 * `char x[n]` in libvirt's XDR is n 4-byte words, one per character (NODE_GET_INFO's model):
 * decoded as the text up to the first NUL.
 */
export function charArray(n: number): Codec<string> {
  return {
    enc: (w, v) => {
      const bytes = Buffer.from(v, 'latin1');
      for (let i = 0; i < n; i++) w.int(i < bytes.length ? (bytes[i]! << 24) >> 24 : 0);
    },
    dec: (r) => {
      let s = '';
      let ended = false;
      for (let i = 0; i < n; i++) {
        const c = r.int() & 0xff;
        if (c === 0) ended = true;
        if (!ended) s += String.fromCharCode(c);
      }
      return s;
    },
  };
}

type Fields = Record<string, Codec<unknown>>;
export type StructType<F extends Fields> = { [K in keyof F]: CodecType<F[K]> };

/** A struct: its fields in declaration order (object key order is insertion order). */
export function struct<F extends Fields>(fields: F): Codec<StructType<F>> {
  const entries = Object.entries(fields);
  return {
    enc: (w, v) => {
      for (const [k, c] of entries) c.enc(w, (v as Record<string, unknown>)[k]);
    },
    dec: (r) => {
      const out: Record<string, unknown> = {};
      for (const [k, c] of entries) out[k] = c.dec(r);
      return out as StructType<F>;
    },
  };
}

/** A discriminated union keyed by an int, decoded as `{ type, value }`. */
export function union<T extends { type: number; value: unknown }>(arms: Record<number, Codec<unknown>>): Codec<T> {
  return {
    enc: (w, v) => {
      const arm = arms[v.type];
      if (!arm) throw new XdrError(`union has no arm ${v.type}`);
      w.int(v.type);
      arm.enc(w, v.value);
    },
    dec: (r) => {
      const type = r.int();
      const arm = arms[type];
      if (!arm) throw new XdrError(`union has no arm ${type}`);
      return { type, value: arm.dec(r) } as T;
    },
  };
}

/** Wraps a codec with conversions, e.g. a UUID as its text form over 16 raw bytes. */
export function mapped<A, B>(c: Codec<A>, to: (a: A) => B, from: (b: B) => A): Codec<B> {
  return { enc: (w, v) => c.enc(w, from(v)), dec: (r) => to(c.dec(r)) };
}
