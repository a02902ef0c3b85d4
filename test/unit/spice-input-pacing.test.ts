import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { paceSpiceKeys, SpiceClientParser } from '../../main/consoles/spice-input-pacing.js';

/** What spice-html5 writes to open a channel of `type`: link header, link message, auth + ticket. */
function linkBytes(type: number, caps = 0b1001): Buffer {
  const link = Buffer.alloc(22);
  link.writeUInt8(type, 4);
  link.writeUInt32LE(1, 6); // one common caps word
  link.writeUInt32LE(18, 14); // caps right after the fixed part
  link.writeUInt32LE(caps, 18);
  const header = Buffer.alloc(16);
  header.write('REDQ', 0, 'latin1');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(link.length, 12);
  return Buffer.concat([header, link, Buffer.alloc((caps & 1 ? 4 : 0) + 128, 7)]);
}

function message(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(6);
  h.writeUInt16LE(type, 0);
  h.writeUInt32LE(body.length, 2);
  return Buffer.concat([h, body]);
}

const key = (down: boolean, sc: number): Buffer =>
  message(down ? 101 : 102, Buffer.from([sc | (down ? 0 : 0x80), 0, 0, 0]));
const motion = message(111, Buffer.alloc(12));

describe('SPICE key pacing', () => {
  it('cuts an inputs channel into its key messages, whatever the write boundaries, bytes unchanged', () => {
    const keys = [key(true, 0x12), key(false, 0x12), key(true, 0x2e), key(false, 0x2e)];
    const all = Buffer.concat([linkBytes(3), motion, ...keys.slice(0, 2), motion, ...keys.slice(2)]);
    for (const size of [1, 3, 7, 10, 64, all.length]) {
      const p = new SpiceClientParser();
      const segs = [];
      for (let i = 0; i < all.length; i += size) segs.push(...p.split(all.subarray(i, i + size)));
      assert.deepEqual(Buffer.concat(segs.map((s) => s.bytes)), all, `writes of ${size}`);
      const keyEnds = segs.filter((s) => s.key).length;
      assert.equal(keyEnds, 4, `four key messages end in their own segment (writes of ${size})`);
      if (size === all.length)
        assert.deepEqual(
          segs.filter((s) => s.key).map((s) => s.bytes),
          keys,
        );
    }
  });

  it('reads full message headers when the client did not ask for mini headers', () => {
    const full = Buffer.alloc(18 + 4);
    full.writeUInt16LE(101, 8);
    full.writeUInt32LE(4, 10);
    const p = new SpiceClientParser();
    const segs = p.split(Buffer.concat([linkBytes(3, 0b1), full, full]));
    assert.equal(segs.filter((s) => s.key).length, 2);
  });

  it('leaves other channels alone', () => {
    const p = new SpiceClientParser();
    const segs = p.split(Buffer.concat([linkBytes(2), key(true, 0x12), key(false, 0x12)]));
    assert.equal(segs.length, 1);
    assert.equal(segs[0]!.key, false);
  });

  it('writes key messages that came in one burst at least the gap apart, in order, then calls back', async () => {
    const writes: { at: number; bytes: Buffer }[] = [];
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        writes.push({ at: performance.now(), bytes: chunk });
        cb();
      },
    });
    paceSpiceKeys(sink, 20);
    const keys = Array.from({ length: 6 }, (_, i) => key(i % 2 === 0, 0x10 + (i >> 1)));
    const burst = Buffer.concat([linkBytes(3), ...keys, motion]);
    const done = new Promise<void>((res, rej) => sink.write(burst, (e) => (e ? rej(e) : res())));
    sink.write(key(true, 0x20));
    await done;
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(Buffer.concat(writes.map((w) => w.bytes)), Buffer.concat([burst, key(true, 0x20)]));
    const keyWrites = writes.filter((w) => w.bytes.length === 10);
    assert.equal(keyWrites.length, 7);
    for (let i = 1; i < keyWrites.length; i++)
      assert.ok(
        keyWrites[i]!.at - keyWrites[i - 1]!.at >= 19,
        `key ${i} came ${keyWrites[i]!.at - keyWrites[i - 1]!.at} ms after the one before`,
      );
    sink.destroy();
  });
});
