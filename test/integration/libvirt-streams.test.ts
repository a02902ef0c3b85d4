/**
 * Streams and input through the wire client against real guests: the screenshot stream (a PNG of
 * the VGA text screen), the serial console stream both ways, its finish and abort from either
 * side, backpressure, and keys typed on the VGA console with SEND_KEY.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import {
  ErrorCode,
  KeyCodeSet,
  LibvirtClient,
  LibvirtError,
  type DomainRef,
  type LibvirtStream,
} from '../../main/libvirt/index.js';
import type { TestGuest, TestRig } from '../rig/guests.js';
import { useGuestClient, waitFor, within } from './libvirt-helpers.js';

function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual(
    png.subarray(0, 8),
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    'a PNG signature',
  );
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Linux input keycodes (include/uapi/linux/input-event-codes.h) for the characters typed here. */
const KEY: Record<string, number[]> = {
  ' ': [57],
  '/': [53],
  '>': [42, 52],
  '\n': [28],
  ...Object.fromEntries(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'].map((d, i) => [d, [2 + i]])),
  ...Object.fromEntries(
    Object.entries({
      q: 16,
      w: 17,
      e: 18,
      r: 19,
      t: 20,
      y: 21,
      u: 22,
      i: 23,
      o: 24,
      p: 25,
      a: 30,
      s: 31,
      d: 32,
      f: 33,
      g: 34,
      h: 35,
      j: 36,
      k: 37,
      l: 38,
      z: 44,
      x: 45,
      c: 46,
      v: 47,
      b: 48,
      n: 49,
      m: 50,
    }).flatMap(([ch, code]) => [
      [ch, [code]],
      [ch.toUpperCase(), [42, code]],
    ]),
  ),
};

/** Collects what a console stream says, as text. */
function collect(s: LibvirtStream): { text: () => string } {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return { text: () => Buffer.concat(chunks).toString('latin1') };
}

describe('libvirt wire client: streams and keys on real guests', () => {
  let rig: TestRig;
  let c: LibvirtClient;
  let g: TestGuest;
  let dom: DomainRef;

  useGuestClient({ name: 'streams' }, { boot: true }, (s) => {
    ({ rig, c, g, dom } = s);
  });

  it('screenshot: a PNG of the VGA text screen, 720x400, as virsh screenshot gives', async () => {
    const shot = await c.screenshot(dom);
    assert.equal(shot.mime, 'image/png');
    assert.deepEqual(pngSize(shot.data), { width: 720, height: 400 });
    const file = `${rig.runDir}/virsh-shot.png`;
    assert.match(await rig.virsh('screenshot', g.uuid, file), /image\/png/);
    assert.deepEqual(pngSize(readFileSync(file)), pngSize(shot.data));
    // Many at once on one connection, each on its own stream.
    const many = await Promise.all(Array.from({ length: 4 }, () => c.screenshot(dom)));
    for (const s of many) assert.deepEqual(pngSize(s.data), { width: 720, height: 400 });
  });

  it('console: a command written to the serial shell comes back on the stream and in the serial log', async () => {
    const con = await c.openConsole(dom);
    const out = collect(con);
    const from = rig.serial(g).length;
    con.write('echo marker-$((6*7))-XYZ\r');
    await waitFor('the marker on the console stream', () => out.text().includes('marker-42-XYZ'), 30_000);
    await rig.waitForSerial(g, 'marker-42-XYZ', 10_000, from);
    // Finished by us: the daemon confirms, both sides end.
    con.end();
    await within(finished(con), 10_000, 'the console finish');
  });

  it('a finished console and an aborted one both free the daemon’s side: it opens again without FORCE', async () => {
    const a = await c.openConsole(dom);
    // While it is open, another one without FORCE is refused.
    await assert.rejects(
      c.openConsole(dom),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorCode.OPERATION_FAILED,
    );
    a.destroy(); // abort
    await waitFor(
      'the console to be free again',
      async () => {
        try {
          const b = await c.openConsole(dom);
          b.end();
          b.resume();
          await finished(b);
          return true;
        } catch (e) {
          if (e instanceof LibvirtError && e.code === ErrorCode.OPERATION_FAILED) return false;
          throw e;
        }
      },
      10_000,
    );
    const again = await c.openConsole(dom);
    const out = collect(again);
    again.write('echo after-abort-ok\r');
    await waitFor(
      'the console to work after an abort and a finish',
      () => out.text().includes('after-abort-ok'),
      30_000,
    );
    again.end();
    await within(finished(again), 10_000, 'the finish');
  });

  it('the daemon aborts a console (STREAM ERROR) when another client takes it with FORCE', async () => {
    const first = await c.openConsole(dom);
    first.resume();
    const errors: Error[] = [];
    first.on('error', (e) => errors.push(e));
    const closed = new Promise<void>((r) => first.on('close', () => r()));
    const other = await LibvirtClient.connect('qemu:///system');
    try {
      const second = await other.openConsole(dom, { force: true });
      await within(closed, 10_000, 'the first console to be ended by the daemon');
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof LibvirtError, String(errors[0]));
      assert.match(errors[0].message, /stream had I\/O failure/);
      const out = collect(second);
      second.write('echo taken-over\r');
      await waitFor('the new console to work', () => out.text().includes('taken-over'), 30_000);
      second.end();
      await within(finished(second), 10_000, 'the second console');
    } finally {
      await other.close();
    }
  });

  it('a paused console reader holds up nothing else: calls go on, and resuming delivers every byte', async () => {
    const con = await c.openConsole(dom, { force: true });
    let got = 0;
    const onData = (b: Buffer): void => {
      got += b.toString('latin1').split('Z').length - 1;
    };
    // Pause first, then make the guest talk: 1.3 MB of 'Z's, past the stream's 1 MiB buffer.
    con.pause();
    con.write("head -c 1300000 /dev/zero | tr '\\0' Z; echo\r");
    await waitFor('the flood to wait in the stream', () => con.readableLength >= 1_300_000, 60_000);
    // libvirt has no per-stream flow control, so the unread flood must not stop other calls.
    assert.equal((await c.getState(dom)).state, 1);
    con.on('data', onData);
    con.resume();
    await waitFor(`all 1300000 bytes (got ${got})`, () => got >= 1300000, 60_000);
    // The connection is fine afterwards.
    assert.equal((await c.getState(dom)).state, 1);
    con.end();
    await within(finished(con), 10_000, 'the finish');
  });

  it('send key: typing on the VGA console with LINUX keycodes runs a command in the guest', async () => {
    const from = rig.serial(g).length;
    const command = 'echo keyed ok1 >/dev/ttyS0\n';
    for (const ch of command) {
      const keycodes = KEY[ch];
      assert.ok(keycodes, `no keycode for ${JSON.stringify(ch)}`);
      await c.call('domainSendKey', { dom, codeset: KeyCodeSet.LINUX, holdtime: 10, keycodes, flags: 0 });
    }
    await rig.waitForSerial(g, 'keyed ok1', 30_000, from);
    // libvirt refuses more than 16 keys in one call; the client refuses to even encode it.
    await assert.rejects(
      c.call('domainSendKey', { dom, codeset: 0, holdtime: 0, keycodes: Array(17).fill(30), flags: 0 }),
      TypeError,
    );
  });

  it('a stream call on a guest that is off fails with libvirt’s error and crashes nothing', async () => {
    const off = await rig.define({ name: 'streams-off', start: false });
    const d = await c.lookupByUuid(off.uuid);
    await assert.rejects(
      c.screenshot(d),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorCode.OPERATION_INVALID,
    );
    await assert.rejects(
      c.openConsole(d),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorCode.OPERATION_INVALID,
    );
    // A round trip on the same connection, answered after both refusals: had either broken the
    // connection, this call would fail.
    assert.equal((await c.call('connectGetUri', undefined)).uri, 'qemu:///system');
    assert.ok(c.connected);
    await rig.remove(off);
  });

  it('the daemon ends the console stream when the guest is destroyed', async () => {
    const con = await c.openConsole(dom, { force: true });
    con.resume();
    const closed = new Promise<void>((r) => con.on('close', () => r()));
    await rig.virsh('destroy', g.uuid);
    await within(closed, 15_000, 'the console to end with its guest');
    assert.ok(c.connected);
  });
});
