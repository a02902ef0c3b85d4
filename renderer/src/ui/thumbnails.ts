/**
 * The strip's live thumbnails: each console's picture, scaled into its guest card. Every second
 * all background consoles catch up at once (each receives only what changed on its screen since
 * the last time, so an idle guest costs next to nothing) and are painted just after; the active
 * console is painted on the same beat. Only cards in view have a canvas to paint.
 */
import type { ConsolePool } from '../consoles/pool.js';
import type { ScreenConsole } from '../consoles/screen-console.js';
import type { Store } from '../state/store.js';
import { isRunning } from '../state/switcher.js';
import type { Strip } from './strip.js';

/** How often background consoles catch up, for their thumbnails. */
const REFRESH_MS = 1000;
/** How long background consoles are given to draw what they caught up on before it is painted. */
const PAINT_DELAY_MS = 250;

export class ThumbnailPainter {
  /** Guests (by UUID) whose card shows a picture, so it can be cleared when they stop. */
  private readonly painted = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly pool: ConsolePool,
    private readonly strip: Strip,
    private readonly activeKey: () => string | undefined,
  ) {}

  /** Keeps the thumbnails live from now on. */
  start(): void {
    window.setInterval(() => this.tick(), REFRESH_MS);
  }

  private tick(): void {
    const asOf = performance.now();
    const caughtUp = this.pool.refreshBackground();
    window.setTimeout(() => {
      this.paintAll();
      // What they show now is each screen as it was when it was let through.
      for (const c of caughtUp) c.thumbnailAsOf = asOf;
    }, PAINT_DELAY_MS);
  }

  /** Paints the active console and every console with a new frame; clears the cards of guests that are off. */
  paintAll(): void {
    const active = this.activeKey();
    for (const c of this.pool.all()) {
      const isActive = c.key === active;
      if (isActive || this.strip.thumbnail(c.key)?.dataset.generation !== String(c.generation)) this.paint(c, isActive);
      if (isActive) c.thumbnailAsOf = performance.now();
    }
    // Guests that are off keep no stale picture.
    for (const g of this.store.guests.values()) {
      if (!isRunning(g) && this.painted.has(g.uuid)) {
        const t = this.strip.thumbnail(g.uuid);
        t?.getContext('2d')?.clearRect(0, 0, t.width, t.height);
        this.painted.delete(g.uuid);
      }
    }
  }

  private paint(c: ScreenConsole, force: boolean): void {
    const src = c.canvas;
    const dst = this.strip.thumbnail(c.key);
    // A card built just now (scrolled into view) has no generation yet, so it is painted.
    if (!src || !dst || src.width === 0 || (!force && dst.dataset.generation === String(c.generation))) return;
    const ctx = dst.getContext('2d');
    if (!ctx) return;
    const scale = Math.min(dst.width / src.width, dst.height / src.height);
    const w = src.width * scale;
    const hgt = src.height * scale;
    ctx.clearRect(0, 0, dst.width, dst.height);
    ctx.drawImage(src, (dst.width - w) / 2, (dst.height - hgt) / 2, w, hgt);
    dst.dataset.generation = String(c.generation);
    this.painted.add(c.key);
    dst.closest('.guest-card')?.classList.add('has-thumb');
  }
}
