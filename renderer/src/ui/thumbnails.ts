/**
 * The strip's live thumbnails: each console's picture, scaled into its guest card. The active
 * console is painted every second; background consoles catch up one at a time, in turn, and are
 * painted once they have.
 */
import type { ConsolePool } from '../consoles/pool.js';
import type { VncConsole } from '../consoles/vnc-console.js';
import type { Store } from '../state/store.js';
import { isRunning } from '../state/switcher.js';
import type { Strip } from './strip.js';

/** How often a background console catches up once, in turn, for its thumbnail. */
const BACKGROUND_REFRESH_MS = 3000;
/** How long a background console is given to draw its catch-up frame before it is painted. */
const BACKGROUND_PAINT_DELAY_MS = 400;

export class ThumbnailPainter {
  /** The frame generation last painted, by guest UUID. */
  private readonly painted = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly pool: ConsolePool,
    private readonly strip: Strip,
    private readonly activeKey: () => string | undefined,
  ) {}

  /** Keeps the thumbnails live from now on. */
  start(): void {
    window.setInterval(() => this.paintAll(), 1000);
    window.setInterval(() => {
      const c = this.pool.refreshNextBackground();
      if (c) window.setTimeout(() => this.paint(c, true), BACKGROUND_PAINT_DELAY_MS);
    }, BACKGROUND_REFRESH_MS);
  }

  /** Paints the active console and every console with a new frame; clears the cards of guests that are off. */
  paintAll(): void {
    const active = this.activeKey();
    for (const c of this.pool.all()) {
      const isActive = c.key === active;
      if (isActive || this.painted.get(c.key) !== c.generation) this.paint(c, isActive);
    }
    // Guests that are off keep no stale picture.
    for (const g of this.store.guests.values()) {
      if (!isRunning(g)) {
        const t = this.strip.thumbnail(g.uuid);
        if (t && this.painted.has(g.uuid)) {
          t.getContext('2d')?.clearRect(0, 0, t.width, t.height);
          this.painted.delete(g.uuid);
        }
      }
    }
  }

  private paint(c: VncConsole, force: boolean): void {
    const src = c.canvas;
    const dst = this.strip.thumbnail(c.key);
    if (!src || !dst || src.width === 0 || (!force && this.painted.get(c.key) === c.generation)) return;
    const ctx = dst.getContext('2d');
    if (!ctx) return;
    const scale = Math.min(dst.width / src.width, dst.height / src.height);
    const w = src.width * scale;
    const hgt = src.height * scale;
    ctx.clearRect(0, 0, dst.width, dst.height);
    ctx.drawImage(src, (dst.width - w) / 2, (dst.height - hgt) / 2, w, hgt);
    this.painted.set(c.key, c.generation);
    dst.closest('.guest-card')?.classList.add('has-thumb');
  }
}
