/**
 * A console's bytes between the app (a Node Duplex from AppSession.openConsole) and the page (a
 * MessagePort), so the desktop app needs no listening socket at all.
 *
 * The wire, both ways: an ArrayBuffer is data; a small object is control. A MessagePort has no
 * backpressure of its own, so each side acknowledges the bytes it has taken (`ack`) and a sender
 * keeps at most a window of unacknowledged bytes in flight: the guest's side is paused while the
 * page is behind (QEMU then waits), and the page queues its input while the guest is behind.
 * `close` says why a side ends; the other side then closes too. The page's half of this is in
 * renderer/src/bridge/electron.ts.
 */
import type { Duplex } from 'node:stream';

import {
  CONSOLE_SEND_WINDOW,
  isConsoleControl,
  ownArrayBuffer,
  type ConsoleControl,
} from '../../common/desktop-api.js';

export type { ConsoleControl };

/** Above this many unacknowledged bytes sent to the page, the guest's side is paused… */
export const RELAY_HIGH_WATER = 1 << 20;
/** …and below this it flows again. */
export const RELAY_LOW_WATER = 256 << 10;
/** The most the page may have sent and not yet had acknowledged; it queues the rest itself. */
export const PAGE_SEND_WINDOW = CONSOLE_SEND_WINDOW;
/** A page that overruns its window by this much is not our page: the channel is closed. */
const OVERRUN_SLACK = 64 << 10;
/** After saying `close`, how long to wait for the page to close its end before closing ours. */
const CLOSE_LINGER_MS = 2_000;
/** WebSocket close reasons are at most 123 bytes; the page's channel imitates a WebSocket. */
const MAX_REASON = 120;

/** The parts of Electron's MessagePortMain the relay uses (Node-style events). */
export interface RelayPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
}

export interface RelayOptions {
  /** Why the stream ended, when the console layer knows (ConsoleManager.reasonOf). */
  reasonOf?: (stream: Duplex) => string | undefined;
  /** Closes the stream saying why (ConsoleManager.closeChannel); default: destroy it. */
  closeStream?: (stream: Duplex, why: string) => void;
  /** Called once, when both sides are done with. */
  onDone?: () => void;
  highWater?: number;
  lowWater?: number;
  pageWindow?: number;
}

export interface ConsoleRelay {
  /** Ends the relay from the main process's side (e.g. the window is closing). */
  close(why: string): void;
  readonly closed: boolean;
}

export function relayConsole(port: RelayPort, stream: Duplex, opts: RelayOptions = {}): ConsoleRelay {
  const relay = new Relay(port, stream, opts);
  stream.on('data', (chunk: Buffer) => relay.toPage(chunk));
  // The console layer keeps the reason; the error needs no more handling here.
  stream.on('error', () => undefined);
  stream.once('close', () => relay.endFromStream());
  port.on('message', (e) => relay.fromPage(e.data));
  port.on('close', () => relay.endFromPage('the viewer went away'));
  port.start();
  // A stream that ended before the relay was attached will not say so again.
  if (stream.closed) relay.endFromStream();
  return relay;
}

/** One relay's state: the bytes in flight each way, and whether it is done with. */
class Relay implements ConsoleRelay {
  closed = false;
  /** Sent to the page and not yet acknowledged. */
  private unacked = 0;
  private paused = false;
  /** Taken from the page and not yet written to the stream. */
  private pageBytesPending = 0;
  private readonly high: number;
  private readonly low: number;
  private readonly pageWindow: number;

  constructor(
    private readonly port: RelayPort,
    private readonly stream: Duplex,
    private readonly opts: RelayOptions,
  ) {
    this.high = opts.highWater ?? RELAY_HIGH_WATER;
    this.low = opts.lowWater ?? RELAY_LOW_WATER;
    this.pageWindow = opts.pageWindow ?? PAGE_SEND_WINDOW;
  }

  /** Ends the relay from the main process's side (e.g. the window is closing). */
  close(why: string): void {
    if (this.closed) return;
    this.port.postMessage({ t: 'close', code: 1001, reason: why.slice(0, MAX_REASON) } satisfies ConsoleControl);
    this.endFromPage(why);
  }

  /** A read from the guest: on to the page; the guest pauses while the page is a window behind. */
  toPage(chunk: Buffer): void {
    if (this.closed || chunk.byteLength === 0) return;
    this.unacked += chunk.byteLength;
    this.port.postMessage(ownArrayBuffer(chunk));
    if (this.unacked > this.high && !this.paused) {
      this.paused = true;
      this.stream.pause();
    }
  }

  /** A message from the page: bytes for the guest, an ack, or a close; anything else ends the relay. */
  fromPage(data: unknown): void {
    if (this.closed) return;
    if (data instanceof ArrayBuffer) return this.write(data);
    if (!isConsoleControl(data))
      return this.endFromPage('the viewer sent a message that is not part of the console protocol');
    if (data.t === 'close') return this.endFromPage('the viewer closed the console');
    this.unacked = Math.max(0, this.unacked - data.n);
    if (this.paused && this.unacked <= this.low && !this.stream.destroyed) {
      this.paused = false;
      this.stream.resume();
    }
  }

  /** The stream ended: tell the page why, then let it close its end (or close ours later). */
  endFromStream(): void {
    if (this.closed) return;
    this.finish();
    const err = this.stream.errored;
    const why = this.opts.reasonOf?.(this.stream) ?? (err ? err.message : 'the console closed');
    const control: ConsoleControl = { t: 'close', code: err ? 1011 : 1000, reason: why.slice(0, MAX_REASON) };
    this.port.postMessage(control);
    const timer = setTimeout(() => this.port.close(), CLOSE_LINGER_MS);
    timer.unref?.();
  }

  /** The page ended (it said so, closed its port, or went away): close the stream. */
  endFromPage(why: string): void {
    if (this.closed) return;
    this.finish();
    this.port.close();
    (this.opts.closeStream ?? ((s: Duplex) => s.destroy()))(this.stream, why);
  }

  /** The page's bytes to the guest, acknowledged once the stream has taken them (a slow guest slows the page). */
  private write(data: ArrayBuffer): void {
    if (this.stream.destroyed || this.stream.writableEnded) return;
    const n = data.byteLength;
    if (n === 0) return;
    this.pageBytesPending += n;
    if (this.pageBytesPending > this.pageWindow + OVERRUN_SLACK) {
      this.endFromPage('the viewer sent more than its window');
      return;
    }
    this.stream.write(Buffer.from(data), (err) => {
      this.pageBytesPending -= n;
      if (!err && !this.closed) this.port.postMessage({ t: 'ack', n } satisfies ConsoleControl);
    });
  }

  private finish(): void {
    this.closed = true;
    this.opts.onDone?.();
  }
}
