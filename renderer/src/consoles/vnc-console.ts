/**
 * One guest's screen: a noVNC RFB over a throttled channel, inside its own element on the stage.
 * Active: shown, taking keyboard and pointer, its updates flowing. Background: hidden under the
 * active one, view-only, its updates held back, refreshed now and then for its thumbnail.
 *
 * A console belongs to a guest, not to a host: when the guest moves, the old display's last
 * picture stays until the new host's display has drawn, and the keyboard carries over (see
 * ConsoleKeys); a mark says "moving…" and how many keys wait meanwhile (see MovingMark).
 */
import RFB from '@novnc/novnc';
import type { Bridge, GuestRef, Scaling } from '../../../common/contract.js';
import { ConsoleKeys } from './console-keys.js';
import { hasFrame, LastFrame } from './last-frame.js';
import { MovingMark } from './moving-mark.js';
import type { HandoverTimes } from './screen-console.js';
import { StandbyDisplay } from './standby-display.js';
import { ThrottledChannel } from './throttled-channel.js';
import { answerPasswords } from './vnc-password.js';

/** How long a moving console waits for the new display's first frame before showing it anyway. */
const FIRST_FRAME_WAIT_MS = 10_000;

export type VncStatus = 'connecting' | 'connected' | 'disconnected';

export interface VncConsoleEvents {
  status(c: VncConsole): void;
  clipboard(c: VncConsole, text: string): void;
}

export class VncConsole {
  readonly element: HTMLDivElement;
  readonly kind = 'vnc' as const;
  status: VncStatus = 'connecting';
  /** Why it disconnected, in words, when it did. */
  reason: string | undefined;
  /** Set once the first framebuffer arrived (the canvas has the guest's size). */
  width = 0;
  height = 0;
  /** Set while the guest moves: a display that goes away then leaves its last picture. */
  moving = false;
  /** The last data from the display (performance.now()). */
  lastDataAt = 0;
  handoverTimes: HandoverTimes | undefined;
  /** When (performance.now()) the thumbnail last showed this screen as it was; set by the painter. */
  thumbnailAsOf = 0;
  private connects = 0;
  private rfb: RFB | undefined;
  private channel: ThrottledChannel | undefined;
  /** The canvas the current RFB draws into. */
  private liveCanvas: HTMLCanvasElement | null = null;
  private lastFrame: LastFrame | undefined;
  /** Over the screen while keys are kept for the end of a move: says how many wait. */
  private readonly mark = new MovingMark();
  private readonly keys = new ConsoleKeys((presses) => this.mark.show(presses));
  /** performance.now() of the last retarget and of its display's answer, for handoverTimes. */
  private retargetedAt: number | undefined;
  private connectedAt: number | undefined;
  /** The guest's display on the host it is moving to, opened before the switch-over. */
  private standby: StandbyDisplay | undefined;
  private active = false;
  private viewOnly = false;
  private refreshTimer: number | undefined;

  constructor(
    public ref: GuestRef,
    readonly key: string,
    private readonly bridge: Bridge,
    private readonly on: VncConsoleEvents,
    private scaling: Scaling,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'console';
    this.element.dataset.console = key;
    this.element.append(this.mark.element);
    // Capture: every key meant for this console passes here before noVNC sees it.
    const onKey = (ev: KeyboardEvent): void => this.onKey(ev);
    this.element.addEventListener('keydown', onKey, true);
    this.element.addEventListener('keyup', onKey, true);
  }

  /** Whether the old display's picture stands in for the screen (the guest is moving). */
  get frozen(): boolean {
    return this.lastFrame !== undefined;
  }

  private onKey(ev: KeyboardEvent): void {
    const noDisplay = !!this.lastFrame && ev.target === this.lastFrame.canvas;
    if (noDisplay) {
      // The key is kept for the next display, and the page does nothing with it.
      ev.preventDefault();
      ev.stopPropagation();
    }
    this.keys.typed(ev, noDisplay);
  }

  /** The guest now lives at `ref` (it moved): connect to its display there. */
  retarget(ref: GuestRef): void {
    if (ref.host === this.ref.host && ref.uuid === this.ref.uuid) return;
    this.ref = ref;
    this.retargetedAt = performance.now();
    this.freeze();
    const s = this.standby;
    if (s && s.ref.host === ref.host && s.ref.uuid === ref.uuid) this.adopt(s);
    else this.connect();
  }

  /** While the guest moves: its display on the target, opened now (undefined: none, or no more). */
  prepare(target: GuestRef | undefined): void {
    const s = this.standby;
    if (s && (s.ref.host !== target?.host || s.ref.uuid !== target.uuid)) this.dropStandby();
    if (!target || this.standby || target.host === this.ref.host) return;
    this.standby = new StandbyDisplay(target, this.element, this.bridge, (x) => {
      if (this.standby === x) this.dropStandby();
    });
    this.applyScaling(this.standby.rfb);
  }

  private dropStandby(): void {
    this.standby?.dispose();
    this.standby = undefined;
  }

  /** The target's display, already open, becomes this console's; the old one is closed. */
  private adopt(s: StandbyDisplay): void {
    this.disposeRfb();
    this.standby = undefined;
    s.reveal();
    s.channel.ondata = () => (this.lastDataAt = performance.now());
    this.channel = s.channel;
    this.rfb = s.rfb;
    this.liveCanvas = s.canvas;
    s.rfb.viewOnly = !this.active || this.viewOnly;
    s.rfb.focusOnClick = true;
    this.applyScaling();
    this.wire(s.rfb);
    this.reason = undefined;
    this.status = s.connected ? 'connected' : 'connecting';
    if (s.connected) {
      this.connectedAt = s.connectedAt;
      this.connects++;
      this.awaitFirstFrame(s.rfb);
    }
    this.on.status(this);
  }

  /**
   * Keeps the picture of the display that is going away (or whose guest has paused to switch hosts:
   * QEMU drops input then), and starts keeping keys for the next display.
   */
  freeze(): void {
    if (this.lastFrame || !this.liveCanvas || this.liveCanvas.width === 0) return;
    this.lastFrame = new LastFrame(this.liveCanvas, 'The screen before the move', this.lastDataAt);
    this.keys.begin();
    this.element.append(this.lastFrame.element);
    if (this.active) this.lastFrame.focus();
  }

  /** The new display has drawn: drop the old picture, carry the keys over, hand it the focus. */
  private thaw(rfb: RFB): void {
    const frame = this.lastFrame;
    if (!frame || this.rfb !== rfb) return;
    this.lastFrame = undefined;
    this.handoverTimes = {
      lastSourceData: frame.lastDataAt,
      firstTargetFrame: performance.now(),
      retargeted: this.retargetedAt,
      connected: this.connectedAt,
    };
    frame.remove();
    this.keys.end(rfb, this.liveCanvas);
    if (this.active) rfb.focus({ preventScroll: true });
    this.connects++;
    this.on.status(this);
  }

  /**
   * From the start of a live move, keys are kept rather than sent: the source pauses for the
   * switch-over before this page can know it, and QEMU drops keys for a paused guest. They are
   * typed where the guest is when the move ends (see thaw and unfreeze).
   */
  holdKeys(): void {
    this.keys.begin();
  }

  /** The move ended with the guest where it was: back to its display, with the keys kept meanwhile. */
  unfreeze(): void {
    if (!this.rfb || this.status !== 'connected') return;
    if (this.lastFrame) this.thaw(this.rfb);
    else if (this.keys.keeping) this.keys.end(this.rfb, this.liveCanvas);
  }

  /** Waits, frame by frame, for the new display's first picture. */
  private awaitFirstFrame(rfb: RFB): void {
    const until = performance.now() + FIRST_FRAME_WAIT_MS;
    const check = (): void => {
      if (this.rfb !== rfb || !this.lastFrame) return;
      if (hasFrame(this.liveCanvas) || performance.now() > until) this.thaw(rfb);
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }

  connect(): void {
    this.disposeRfb();
    this.status = 'connecting';
    this.reason = undefined;
    const channel = new ThrottledChannel(this.bridge.openConsole(this.ref, 'vnc'));
    channel.ondata = () => (this.lastDataAt = performance.now());
    this.channel = channel;
    const rfb = new RFB(this.element, channel, { shared: true });
    this.rfb = rfb;
    this.liveCanvas = this.element.querySelector(':scope > div:not(.console-standby) > canvas:not(.last-frame-canvas)');
    rfb.background = 'transparent';
    rfb.focusOnClick = true;
    rfb.viewOnly = !this.active || this.viewOnly;
    this.applyScaling();
    // While the old picture stands in, it keeps the focus: keys typed meanwhile go to it, in order.
    if (this.active && !this.lastFrame) rfb.focus({ preventScroll: true });
    this.wire(rfb);
    this.on.status(this);
  }

  /** The console's handling of its display's events (connect, disconnect, password, clipboard). */
  private wire(rfb: RFB): void {
    this.keys.attach(rfb, () => this.rfb === rfb);
    rfb.addEventListener('connect', () => {
      if (this.rfb !== rfb) return;
      this.status = 'connected';
      this.connectedAt = performance.now();
      this.connects++;
      this.on.status(this);
      if (this.lastFrame) this.awaitFirstFrame(rfb);
      else if (this.active) rfb.focus({ preventScroll: true });
      if (!this.active) this.holdSoon();
    });
    rfb.addEventListener('disconnect', (e) => {
      if (this.rfb !== rfb) return;
      const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean;
      if (this.moving) this.freeze();
      this.status = 'disconnected';
      this.reason ??= clean ? 'the console closed' : 'the connection to the console was lost';
      this.on.status(this);
    });
    answerPasswords(rfb, this.bridge, {
      ref: () => this.ref,
      current: () => this.rfb === rfb,
      reason: (words) => (this.reason = words),
    });
    rfb.addEventListener('clipboard', (e) => this.on.clipboard(this, (e as CustomEvent<{ text: string }>).detail.text));
  }

  /** What the console shows: the canvas noVNC draws into, or the old display's picture while moving. */
  get canvas(): HTMLCanvasElement | null {
    return this.lastFrame?.canvas ?? this.liveCanvas;
  }

  /** Changes whenever the canvas may have new pixels (for thumbnails): a new connection or new data. */
  get generation(): number {
    return this.connects * 1e9 + (this.channel?.delivered ?? 0);
  }

  get bytesIn(): number {
    return this.channel?.bytesIn ?? 0;
  }

  get isHeld(): boolean {
    return this.channel?.isPaused ?? false;
  }

  setScaling(s: Scaling): void {
    this.scaling = s;
    this.applyScaling();
  }

  private applyScaling(rfb = this.rfb): void {
    if (!rfb) return;
    // 'resize' asks the guest to match the window; guests that can't keep their size, scaled to fit.
    rfb.scaleViewport = this.scaling !== 'actual';
    rfb.clipViewport = this.scaling === 'actual';
    rfb.dragViewport = false;
    rfb.resizeSession = this.scaling === 'resize';
    this.element.classList.toggle('actual-size', this.scaling === 'actual');
  }

  /**
   * Gives this console the keyboard, video and mouse (or takes them away). Taking them away:
   * release what this guest still holds down first, then make it view-only (noVNC drops key-ups
   * once view-only is on), then hold its updates back.
   */
  setActive(active: boolean, heldCodes: readonly string[] = []): void {
    if (this.active === active) return;
    this.active = active;
    this.element.classList.toggle('active', active);
    if (!this.rfb) return;
    if (active) {
      window.clearTimeout(this.refreshTimer);
      this.rfb.viewOnly = this.viewOnly;
      this.focus();
      // The last frame shows at once; what the guest drew meanwhile is decoded just after.
      const channel = this.channel;
      this.refreshTimer = window.setTimeout(() => {
        if (this.active) channel?.resume();
      }, 0);
    } else {
      this.releaseKeys(heldCodes);
      this.rfb.viewOnly = true;
      this.rfb.blur();
      this.holdSoon();
    }
  }

  setViewOnly(on: boolean, heldCodes: readonly string[] = []): void {
    if (this.viewOnly === on) return;
    // noVNC drops key-ups once view-only is on: release what the guest holds down first.
    if (on && this.active) this.releaseKeys(heldCodes);
    this.viewOnly = on;
    if (this.rfb) this.rfb.viewOnly = !this.active || on;
  }

  releaseHeld(heldCodes: readonly string[]): void {
    if (this.active && !this.viewOnly) this.releaseKeys(heldCodes);
  }

  /** Hold back updates once the console has settled (a frame that is mid-way gets finished). */
  private holdSoon(): void {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => {
      if (!this.active) this.channel?.pause();
    }, 150);
  }

  /** Synthetic key-ups on the canvas: noVNC sends the guest a release for each key it had down. */
  private releaseKeys(codes: readonly string[]): void {
    const canvas = this.canvas;
    if (!canvas) return;
    for (const code of codes) {
      canvas.dispatchEvent(new KeyboardEvent('keyup', { code, key: code, bubbles: true, cancelable: true }));
    }
  }

  /**
   * Lets a background console catch up (for its thumbnail), then holds it again. QEMU answers the
   * pending incremental request with only what changed, so an idle screen costs next to nothing.
   */
  refresh(): boolean {
    if (this.active || !this.channel || this.status !== 'connected') return false;
    this.channel.resume();
    this.holdSoon();
    return true;
  }

  focus(): void {
    if (!this.active) return;
    if (this.lastFrame) this.lastFrame.focus();
    else this.rfb?.focus({ preventScroll: true });
  }

  sendKey(keysym: number, code: string, down?: boolean): void {
    this.rfb?.sendKey(keysym, code, down);
  }

  pasteClipboard(text: string): void {
    this.rfb?.clipboardPasteFrom(text);
  }

  private disposeRfb(): void {
    const rfb = this.rfb;
    this.rfb = undefined;
    this.keys.detach();
    this.channel = undefined;
    this.liveCanvas = null;
    if (rfb) {
      try {
        rfb.disconnect();
      } catch {
        // Already disconnected.
      }
    }
    // The old display's picture, if one stands in, stays until the next display has drawn.
    const keep = [this.lastFrame?.element, this.standby?.wrap, this.mark.element];
    for (const child of [...this.element.children]) if (!keep.includes(child as HTMLDivElement)) child.remove();
  }

  dispose(): void {
    window.clearTimeout(this.refreshTimer);
    this.dropStandby();
    this.lastFrame?.remove();
    this.lastFrame = undefined;
    this.disposeRfb();
    this.element.remove();
  }
}
