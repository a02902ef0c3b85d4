/**
 * Fullscreen: the page takes the whole screen, and while it does the keyboard belongs to the
 * guest (Alt+Tab, Super and friends go to it). In kiosk mode the page never leaves fullscreen.
 */
export interface FullscreenHooks {
  /** Fullscreen was refused; why. */
  fail(e: unknown): void;
  /** Fullscreen came or went (the console takes the keyboard back). */
  changed(): void;
}

/** The Keyboard Lock API (Chromium), which lets a fullscreen page have the system keys. */
type LockableKeyboard = { lock?: () => Promise<void>; unlock?: () => void };

export class Fullscreen {
  kiosk = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly hooks: FullscreenHooks,
  ) {
    document.addEventListener('fullscreenchange', () => this.onChange());
  }

  toggle(): void {
    void this.set(!document.fullscreenElement);
  }

  async set(on: boolean): Promise<void> {
    try {
      if (on && !document.fullscreenElement) {
        await document.documentElement.requestFullscreen({ navigationUI: 'hide' });
      } else if (!on && document.fullscreenElement && !this.kiosk) {
        await document.exitFullscreen();
      }
    } catch (e) {
      this.hooks.fail(e);
    }
  }

  private onChange(): void {
    const kb = (navigator as Navigator & { keyboard?: LockableKeyboard }).keyboard;
    if (document.fullscreenElement) kb?.lock?.().catch(() => undefined);
    else kb?.unlock?.();
    this.root.classList.toggle('fullscreen', !!document.fullscreenElement);
    this.hooks.changed();
  }
}
