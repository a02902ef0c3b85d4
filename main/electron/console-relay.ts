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
  const high = opts.highWater ?? RELAY_HIGH_WATER;
  const low = opts.lowWater ?? RELAY_LOW_WATER;
  const pageWindow = opts.pageWindow ?? PAGE_SEND_WINDOW;
  const closeStream = opts.closeStream ?? ((s: Duplex) => s.destroy());
  let closed = false;
  let unacked = 0;
  let paused = false;
  let pageBytesPending = 0;

  const finish = (): void => {
    closed = true;
    opts.onDone?.();
  };

  /** The stream ended: tell the page why, then let it close its end (or close ours later). */
  const endFromStream = (): void => {
    if (closed) return;
    finish();
    const err = stream.errored;
    const why = opts.reasonOf?.(stream) ?? (err ? err.message : 'the console closed');
    const control: ConsoleControl = { t: 'close', code: err ? 1011 : 1000, reason: why.slice(0, MAX_REASON) };
    port.postMessage(control);
    const timer = setTimeout(() => port.close(), CLOSE_LINGER_MS);
    timer.unref?.();
  };

  /** The page ended (it said so, closed its port, or went away): close the stream. */
  const endFromPage = (why: string): void => {
    if (closed) return;
    finish();
    port.close();
    closeStream(stream, why);
  };

  stream.on('data', (chunk: Buffer) => {
    if (closed || chunk.byteLength === 0) return;
    unacked += chunk.byteLength;
    port.postMessage(ownArrayBuffer(chunk));
    if (unacked > high && !paused) {
      paused = true;
      stream.pause();
    }
  });
  // The console layer keeps the reason; the error needs no more handling here.
  stream.on('error', () => undefined);
  stream.once('close', endFromStream);

  const fromPage = (data: ArrayBuffer): void => {
    if (stream.destroyed || stream.writableEnded) return;
    const n = data.byteLength;
    if (n === 0) return;
    pageBytesPending += n;
    if (pageBytesPending > pageWindow + OVERRUN_SLACK) {
      endFromPage('the viewer sent more than its window');
      return;
    }
    // Acknowledged once the stream has taken the bytes, so a slow guest slows the page down.
    stream.write(Buffer.from(data), (err) => {
      pageBytesPending -= n;
      if (!err && !closed) port.postMessage({ t: 'ack', n } satisfies ConsoleControl);
    });
  };

  port.on('message', (e) => {
    if (closed) return;
    const data = e.data;
    if (data instanceof ArrayBuffer) return fromPage(data);
    if (!isConsoleControl(data))
      return endFromPage('the viewer sent a message that is not part of the console protocol');
    if (data.t === 'close') return endFromPage('the viewer closed the console');
    unacked = Math.max(0, unacked - data.n);
    if (paused && unacked <= low && !stream.destroyed) {
      paused = false;
      stream.resume();
    }
  });
  port.on('close', () => endFromPage('the viewer went away'));
  port.start();
  // A stream that ended before the relay was attached will not say so again.
  if (stream.closed) endFromStream();

  return {
    close: (why: string) => {
      if (closed) return;
      port.postMessage({ t: 'close', code: 1001, reason: why.slice(0, MAX_REASON) } satisfies ConsoleControl);
      endFromPage(why);
    },
    get closed() {
      return closed;
    },
  };
}
