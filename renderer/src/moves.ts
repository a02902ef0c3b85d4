/**
 * Moving guests between hosts from the UI: the dialog, the move itself, its progress panels, and
 * Cancel. The guest keeps its place in the switcher: before it moves, the order on screen is saved
 * (by UUID), so the guest does not jump to the target host's group.
 */
import type { Bridge, GuestInfo, MigrateOptions, MigrationProgress } from '../../common/contract.js';
import type { Store } from './state/store.js';
import { moveDialog } from './ui/move-dialog.js';
import { MoveProgress } from './ui/move-progress.js';

export class Moves {
  readonly progress: MoveProgress;

  constructor(
    private readonly bridge: Bridge,
    private readonly store: Store,
    private readonly fail: (e: unknown, title: string) => void,
    /** Gives the keyboard back to the active guest's screen (after the dialog closes). */
    private readonly refocus: () => void,
  ) {
    this.progress = new MoveProgress(
      (m) => this.cancel(m),
      () => this.refocus(),
    );
  }

  /** "Move to host…" for `g`. */
  open(g: GuestInfo): void {
    moveDialog(g, this.store.hosts, (o) => void this.start(g, o));
  }

  /** A migration event: the panel shows it. */
  update(m: MigrationProgress): void {
    this.progress.update(m);
  }

  private async start(g: GuestInfo, o: MigrateOptions): Promise<void> {
    this.refocus();
    const order = this.store.ordered().map((x) => x.uuid);
    const saved = this.store.savedOrder();
    if (order.join() !== saved.join()) await this.bridge.invoke('settings.update', { order }).catch(() => undefined);
    const before = this.store.migrations.get(g.uuid);
    try {
      await this.bridge.invoke('guest.migrate', { host: g.host, uuid: g.uuid, ...o });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // The panel already says why when the move had begun; a cancel the user asked for needs no word.
      const last = this.store.migrations.get(g.uuid);
      const said = last !== before && (last?.phase === 'cancelled' || this.progress.shows(g.uuid, message));
      if (!said) this.fail(e, `Couldn't move ${g.name}`);
    }
  }

  private cancel(m: MigrationProgress): void {
    this.bridge
      .invoke('guest.migrateCancel', { host: m.host, uuid: m.uuid })
      .catch((e: unknown) => this.fail(e, `Couldn't cancel the move of ${m.name}`));
  }
}
