import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { RfbSecurityWatch, watchSecurity } from '../../main/consoles/rfb-security.js';

const V38 = Buffer.from('RFB 003.008\n', 'latin1');

/** Feeds the bytes one at a time, as a slow link would. */
function watchBytes(bytes: Buffer): RfbSecurityWatch {
  const w = new RfbSecurityWatch();
  for (const b of bytes) w.feed(Uint8Array.of(b));
  return w;
}

describe("a VNC server's offered security types", () => {
  it('rule out a TLS-only display (VeNCrypt alone), in words', () => {
    const w = watchBytes(Buffer.concat([V38, Uint8Array.of(1, 19)]));
    assert.equal(w.watching, false);
    assert.match(w.verdict ?? '', /requires TLS \(VeNCrypt/);
  });

  it('rule out SASL alone; a display with None or a password is fine', () => {
    assert.match(watchBytes(Buffer.concat([V38, Uint8Array.of(1, 20)])).verdict ?? '', /SASL/);
    assert.equal(watchBytes(Buffer.concat([V38, Uint8Array.of(1, 1)])).verdict, undefined);
    assert.equal(watchBytes(Buffer.concat([V38, Uint8Array.of(2, 19, 2)])).verdict, undefined);
  });

  it('reads RFB 3.3 (one 32-bit type) and stops watching after the types', () => {
    const w = new RfbSecurityWatch();
    w.feed(Buffer.concat([Buffer.from('RFB 003.003\n', 'latin1'), Uint8Array.of(0, 0, 0, 19)]));
    assert.match(w.verdict ?? '', /TLS/);
    const ok = new RfbSecurityWatch();
    ok.feed(Buffer.concat([V38, Uint8Array.of(1, 1)]));
    assert.equal(ok.watching, false);
    ok.feed(Uint8Array.of(19, 19, 19));
    assert.equal(ok.verdict, undefined);
  });

  it('waits for more bytes while the list is incomplete; gives up on what is not RFB', () => {
    const w = new RfbSecurityWatch();
    w.feed(Buffer.concat([V38, Uint8Array.of(2, 19)]));
    assert.equal(w.watching, true);
    w.feed(Uint8Array.of(20));
    assert.equal(w.watching, false);
    assert.match(w.verdict ?? '', /TLS/);
    const junk = new RfbSecurityWatch();
    junk.feed(Buffer.from('HTTP/1.1 400 \n', 'latin1'));
    assert.equal(junk.watching, false);
    assert.equal(junk.verdict, undefined);
  });
});

describe('watching a channel for a display we cannot open', () => {
  const TLS_ONLY = Buffer.concat([V38, Uint8Array.of(1, 19)]);

  it('through a reader: every byte still reaches the reader, and the verdict comes once', () => {
    const got: number[] = [];
    const refused: string[] = [];
    const buf = new Uint8Array(64);
    const reader = watchSecurity(new RfbSecurityWatch(), (why) => refused.push(why)).reader({
      buffer: () => buf,
      take: (b) => (got.push(...b), true),
    });
    assert.equal(reader.buffer(), buf);
    reader.take(TLS_ONLY.subarray(0, 5));
    assert.deepEqual(refused, []);
    reader.take(TLS_ONLY.subarray(5));
    reader.take(Buffer.from([1, 2, 3]));
    assert.deepEqual(Buffer.from(got), Buffer.concat([TLS_ONLY, Buffer.from([1, 2, 3])]));
    assert.equal(refused.length, 1);
    assert.match(refused[0]!, /requires TLS/);
  });

  it("through a stream's pushes: the bytes flow on unchanged", async () => {
    const refused: string[] = [];
    const s = new PassThrough();
    watchSecurity(new RfbSecurityWatch(), (why) => refused.push(why)).stream(s);
    const out: Buffer[] = [];
    s.on('data', (d: Buffer) => out.push(d));
    s.end(TLS_ONLY);
    await new Promise((r) => s.once('end', r));
    assert.deepEqual(Buffer.concat(out), TLS_ONLY);
    assert.equal(refused.length, 1);
  });

  it('says nothing for a display with no password', () => {
    const refused: string[] = [];
    const s = new PassThrough();
    watchSecurity(new RfbSecurityWatch(), (why) => refused.push(why)).stream(s);
    s.write(Buffer.concat([V38, Uint8Array.of(1, 1)]));
    assert.deepEqual(refused, []);
  });
});
