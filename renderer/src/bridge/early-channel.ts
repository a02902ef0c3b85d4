/**
 * A console channel opened before anyone could listen to it (see early.ts): what the server sends
 * meanwhile is kept, and handed on, in order, once a listener has attached. The open event is not
 * repeated (whoever attaches to an open channel reads readyState, as noVNC does).
 */
import type { ConsoleChannel } from '../../../common/contract.js';

type Held = { kind: 'message'; ev: { data: ArrayBuffer | string } } | { kind: 'close' | 'error'; ev: unknown };

/** The part of a WebSocket an early channel needs (a fake in tests): a channel whose close event it only passes on. */
export type SocketLike = Omit<ConsoleChannel, 'onclose'> & { onclose: ((ev: never) => void) | null };

export class EarlyChannel implements ConsoleChannel {
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code?: number; reason?: string; wasClean?: boolean }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private listener: ((ev: { data: ArrayBuffer | string }) => void) | null = null;
  private readonly held: Held[] = [];

  constructor(
    private readonly ws: SocketLike,
    /** Takes the channel's first message when that is text (a first console's naming), instead of the listener. */
    private named?: (text: string) => void,
  ) {
    ws.binaryType = 'arraybuffer';
    ws.onopen = (ev) => this.onopen?.(ev);
    ws.onmessage = (ev) => {
      const named = this.named;
      this.named = undefined;
      if (named && typeof ev.data === 'string') named(ev.data);
      else this.arrive({ kind: 'message', ev });
    };
    ws.onclose = ((ev: unknown) => this.arrive({ kind: 'close', ev })) as (ev: never) => void;
    ws.onerror = (ev) => this.arrive({ kind: 'error', ev });
  }

  get onmessage(): ((ev: { data: ArrayBuffer | string }) => void) | null {
    return this.listener;
  }

  /** The first listener gets what was kept, after the task that attached it (its other handlers are set by then). */
  set onmessage(fn: ((ev: { data: ArrayBuffer | string }) => void) | null) {
    this.listener = fn;
    if (fn && this.held.length) queueMicrotask(() => this.flush());
  }

  get binaryType(): string {
    return this.ws.binaryType;
  }

  set binaryType(v: string) {
    this.ws.binaryType = v;
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  send(data: ArrayBuffer | ArrayBufferView | string): void {
    this.ws.send(data);
  }

  close(): void {
    this.ws.close();
  }

  /** Messages kept so far, not yet handed on. */
  get heldCount(): number {
    return this.held.length;
  }

  private arrive(h: Held): void {
    if (this.listener && this.held.length === 0) this.deliver(h);
    else this.held.push(h);
  }

  private flush(): void {
    while (this.listener && this.held.length) this.deliver(this.held.shift()!);
  }

  private deliver(h: Held): void {
    if (h.kind === 'message') this.listener?.(h.ev);
    else if (h.kind === 'close') this.onclose?.(h.ev as { code?: number; reason?: string; wasClean?: boolean });
    else this.onerror?.(h.ev);
  }
}
