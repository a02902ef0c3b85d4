/**
 * The serve shell's console channels: a guest's console bytes ↔ a browser's WebSocket, opened
 * once the handshake has passed its checks (handshake.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { App, AppSession } from '../app/api.js';
import { readsIntoReader, type ChannelReader } from '../app/console-io.js';
import { ApiError } from '../../common/api-error.js';
import { refuse, STATUS_FOR } from './handshake.js';

/**
 * Console bytes handed to a browser's socket and not yet taken by the kernel: above this the
 * guest's side is paused (QEMU then waits) until the socket has drained. Big enough to keep a
 * fast link busy, small enough that a browser that stops reading costs almost nothing.
 */
export const RELAY_HIGH_WATER = 1 << 20;
/**
 * A serial console is never paused: its bytes come over the host's one libvirt connection, which
 * has no flow control of its own, so pausing the stream would stop everything else on that host
 * too (calls, events, other consoles, for every client). Serial output is slow; a browser that
 * lets this much of it pile up is not reading, and its channel is closed instead (1013).
 */
export const SERIAL_MAX_BUFFERED = 8 << 20;
/**
 * The buffer one read from a guest's display goes into. A read takes what is there, so a bigger
 * buffer adds no wait; under load it takes more at once (fewer reads, fewer and bigger messages):
 * measured on the consoles bench, 256 KiB moved ~25 % more than Node's usual 64 KiB for less CPU,
 * and 1 MiB no more than 256 KiB.
 */
const READ_CHUNK = 256 << 10;

/** A close frame's reason is at most 123 bytes of UTF-8. */
function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

/**
 * Opens the console a handshake to /console asks for (?host, ?uuid, ?kind) and, once it is open,
 * completes the upgrade and relays it; a console that cannot be opened refuses the handshake
 * with the API's error. `upgraded` is told when the WebSocket has taken the socket over.
 */
export async function openConsoleChannel(
  app: App,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  url: URL,
  upgraded: () => void,
  /** A text message sent ahead of the console's bytes (a first console's naming). */
  announce?: string,
): Promise<void> {
  const kind = url.searchParams.get('kind');
  const reader = new RelayReader();
  let upstream: Duplex;
  const session = app.session();
  try {
    upstream = await session.openConsole(
      { host: url.searchParams.get('host'), uuid: url.searchParams.get('uuid') },
      kind,
      { reader },
    );
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError('internal', String(e));
    return refuse(socket, STATUS_FOR[err.code] ?? 500, err.toJSON());
  } finally {
    session.close();
  }
  let taken = false;
  if (socket.writable && !socket.destroyed) {
    // ws completes the upgrade synchronously, or drops a socket that is already gone
    // without calling back: then the channel just opened must not stay open.
    wss.handleUpgrade(req, socket, head, (ws) => {
      taken = true;
      upgraded();
      if (announce !== undefined) ws.send(announce);
      relayConsole({
        ws,
        socket,
        upstream,
        reader: readsIntoReader(upstream) ? reader : undefined,
        session,
        pausable: kind !== 'serial',
      });
    });
  }
  if (!taken) {
    session.closeConsole(upstream, 'the browser went away before the console opened');
    socket.destroy();
  }
}

/**
 * Reads a socket channel into one reused buffer (see ChannelReader): each read goes out to the
 * browser at once, and the buffer is used again unless the browser's socket still holds it (a
 * write the kernel has not taken yet); only then does a new one take its place. Until the
 * WebSocket is ready, a read is copied aside and the channel paused.
 */
class RelayReader implements ChannelReader {
  private buf = Buffer.allocUnsafeSlow(READ_CHUNK);
  private early: Buffer[] = [];
  private out: ((bytes: Buffer) => boolean) | undefined;

  buffer = (): Uint8Array => this.buf;

  take = (bytes: Buffer): boolean => {
    if (this.out) return this.out(bytes);
    this.early.push(Buffer.from(bytes));
    return false;
  };

  /** From now on reads go to `out`; what came before goes first. */
  attach(out: (bytes: Buffer) => boolean): void {
    for (const b of this.early.splice(0)) out(b);
    this.out = out;
  }

  /** The buffer is still held by a pending write: the next reads go into a new one. */
  renew(): void {
    this.buf = Buffer.allocUnsafeSlow(READ_CHUNK);
  }
}

/**
 * A console channel: browser WebSocket ↔ console bytes. Each read from the guest goes out as one
 * binary message, as it came (no re-chunking, no copy); while more than RELAY_HIGH_WATER bytes
 * wait in the browser's socket, a screen's side is paused until that socket drains (a serial
 * console is not paused: see SERIAL_MAX_BUFFERED). The browser's messages go to the guest, and
 * a guest that does not keep up pauses the browser's socket. When either side ends, the other is
 * closed: the browser gets a close frame that says why (1000, 1011 on an error, 1013 when it did
 * not keep up with a serial console).
 */
/** One console channel's two ends, and how the guest's side is read. */
interface ConsoleLink {
  ws: WebSocket;
  /** The browser's socket under `ws` (its 'drain' says the kernel took what was queued). */
  socket: Duplex;
  /** The guest's console. */
  upstream: Duplex;
  /** Reads into one reused buffer, when the channel can; else plain 'data' events. */
  reader: RelayReader | undefined;
  session: AppSession;
  /** A screen pauses while the browser is behind; a serial console cannot (SERIAL_MAX_BUFFERED). */
  pausable: boolean;
}

function relayConsole(link: ConsoleLink): void {
  const { ws, upstream, session } = link;
  const stopDrainWait = relayToBrowser(link);
  relayToGuest(ws, upstream);
  // The reason is kept by the console manager; the error itself needs no more handling here.
  upstream.on('error', () => undefined);
  upstream.once('close', () => {
    stopDrainWait();
    if (ws.readyState === ws.OPEN) {
      const why = session.consoleCloseReason(upstream) ?? 'the console closed';
      ws.close(upstream.errored ? 1011 : 1000, closeReason(why));
    } else if (ws.readyState === ws.CONNECTING) {
      ws.terminate();
    }
  });
  ws.once('close', () => session.closeConsole(upstream, 'the viewer closed the console'));
  ws.on('error', () => ws.terminate());
}

/** The guest's reads to the browser, each as one message; returns what stops waiting for a drain. */
function relayToBrowser({ ws, socket, upstream, reader, session, pausable }: ConsoleLink): () => void {
  let waitingForDrain = false;
  const onDrain = (): void => {
    waitingForDrain = false;
    if (!upstream.destroyed) upstream.resume();
  };
  /** Sends one read on; false when the guest's side must pause. */
  const forward = (bytes: Buffer, reused: boolean): boolean => {
    if (ws.readyState !== ws.OPEN) return false;
    ws.send(bytes, { binary: true });
    const queued = ws.bufferedAmount;
    if (queued === 0) return true;
    if (reused) reader!.renew();
    if (!pausable) {
      if (queued > SERIAL_MAX_BUFFERED) {
        const why = 'the browser did not keep up with the serial console';
        ws.close(1013, why);
        session.closeConsole(upstream, why);
      }
      return true;
    }
    if (queued <= RELAY_HIGH_WATER) return true;
    if (!waitingForDrain) {
      waitingForDrain = true;
      socket.once('drain', onDrain);
    }
    return false;
  };
  if (reader) {
    reader.attach((bytes) => forward(bytes, true));
    upstream.resume();
  } else {
    upstream.on('data', (chunk: Buffer) => {
      if (!forward(chunk, false)) upstream.pause();
    });
  }
  return () => socket.off('drain', onDrain);
}

/** The browser's messages to the guest; a guest that does not keep up pauses the browser's socket. */
function relayToGuest(ws: WebSocket, upstream: Duplex): void {
  let waitingForUpstream = false;
  ws.on('message', (data: Buffer) => {
    if (upstream.destroyed || upstream.writableEnded) return;
    if (!upstream.write(data) && !waitingForUpstream) {
      waitingForUpstream = true;
      ws.pause();
      upstream.once('drain', () => {
        waitingForUpstream = false;
        ws.resume();
      });
    }
  });
}
