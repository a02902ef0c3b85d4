/**
 * Reads the start of a VNC server's side of the conversation (its version, then the security
 * types it offers) to tell a display virtswitch can never open: one that requires TLS (QEMU's
 * `vnc_tls`, offered as VeNCrypt) or SASL. The viewer would only say "connection lost"; this says why.
 * It watches a copy of the bytes and stops after the security types: nothing is changed or held.
 */
import type { Readable } from 'node:stream';
import type { ChannelReader } from './endpoint.js';

/** Security types a viewer of ours completes with QEMU: None, VNC password, Tight. */
const SPOKEN = new Set([1, 2, 16]);
const VENCRYPT = 19;
const SASL = 20;
const VERSION_LENGTH = 12;

/** Why the offered security types rule the display out, or undefined when one of them will do. */
export function unspokenSecurityWhy(types: readonly number[]): string | undefined {
  if (types.some((t) => SPOKEN.has(t))) return undefined;
  if (types.includes(VENCRYPT))
    return 'its VNC display requires TLS (VeNCrypt, vnc_tls in qemu.conf), which virtswitch does not speak';
  if (types.includes(SASL))
    return 'its VNC display requires SASL authentication (vnc_sasl in qemu.conf), which virtswitch does not speak';
  return `its VNC display offers no security type virtswitch speaks (types ${types.join(', ')})`;
}

export class RfbSecurityWatch {
  private head = Buffer.alloc(0);
  private finished = false;
  /** Why the display can't be opened, once the security types said so. */
  verdict: string | undefined;

  /** True while it still wants bytes (the version and security types have not all come yet). */
  get watching(): boolean {
    return !this.finished;
  }

  /** The server's next bytes, in order. */
  feed(bytes: Uint8Array): void {
    if (this.finished) return;
    this.head = Buffer.concat([this.head, bytes]);
    if (this.head.length < VERSION_LENGTH) return;
    const version = this.head.subarray(0, VERSION_LENGTH).toString('latin1');
    const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(version);
    if (!m) return this.finish(undefined);
    const rest = this.head.subarray(VERSION_LENGTH);
    if (m[1] === '003' && Number(m[2]) < 7) {
      // RFB 3.3: the server picks one type, as a 32-bit number (0: it refuses, with a reason).
      if (rest.length < 4) return;
      const type = rest.readUInt32BE(0);
      return this.finish(type === 0 ? undefined : unspokenSecurityWhy([type]));
    }
    if (rest.length < 1) return;
    const n = rest[0]!;
    // Zero types: the server refuses, with its own reason, which the viewer shows.
    if (n === 0) return this.finish(undefined);
    if (rest.length < 1 + n) return;
    this.finish(unspokenSecurityWhy([...rest.subarray(1, 1 + n)]));
  }

  private finish(verdict: string | undefined): void {
    this.finished = true;
    this.verdict = verdict;
    this.head = Buffer.alloc(0);
  }
}

/**
 * Shows a screen channel's incoming bytes to the watch until it has its answer, then calls
 * `refused` if the display can't be opened. A channel that reads into a reader is watched through
 * that reader (the returned one); any other through its push(), the one way into a Readable.
 */
export function watchSecurity(
  watch: RfbSecurityWatch,
  refused: (why: string) => void,
): { reader(r: ChannelReader): ChannelReader; stream(s: Readable): void } {
  const feed = (bytes: Uint8Array): void => {
    if (!watch.watching) return;
    watch.feed(bytes);
    if (watch.verdict) refused(watch.verdict);
  };
  return {
    reader: (r) => ({
      buffer: () => r.buffer(),
      take: (bytes) => {
        feed(bytes);
        return r.take(bytes);
      },
    }),
    stream: (s) => {
      const push = s.push.bind(s);
      s.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
        if (chunk instanceof Uint8Array) feed(chunk);
        return push(chunk, encoding);
      };
    },
  };
}
