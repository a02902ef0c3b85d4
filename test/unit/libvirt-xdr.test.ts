import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XdrError, XdrReader, XdrWriter } from '../../main/libvirt/xdr.js';
import {
  array,
  charArray,
  double,
  fixedOpaque,
  hyper,
  int,
  intBool,
  opaque,
  optional,
  string,
  struct,
  uhyper,
  uhyperNumber,
  uint,
  union,
  type Codec,
} from '../../main/libvirt/codec.js';
import {
  domain,
  remoteError,
  typedParam,
  TypedParamType,
  uuid,
  uuidToBytes,
  paramsToRecord,
  HEADER_SIZE,
  LENGTH_SIZE,
} from '../../main/libvirt/protocol.js';
import { eventMessages, procedures, type ProcedureName } from '../../main/libvirt/procedures.js';
import { recordedCalls, recordedPackets } from './libvirt-recorded.js';

function enc<T>(c: Codec<T>, v: T): Buffer {
  const w = new XdrWriter(8);
  c.enc(w, v);
  return Buffer.from(w.bytes());
}

function dec<T>(c: Codec<T>, b: Buffer): T {
  const r = new XdrReader(b);
  const v = c.dec(r);
  assert.equal(r.remaining, 0, 'the codec consumed every byte');
  return v;
}

function roundTrip<T>(c: Codec<T>, v: T): Buffer {
  const b = enc(c, v);
  assert.equal(b.length % 4, 0, 'XDR output is whole 4-byte units');
  assert.deepEqual(dec(c, b), v);
  return b;
}

describe('XDR primitives', () => {
  it('writes big-endian words and reads them back', () => {
    assert.deepEqual(roundTrip(int, -2), Buffer.from('fffffffe', 'hex'));
    assert.deepEqual(roundTrip(uint, 0xdeadbeef), Buffer.from('deadbeef', 'hex'));
    assert.deepEqual(roundTrip(hyper, -1n), Buffer.from('ffffffffffffffff', 'hex'));
    assert.deepEqual(roundTrip(uhyper, 0x0102030405060708n), Buffer.from('0102030405060708', 'hex'));
    assert.deepEqual(roundTrip(double, 1.5), Buffer.from('3ff8000000000000', 'hex'));
    assert.deepEqual(roundTrip(intBool, true), Buffer.from('00000001', 'hex'));
    roundTrip(int, 0x7fffffff);
    roundTrip(int, -0x80000000);
    roundTrip(uint, 0);
    roundTrip(hyper, -(1n << 63n));
    roundTrip(uhyper, (1n << 64n) - 1n);
  });

  it('refuses values out of range when writing', () => {
    assert.throws(() => enc(int, 0x80000000), XdrError);
    assert.throws(() => enc(int, 1.5), XdrError);
    assert.throws(() => enc(uint, -1), XdrError);
    assert.throws(() => enc(uint, 2 ** 32), XdrError);
    assert.throws(() => enc(hyper, 1n << 63n), XdrError);
    assert.throws(() => enc(uhyper, -1n), XdrError);
    assert.throws(() => enc(uhyper, 1n << 64n), XdrError);
    assert.throws(() => enc(uhyperNumber, 2 ** 53), XdrError);
    assert.throws(() => enc(uhyperNumber, -1), XdrError);
  });

  it('reads any non-zero int as true (as xdr_int does) but a bool flag only as 0 or 1', () => {
    assert.equal(dec(intBool, Buffer.from('00000007', 'hex')), true);
    assert.equal(dec(intBool, Buffer.from('00000000', 'hex')), false);
    assert.throws(() => dec(optional(int), Buffer.from('00000002', 'hex')), /bad bool 2/);
  });

  it('pads strings and opaques to 4 bytes with zeros', () => {
    assert.deepEqual(roundTrip(string(10), 'abcde'), Buffer.from('00000005616263646500000000', 'hex').subarray(0, 12));
    assert.deepEqual(roundTrip(string(10), ''), Buffer.from('00000000', 'hex'));
    assert.deepEqual(roundTrip(string(10), 'abcd'), Buffer.from('0000000461626364', 'hex'));
    assert.deepEqual(roundTrip(opaque(8), Buffer.from([1, 2, 3])), Buffer.from('0000000301020300', 'hex'));
    assert.deepEqual(roundTrip(fixedOpaque(3), Buffer.from([1, 2, 3])), Buffer.from('01020300', 'hex'));
    // UTF-8 counts bytes, not characters.
    assert.deepEqual(enc(string(10), 'é').subarray(0, 4), Buffer.from('00000002', 'hex'));
    roundTrip(string(64), 'vst-ünïcödé ✓');
  });

  it('enforces declared limits both ways', () => {
    assert.throws(() => enc(string(3), 'abcd'), /exceeds its limit of 3/);
    assert.throws(() => dec(string(3), Buffer.from('0000000461626364', 'hex')), /exceeds its limit of 3/);
    assert.throws(() => enc(opaque(2), Buffer.from([1, 2, 3])), /exceeds its limit/);
    assert.throws(() => dec(opaque(2), Buffer.from('0000000301020300', 'hex')), /exceeds its limit/);
    assert.throws(() => enc(array(int, 2), [1, 2, 3]), /exceeds its limit of 2/);
    assert.throws(
      () => dec(array(int, 2), Buffer.from('00000003000000010000000200000003', 'hex')),
      /exceeds its limit of 2/,
    );
    assert.throws(() => enc(fixedOpaque(4), Buffer.from([1])), /expected 4 bytes/);
  });

  it('refuses truncated input with an XdrError, never a RangeError', () => {
    const cases: [Codec<unknown>, string][] = [
      [int, '000000'],
      [hyper, '00000000000000'],
      [string(100), '00000005616263'],
      [string(100), '000000056162636465'], // data present, padding missing
      [opaque(100), '00000004010203'],
      [array(int, 100), '0000000200000001'],
      [optional(int), '00000001'],
      [domain, '00000001'],
    ];
    for (const [c, hex] of cases) assert.throws(() => dec(c, Buffer.from(hex, 'hex')), XdrError, hex);
  });

  it('refuses a huge array count before allocating for it', () => {
    const b = Buffer.from('0000400000000001', 'hex'); // 16384 elements claimed, one present
    assert.throws(() => dec(array(int, 16384), b), /exceeds the 4 bytes left/);
  });

  it('reads only inside its window of a larger buffer', () => {
    const b = Buffer.from('00000001000000020000000300000004', 'hex');
    const r = new XdrReader(b, 4, 12);
    assert.equal(r.int(), 2);
    assert.equal(r.int(), 3);
    assert.throws(() => r.int(), XdrError);
  });

  it('grows its buffer across many writes', () => {
    const w = new XdrWriter(4);
    for (let i = 0; i < 10_000; i++) w.uint(i);
    assert.equal(w.length, 40_000);
    assert.equal(w.bytes().readUInt32BE(4 * 9999), 9999);
  });
});

describe('codecs for libvirt types', () => {
  it('maps a UUID to its text form over 16 raw bytes', () => {
    const u = '6695eb01-f6a4-8304-79aa-97f2502e193f';
    assert.deepEqual(roundTrip(uuid, u), Buffer.from('6695eb01f6a4830479aa97f2502e193f', 'hex'));
    assert.equal(dec(uuid, uuidToBytes(u.toUpperCase())), u);
    assert.throws(() => enc(uuid, 'not-a-uuid'), /not a UUID/);
  });

  it('encodes remote_nonnull_domain as name, uuid, id', () => {
    const b = roundTrip(domain, { name: 'ab', uuid: '00112233-4455-6677-8899-aabbccddeeff', id: -1 });
    assert.deepEqual(b, Buffer.from('00000002616200000011223344556677' + '8899aabbccddeeff' + 'ffffffff', 'hex'));
  });

  it('encodes optional values with a present flag', () => {
    assert.deepEqual(roundTrip(optional(int), null), Buffer.from('00000000', 'hex'));
    assert.deepEqual(roundTrip(optional(int), 5), Buffer.from('0000000100000005', 'hex'));
  });

  it('reads char[n] as n words, one per character, up to the first NUL', () => {
    const c = charArray(8);
    const b = enc(c, 'x86');
    assert.equal(b.length, 32);
    assert.deepEqual(b.subarray(0, 12), Buffer.from('000000780000003800000036', 'hex'));
    assert.equal(dec(c, b), 'x86');
    assert.equal(dec(c, enc(c, 'abcdefgh')), 'abcdefgh');
  });

  it('decodes every arm of remote_typed_param_value', () => {
    const params = [
      { field: 'i', value: { type: TypedParamType.Int, value: -3 } },
      { field: 'ui', value: { type: TypedParamType.Uint, value: 3 } },
      { field: 'l', value: { type: TypedParamType.Llong, value: -(1n << 40n) } },
      { field: 'ul', value: { type: TypedParamType.Ullong, value: 1n << 63n } },
      { field: 'd', value: { type: TypedParamType.Double, value: 0.25 } },
      { field: 'b', value: { type: TypedParamType.Boolean, value: 1 } },
      { field: 's', value: { type: TypedParamType.String, value: 'running' } },
    ] as const;
    for (const p of params) roundTrip(typedParam, p);
    assert.deepEqual(paramsToRecord(params), {
      i: -3,
      ui: 3,
      l: -(1n << 40n),
      ul: 1n << 63n,
      d: 0.25,
      b: true,
      s: 'running',
    });
    assert.throws(() => dec(typedParam, Buffer.from('00000001780000000000000900000000', 'hex')), /union has no arm 9/);
  });

  it('refuses a union arm it does not know when writing too', () => {
    const u = union<{ type: number; value: unknown }>({ 1: int });
    assert.throws(() => enc(u, { type: 2, value: 1 }), /no arm 2/);
  });

  it('decodes a remote_error with every optional field present', () => {
    const e = {
      code: 42,
      domain: 10,
      message: "Domain not found: no domain with matching uuid '00000000-0000-0000-0000-000000000000'",
      level: 2,
      dom: { name: 'vst', uuid: '00000000-0000-0000-0000-000000000001', id: 3 },
      str1: 'a',
      str2: null,
      str3: 'c',
      int1: -1,
      int2: 7,
      net: { name: 'default', uuid: '00000000-0000-0000-0000-000000000002' },
    };
    roundTrip(remoteError, e);
  });

  it('keeps struct fields in declaration order', () => {
    const s = struct({ b: int, a: string(4) });
    assert.deepEqual(enc(s, { a: 'x', b: 1 }), Buffer.from('000000010000000178000000', 'hex'));
  });
});

describe('known byte layouts of libvirt 9.0 replies', () => {
  const packets = recordedPackets.map((p) => Buffer.from(p, 'base64'));
  const reply = (name: ProcedureName): Buffer => {
    const call = recordedCalls.find((c) => c.name === name)!;
    const pkt = packets.find((p) => p.readUInt32BE(16) === 1 && p.readUInt32BE(20) === call.serial)!;
    return pkt.subarray(LENGTH_SIZE + HEADER_SIZE);
  };

  it('NODE_GET_INFO ret is 160 bytes: char model[32] as 32 words, a hyper, six ints', () => {
    const b = reply('nodeGetInfo');
    assert.equal(b.length, 160);
    const v = dec(procedures.nodeGetInfo.ret, b);
    assert.equal(v.model, 'i686'); // the test driver's fake host
    assert.equal(v.cpus, 16);
    assert.deepEqual(enc(procedures.nodeGetInfo.ret, v), b);
  });

  it('DOMAIN_GET_INFO ret is 32 bytes: unsigned char and unsigned short take a word each', () => {
    const b = reply('domainGetInfo');
    assert.equal(b.length, 32);
    const v = dec(procedures.domainGetInfo.ret, b);
    assert.equal(v.state, 1);
    assert.equal(v.maxMem, 8388608);
    assert.equal(v.nrVirtCpu, 2);
    assert.deepEqual(enc(procedures.domainGetInfo.ret, v), b);
  });

  it('decodes every recorded reply with its procedure codec and re-encodes it byte for byte', () => {
    let checked = 0;
    for (const pkt of packets) {
      const type = pkt.readUInt32BE(16);
      const status = pkt.readUInt32BE(24);
      const body = pkt.subarray(LENGTH_SIZE + HEADER_SIZE);
      if (type === 1) {
        const call = recordedCalls.find((c) => c.serial === pkt.readUInt32BE(20))!;
        const codec = (status === 0 ? procedures[call.name as ProcedureName].ret : remoteError) as Codec<unknown>;
        assert.deepEqual(enc(codec, dec(codec, body)), body, call.name);
        checked++;
      } else if (type === 2 && pkt.readUInt32BE(4) === 0x20008086) {
        const ev = eventMessages[pkt.readInt32BE(12) as keyof typeof eventMessages];
        assert.deepEqual(enc(ev.body as Codec<unknown>, dec(ev.body as Codec<unknown>, body)), body);
        checked++;
      }
    }
    assert.ok(checked >= 22, `checked ${checked}`);
  });

  it('decodes the recorded NO_DOMAIN error', () => {
    const e = dec(remoteError, reply('domainLookupByUuid'));
    assert.equal(e.code, 42);
    assert.match(e.message ?? '', /^Domain not found/);
  });
});

describe('XdrWriter growth', () => {
  it('keeps every value written across a growth, whatever the start size', () => {
    for (const initial of [0, 1, 4, 7, 256]) {
      const w = new XdrWriter(initial);
      const text = 'x'.repeat(1000);
      w.uint(1);
      w.string(text, 10_000);
      w.hyper(-5n);
      w.opaque(Buffer.alloc(300, 7), 1000);
      w.double(2.5);
      const r = new XdrReader(Buffer.from(w.bytes()));
      assert.equal(r.uint(), 1);
      assert.equal(r.string(10_000), text);
      assert.equal(r.hyper(), -5n);
      assert.deepEqual(r.opaque(1000), Buffer.alloc(300, 7));
      assert.equal(r.double(), 2.5);
      assert.equal(r.remaining, 0);
    }
  });
});
