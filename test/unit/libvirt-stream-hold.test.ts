/**
 * A stream that may hold its connection (a volume download): a reader that falls behind stops the
 * connection's reading instead of losing the stream, and lets it go once it has caught up or the
 * stream ends.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LibvirtStream, STREAM_BUFFER_MAX } from '../../main/libvirt/stream.js';

function stream(hold?: (on: boolean) => void): { s: LibvirtStream; holds: boolean[] } {
  const holds: boolean[] = [];
  const s = new LibvirtStream({
    label: 'test stream',
    sendPacket: (_status, _data, cb) => cb(),
    release: () => undefined,
    ...(hold ? { hold: (on: boolean) => (holds.push(on), hold(on)) } : {}),
  });
  return { s, holds };
}

const MiB = Buffer.alloc(1 << 20, 7);

describe('a stream that holds its connection for a slow reader', () => {
  it('holds once past 4 MiB unread, and lets go when the reader has caught up', async () => {
    const { s, holds } = stream(() => undefined);
    for (let i = 0; i < 6; i++) s.receiveData(MiB);
    assert.deepEqual(holds, [true]);
    let read = 0;
    s.on('data', (c: Buffer) => (read += c.length));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(read, 6 << 20);
    assert.deepEqual(holds, [true, false]);
    s.destroy();
    assert.deepEqual(holds, [true, false], 'nothing more to let go');
  });

  it('lets go when the stream is destroyed while held (a cancelled download)', () => {
    const { s, holds } = stream(() => undefined);
    for (let i = 0; i < 5; i++) s.receiveData(MiB);
    s.on('error', () => undefined);
    s.destroy();
    assert.deepEqual(holds, [true, false]);
  });

  it('without a hold, a reader more than the bound behind loses the stream', async () => {
    const { s } = stream();
    const failed = new Promise<Error>((r) => s.on('error', r));
    for (let i = 0; i <= STREAM_BUFFER_MAX >> 20; i++) s.receiveData(MiB);
    assert.match((await failed).message, /fell more than 16 MiB behind/);
  });
});
