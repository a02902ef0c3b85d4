/**
 * The key ledger for SPICE consoles: what each guest's keyboard was told over its SPICE inputs
 * channel, read off the bytes the browser sends (the link message names the channel's type; after
 * the 132-byte ticket come mini-header messages: type u16, size u32, then the body). KEY_DOWN (101)
 * and KEY_UP (102) carry a scancode's bytes, the last one with bit 7 set on release.
 */
import type { Duplex } from 'node:stream';
import { tapWrites, type KeyLedger } from './switcher-harness.js';

const INPUTS_CHANNEL = 3;

/** SPICE key messages read so far, by guest uuid (to prove the ledger reads the SPICE side at all). */
export const spiceKeyEvents = new Map<string, number>();
const TICKET_BYTES = 4 + 128;

/** SPICE key messages written through to QEMU so far, by guest uuid. */
export const spiceKeysWritten = new Map<string, number>();

/** The last key messages written on each guest's SPICE inputs channel, and whether each was written through. */
export const spiceKeyLog = new Map<string, { at: number; type: number; value: string; done: boolean }[]>();

export function tapSpice(ledger: KeyLedger, uuid: string, upstream: Duplex): Duplex {
  const held = ledger.down.get(uuid) ?? new Set<string>();
  ledger.down.set(uuid, held);
  const log = spiceKeyLog.get(uuid) ?? [];
  spiceKeyLog.set(uuid, log);
  let fresh: { done: boolean }[] = [];
  let buf = Buffer.alloc(0);
  let stage: 'header' | 'link' | 'ticket' | 'messages' = 'header';
  let linkSize = 0;
  let inputs = false;
  const parse = (): void => {
    for (;;) {
      if (stage === 'header') {
        if (buf.length < 16) return;
        linkSize = buf.readUInt32LE(12);
        buf = buf.subarray(16);
        stage = 'link';
      } else if (stage === 'link') {
        if (buf.length < linkSize) return;
        inputs = buf[4] === INPUTS_CHANNEL;
        buf = buf.subarray(linkSize);
        stage = 'ticket';
      } else if (stage === 'ticket') {
        if (buf.length < TICKET_BYTES) return;
        buf = buf.subarray(TICKET_BYTES);
        stage = 'messages';
      } else {
        if (buf.length < 6) return;
        const type = buf.readUInt16LE(0);
        const size = buf.readUInt32LE(2);
        if (buf.length < 6 + size) return;
        if (inputs && (type === 101 || type === 102) && size >= 4) {
          ledger.events++;
          spiceKeyEvents.set(uuid, (spiceKeyEvents.get(uuid) ?? 0) + 1);
          const v = buf.readUInt32LE(6);
          const entry = { at: Math.round(performance.now()), type, value: v.toString(16), done: false };
          log.push(entry);
          if (log.length > 40) log.shift();
          fresh.push(entry);
          const extended = (v & 0xff) === 0xe0;
          const last = extended ? (v >> 8) & 0xff : v & 0xff;
          const key = `x${extended ? 'e0' : ''}${(last & 0x7f).toString(16)}`;
          if (type === 101 && !(last & 0x80)) held.add(key);
          else held.delete(key);
        }
        buf = buf.subarray(6 + size);
      }
    }
  };
  return tapWrites(upstream, (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    parse();
    const these = fresh;
    fresh = [];
    return () => {
      for (const e of these) e.done = true;
      if (these.length) spiceKeysWritten.set(uuid, (spiceKeysWritten.get(uuid) ?? 0) + these.length);
    };
  });
}
