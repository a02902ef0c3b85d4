import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHeader, encodePacket, PacketReader } from '../../main/libvirt/packet.js';
import { ProtocolError } from '../../main/libvirt/errors.js';
import { MESSAGE_MAX, MessageStatus, MessageType, REMOTE_PROGRAM, type Header } from '../../main/libvirt/protocol.js';
import { recordedPackets } from './libvirt-recorded.js';

const header = (serial: number, extra: Partial<Header> = {}): Header => ({
  prog: REMOTE_PROGRAM,
  vers: 1,
  proc: 66,
  type: MessageType.Reply,
  serial,
  status: MessageStatus.Ok,
  ...extra,
});

function collect(): { reader: PacketReader; got: { h: Header; pkt: Buffer }[] } {
  const got: { h: Header; pkt: Buffer }[] = [];
  return { reader: new PacketReader((h, pkt) => got.push({ h, pkt: Buffer.from(pkt) })), got };
}

describe('packet framing', () => {
  it('writes a length word that counts itself, then the 24-byte header', () => {
    const p = encodePacket(header(7, { proc: -1, status: MessageStatus.Error }), (w) => w.uint(0xabcdef01));
    assert.equal(p.length, 32);
    assert.deepEqual(
      p,
      Buffer.from(
        '00000020' + '20008086' + '00000001' + 'ffffffff' + '00000001' + '00000007' + '00000001' + 'abcdef01',
        'hex',
      ),
    );
    assert.deepEqual(decodeHeader(p, 4), header(7, { proc: -1, status: MessageStatus.Error }));
  });

  it('appends raw stream data unpadded', () => {
    const p = encodePacket(
      header(3, { type: MessageType.Stream, status: MessageStatus.Continue }),
      undefined,
      Buffer.from('abcde'),
    );
    assert.equal(p.length, 28 + 5);
    assert.equal(p.readUInt32BE(0), 33);
    assert.equal(p.subarray(28).toString(), 'abcde');
  });

  it('refuses to build a packet over the 32 MiB limit', () => {
    assert.throws(() => encodePacket(header(1), undefined, Buffer.alloc(MESSAGE_MAX)), ProtocolError);
    // The largest legal one is fine.
    assert.equal(encodePacket(header(1), undefined, Buffer.alloc(MESSAGE_MAX - 24)).length, MESSAGE_MAX + 4);
  });

  it('splits a real recorded session at every byte boundary into the same packets', () => {
    const stream = Buffer.concat(recordedPackets.map((p) => Buffer.from(p, 'base64')));
    const whole = collect();
    whole.reader.push(stream);
    assert.equal(whole.got.length, recordedPackets.length);
    whole.got.forEach((g, i) => assert.deepEqual(g.pkt, Buffer.from(recordedPackets[i]!, 'base64')));
    for (let cut = 1; cut < stream.length; cut++) {
      const c = collect();
      c.reader.push(stream.subarray(0, cut));
      c.reader.push(stream.subarray(cut));
      assert.equal(c.got.length, whole.got.length, `cut at ${cut}`);
      for (let i = 0; i < c.got.length; i++)
        assert.ok(c.got[i]!.pkt.equals(whole.got[i]!.pkt), `cut at ${cut}, packet ${i}`);
      assert.equal(c.reader.bufferedBytes, 0);
    }
  });

  it('reassembles a stream fed one byte at a time, and in uneven slices', () => {
    const stream = Buffer.concat(recordedPackets.map((p) => Buffer.from(p, 'base64')));
    const one = collect();
    for (let i = 0; i < stream.length; i++) one.reader.push(stream.subarray(i, i + 1));
    assert.equal(one.got.length, recordedPackets.length);
    const sliced = collect();
    for (let i = 0, n = 1; i < stream.length; i += n, n = (n * 7 + 3) % 97)
      sliced.reader.push(stream.subarray(i, i + n));
    assert.deepEqual(
      sliced.got.map((g) => g.pkt),
      one.got.map((g) => g.pkt),
    );
  });

  it('does not copy a packet that sits inside one chunk', () => {
    const chunk = Buffer.concat([encodePacket(header(1)), encodePacket(header(2))]);
    const seen: Buffer[] = [];
    const r = new PacketReader((_h, pkt) => seen.push(pkt));
    r.push(chunk);
    assert.equal(seen[0]!.buffer, chunk.buffer);
    assert.equal(seen[1]!.buffer, chunk.buffer);
  });

  it('refuses lengths shorter than a header or over the limit, as libvirt does', () => {
    for (const len of [0, 4, 27]) {
      const r = new PacketReader(() => assert.fail('no packet'));
      const b = Buffer.alloc(4);
      b.writeUInt32BE(len);
      assert.throws(() => r.push(b), /shorter than a header/);
    }
    const r = new PacketReader(() => assert.fail('no packet'));
    const b = Buffer.alloc(4);
    b.writeUInt32BE(MESSAGE_MAX + 5);
    assert.throws(() => r.push(b), /exceeds libvirt's/);
    // Exactly the limit is legal: it waits for the bytes.
    const ok = new PacketReader(() => assert.fail('not complete yet'));
    b.writeUInt32BE(MESSAGE_MAX + 4);
    ok.push(b);
    assert.equal(ok.bufferedBytes, 4);
  });

  it('judges the length as soon as its four bytes are in, split or not', () => {
    const b = Buffer.from('ffffffff', 'hex');
    const r = new PacketReader(() => undefined);
    r.push(b.subarray(0, 1));
    r.push(b.subarray(1, 3));
    assert.throws(() => r.push(b.subarray(3)), ProtocolError);
  });
});
