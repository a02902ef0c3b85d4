/**
 * The strip's live thumbnails: each console's picture, scaled into its guest card. Every
 * background console catches up once a second (receiving only what changed on its screen since
 * the last time, so an idle guest costs next to nothing) and is painted just after. The catch-ups
 * are spread over the second, one console at a time, so the active console never has to share a
 * frame with all of them; the active console is painted once a round. Only cards in view have a
 * canvas to paint.
 */
import type { ConsolePool } from '../consoles/pool.js';
import type { ScreenConsole } from '../consoles/screen-console.js';
import type { Store } from '../state/store.js';
import { isRunning } from '../state/switcher.js';
import type { Strip } from './strip.js';

/** How often each background console catches up, for its thumbnail. */
const REFRESH_MS = 1000;
/** Catch-ups come no closer together than this (with many consoles a round takes longer). */
const MIN_STEP_MS = 40;
/**
 * How long a background console is given to draw what it caught up on before it is painted: what
 * QEMU held for it arrives at once, and its answer to the next request within a refresh or two
 * of QEMU's (about 30 ms each).
 */
const PAINT_DELAY_MS = 120;

export class ThumbnailPainter {
  /** Guests (by UUID) whose card shows a picture, so it can be cleared when they stop. */
  private readonly painted = new Set<string>();
  /** Background consoles still to catch up in this round. */
  private round: string[] = [];

  constructor(
    private readonly store: Store,
    private readonly pool: ConsolePool,
    private readonly strip: Strip,
    private readonly activeKey: () => string | undefined,
  ) {}

  /** Keeps the thumbnails live from now on. */
  start(): void {
    const next = (): void => {
      this.step();
      const background = Math.max(1, this.pool.all().length - 1);
      window.setTimeout(next, Math.max(MIN_STEP_MS, REFRESH_MS / background));
    };
    next();
  }

  /** Catches up the next background console of the round; a new round starts by painting the rest. */
  private step(): void {
    if (this.round.length === 0) {
      this.paintAll();
      const active = this.activeKey();
      this.round = this.pool
        .all()
        .map((c) => c.key)
        .filter((k) => k !== active);
    }
    const key = this.round.shift();
    const c = this.pool.get(key);
    if (!c || !c.refresh()) return;
    const asOf = performance.now();
    window.setTimeout(() => {
      if (this.pool.get(c.key) !== c || c.key === this.activeKey()) return;
      this.paint(c, false);
      // What it shows now is its screen as it was when it was let through.
      c.thumbnailAsOf = asOf;
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
