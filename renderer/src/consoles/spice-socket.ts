/**
 * What spice-html5 takes for a WebSocket. It opens one per SPICE channel (main, display, inputs,
 * cursor…), each by calling `new WebSocket(uri)` with the URI of the session; the build hands it
 * this class under that name (scripts/build.mjs), so each channel becomes one of our byte channels,
 * opened by naming the guest, never a host or port. A console registers its session's URI with
 * the function that opens a channel; the URI itself leads nowhere.
 */
import type { ConsoleChannel } from '../../../common/contract.js';
import { ThrottledChannel } from './throttled-channel.js';

type Opener = (socket: SpiceSocket) => ConsoleChannel;

const routes = new Map<string, Opener>();

/** Lets `new SpiceSocket(uri)` open channels through `open` until the returned function is called. */
export function routeSpice(uri: string, open: Opener): () => void {
  routes.set(uri, open);
  return () => {
    if (routes.get(uri) === open) routes.delete(uri);
  };
}

export class SpiceSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly url: string;
  readonly protocol = 'binary';
  /** The channel under it; a console holds back a background display's traffic here. */
  readonly channel: ThrottledChannel;
  // spice-html5 keeps its own state on the socket.
  parent?: unknown;
  wire_reader?: unknown;

  constructor(url: string, _protocols?: string | string[]) {
    super();
    const open = routes.get(url);
    if (!open) throw new Error('this SPICE console is closed');
    this.url = url;
    const channel = new ThrottledChannel(open(this));
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.onopen = () => this.dispatchEvent(new Event('open'));
    channel.onmessage = (ev) => this.dispatchEvent(new MessageEvent('message', { data: ev.data }));
    channel.onerror = () => this.dispatchEvent(new Event('error'));
    channel.onclose = (ev) =>
      this.dispatchEvent(
        new CloseEvent('close', { code: ev.code ?? 1006, reason: ev.reason ?? '', wasClean: ev.wasClean ?? false }),
      );
  }

  get binaryType(): string {
    return 'arraybuffer';
  }

  set binaryType(_v: string) {
    // Always array buffers: spice-html5 asks for nothing else.
  }

  get readyState(): number {
    return this.channel.readyState;
  }

  send(data: ArrayBuffer | ArrayBufferView): void {
    this.channel.send(data);
  }

  close(): void {
    this.channel.close();
  }
}
