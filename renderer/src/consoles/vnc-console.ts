/**
 * One guest's screen: a noVNC RFB over a throttled channel, inside its own element on the stage.
 * Active: shown, taking keyboard and pointer, its updates flowing. Background: hidden under the
 * active one, view-only, its updates held back, refreshed now and then for its thumbnail.
 */
import RFB from '@novnc/novnc';
import type { Bridge, GuestRef, Scaling } from '../../../common/contract.js';
import { ThrottledChannel } from './throttled-channel.js';

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
  /** When (performance.now()) the thumbnail last showed this screen as it was; set by the painter. */
  thumbnailAsOf = 0;
  private connects = 0;
  private rfb: RFB | undefined;
  private channel: ThrottledChannel | undefined;
  private active = false;
  private viewOnly = false;
  private refreshTimer: number | undefined;

  constructor(
    readonly ref: GuestRef,
    readonly key: string,
    private readonly bridge: Bridge,
    private readonly on: VncConsoleEvents,
    private scaling: Scaling,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'console';
    this.element.dataset.console = key;
  }

  connect(): void {
    this.disposeRfb();
    this.status = 'connecting';
    this.reason = undefined;
    const channel = new ThrottledChannel(this.bridge.openConsole(this.ref, 'vnc'));
    this.channel = channel;
    const rfb = new RFB(this.element, channel, { shared: true });
    this.rfb = rfb;
    rfb.background = 'transparent';
    rfb.focusOnClick = true;
    rfb.viewOnly = !this.active || this.viewOnly;
    this.applyScaling();
    if (this.active) rfb.focus({ preventScroll: true });
    rfb.addEventListener('connect', () => {
      if (this.rfb !== rfb) return;
      this.status = 'connected';
      this.connects++;
      this.on.status(this);
      if (this.active) rfb.focus({ preventScroll: true });
      else this.holdSoon();
    });
    rfb.addEventListener('disconnect', (e) => {
      if (this.rfb !== rfb) return;
      const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean;
      this.status = 'disconnected';
      this.reason ??= clean ? 'the console closed' : 'the connection to the console was lost';
      this.on.status(this);
    });
    rfb.addEventListener('credentialsrequired', () => {
      // A display with a password: the app reads it from the guest's definition, as virt-manager does.
      this.bridge.invoke('guest.vncPassword', this.ref).then(
        ({ password }) => {
          if (this.rfb !== rfb) return;
          if (password === null) {
            this.reason = 'the display asks for a password this connection may not read';
            rfb.disconnect();
          } else rfb.sendCredentials({ password });
        },
        () => rfb.disconnect(),
      );
    });
    rfb.addEventListener('securityfailure', (e) => {
      if (this.rfb !== rfb) return;
      this.reason = `the display refused the password (${(e as CustomEvent<{ reason?: string }>).detail?.reason ?? 'security failure'})`;
    });
    rfb.addEventListener('clipboard', (e) => this.on.clipboard(this, (e as CustomEvent<{ text: string }>).detail.text));
    this.on.status(this);
  }

  /** The canvas noVNC draws into (after connect). */
  get canvas(): HTMLCanvasElement | null {
    return this.element.querySelector('canvas');
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

  private applyScaling(): void {
    if (!this.rfb) return;
    // 'resize' asks the guest to match the window; guests that can't keep their size, scaled to fit.
    this.rfb.scaleViewport = this.scaling !== 'actual';
    this.rfb.clipViewport = this.scaling === 'actual';
    this.rfb.dragViewport = false;
    this.rfb.resizeSession = this.scaling === 'resize';
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
      this.rfb.focus({ preventScroll: true });
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
    if (this.active) this.rfb?.focus({ preventScroll: true });
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
    this.channel = undefined;
    if (rfb) {
      try {
        rfb.disconnect();
      } catch {
        // Already disconnected.
      }
    }
    this.element.replaceChildren();
  }

  dispose(): void {
    window.clearTimeout(this.refreshTimer);
    this.disposeRfb();
    this.element.remove();
  }
}
