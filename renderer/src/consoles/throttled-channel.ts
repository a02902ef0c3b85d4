/**
 * A WebSocket-shaped channel that can hold back what the server sends. noVNC asks QEMU for the
 * next framebuffer update only after it has handled the last one, and QEMU 7.2 sends updates only
 * when asked, so holding the inbound data of a background console stops its traffic entirely;
 * letting it through resumes it cleanly. No DOM: it wraps any channel with the same shape.
 */
import type { ConsoleChannel } from '../../../common/contract.js';

type MessageEventLike = { data: ArrayBuffer | string };

export class ThrottledChannel implements ConsoleChannel {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: MessageEventLike) => void) | null = null;
  onclose: ((ev: { code?: number; reason?: string; wasClean?: boolean }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  /** Bytes received from the server, for the background-traffic figure. */
  bytesIn = 0;
  /** Told of every message from the server as it arrives, held back or not. */
  ondata: (() => void) | null = null;
  /** Messages handed on to the client: a new one may mean new pixels. */
  delivered = 0;
  private held: MessageEventLike[] = [];
  private paused = false;

  constructor(private readonly inner: ConsoleChannel) {
    inner.onopen = (ev) => this.onopen?.(ev);
    inner.onmessage = (ev) => {
      this.bytesIn += typeof ev.data === 'string' ? ev.data.length : ev.data.byteLength;
      this.ondata?.();
      if (this.paused) this.held.push(ev);
      else this.deliver(ev);
    };
    inner.onclose = (ev) => {
      this.flush();
      this.onclose?.(ev);
    };
    inner.onerror = (ev) => this.onerror?.(ev);
  }

  get binaryType(): string {
    return this.inner.binaryType;
  }

  set binaryType(v: string) {
    this.inner.binaryType = v;
  }

  get readyState(): number {
    return this.inner.readyState;
  }

  get protocol(): string {
    return this.inner.protocol;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Messages held back right now. */
  get heldCount(): number {
    return this.held.length;
  }

  send(data: ArrayBuffer | ArrayBufferView | string): void {
    this.inner.send(data);
  }

  close(): void {
    this.inner.close();
  }

  /** Holds inbound data from now on (the console stops asking for updates). */
  pause(): void {
    this.paused = true;
  }

  /** Delivers what was held, in order, and lets data through again. */
  resume(): void {
    this.paused = false;
    this.flush();
  }

  private flush(): void {
    const held = this.held;
    this.held = [];
    for (const ev of held) this.deliver(ev);
  }

  private deliver(ev: MessageEventLike): void {
    this.delivered++;
    this.onmessage?.(ev);
  }
}
