/**
 * The switcher: ties the state, the consoles, the keyboard and the UI together. One guest owns
 * keyboard, video and mouse; a hotkey hands them to another at once, because every running
 * guest's console is already connected, held back in the background.
 */
import { guestKey } from '../../common/contract.js';
import type { Bridge, GuestAction, GuestInfo, HotkeyAction, MenuCommand, Scaling } from '../../common/contract.js';
import { ConsolePool, type ConsoleDebugInfo } from './consoles/pool.js';
import type { ScreenConsole } from './consoles/screen-console.js';
import { attachKeyboard, KeyboardRouter } from './input/keyboard.js';
import { openTypeText, sendKeysTo } from './input/console-input.js';
import { reorder } from '../../common/order.js';
import { Moves } from './moves.js';
import { Store, type Change } from './state/store.js';
import { activeFirst, initialGuest, isRunning, Switcher } from './state/switcher.js';
import { AutoScan } from './ui/auto-scan.js';
import { DetailsPanel } from './ui/details.js';
import { ErrorToasts } from './ui/errors.js';
import { ClipboardHint } from './ui/clipboard-hint.js';
import { Fullscreen } from './ui/fullscreen.js';
import { runGuestAction } from './ui/guest-actions.js';
import { Osd } from './ui/osd.js';
import { ActionPalette, paletteEntries } from './ui/palette-actions.js';
import { resourcesDialog, snapshotsPanel } from './ui/panels.js';
import { settingsDialog } from './ui/settings.js';
import { SerialView } from './ui/serial.js';
import { Stage } from './ui/stage.js';
import { MENU_PANELS, type Tool } from './ui/tools.js';
import { VncOffer } from './ui/vnc-offer.js';
import { Strip } from './ui/strip.js';
import { applyTheme, onSystemThemeChange } from './ui/theme.js';
import { ThumbnailPainter } from './ui/thumbnails.js';

export class VirtSwitch {
  readonly store = new Store();
  private readonly switcher = new Switcher();
  private readonly toasts = new ErrorToasts();
  private readonly clipHint = new ClipboardHint();
  private readonly palette = new ActionPalette(() => this.pool.get(this.switcher.activeKey)?.focus());
  private readonly stage: Stage;
  private readonly strip: Strip;
  private readonly pool: ConsolePool;
  private readonly keyboard: KeyboardRouter;
  private readonly osd: Osd;
  private readonly serial: SerialView;
  private readonly thumbnails: ThumbnailPainter;
  private readonly scan: AutoScan;
  private readonly fullscreen: Fullscreen;
  private readonly moves: Moves;
  private readonly details: DetailsPanel;
  private saveTimer: number | undefined;
  private launchDomain: string | undefined;
  private chosenAtStart = false;
  private serialWanted = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly bridge: Bridge,
  ) {
    this.stage = new Stage(
      {
        action: (a) => this.runAction(a, this.switcher.activeKey),
        tool: (t) => this.tool(t),
        sendKeys: (keys) => this.sendKeys(keys),
        scaling: (s) => this.setScaling(s),
        reconnect: () => this.switcher.activeKey && this.pool.reconnect(this.switcher.activeKey),
      },
      new VncOffer(bridge, () => this.renderStage(), this.fail.bind(this)),
    );
    this.strip = new Strip(this.store, {
      select: (key) => this.switchTo(key),
      action: (a, key) => this.runAction(a, key),
      reorder: (moved, before) => this.reorder(moved, before),
      retryHost: (uri) => this.bridge.invoke('hosts.retry', { host: uri }).catch((e: unknown) => this.fail(e)),
      move: (key) => this.openMove(key),
      settings: () => this.tool('settings'),
    });
    this.pool = new ConsolePool(
      this.bridge,
      this.stage.screen,
      { status: (c) => this.onConsoleStatus(c), clipboard: (c, t) => this.onGuestClipboard(c, t) },
      (key) => this.store.scalingFor(key),
    );
    this.keyboard = new KeyboardRouter(this.store.settings.hotkeys, {
      hotkey: (a) => this.hotkey(a),
      modalKey: (e) => {
        if (!this.osd.isOpen) return false;
        this.osd.key(e.type, e.code);
        return true;
      },
      anyInput: () => this.scan.stop(),
    });
    this.osd = new Osd(
      (key) => this.switchTo(key),
      (key) => this.strip.thumbnail(key),
    );
    this.serial = new SerialView(this.bridge, this.stage.serialPanel);
    this.thumbnails = new ThumbnailPainter(this.store, this.pool, this.strip, () => this.switcher.activeKey);
    this.scan = new AutoScan({
      step: () => this.switchTo(this.switcher.step(this.store.ordered(), 1)),
      intervalMs: () => this.store.settings.scanIntervalSec * 1000,
      changed: (on) => {
        this.stage.scanning = on;
        this.root.classList.toggle('scanning', on);
        this.renderStage();
      },
    });
    this.fullscreen = new Fullscreen(root, {
      fail: (e) => this.fail(e, 'Fullscreen is not available'),
      changed: () => this.pool.get(this.switcher.activeKey)?.focus(),
    });
    this.moves = new Moves(
      bridge,
      this.store,
      (e, t) => this.fail(e, t),
      () => this.pool.get(this.switcher.activeKey)?.focus(),
    );
    this.details = new DetailsPanel(bridge, this.store, this.pool, this.keyboard, this.fail.bind(this));
    this.stage.body.append(this.details.element);
    root.append(
      this.strip.element,
      this.stage.element,
      this.moves.progress.element,
      this.toasts.element,
      this.clipHint.element,
    );
  }

  async start(): Promise<void> {
    const launch = await this.bridge.launchOptions().catch(() => ({ fullscreen: false, kiosk: false }) as const);
    this.launchDomain = 'domain' in launch ? launch.domain : undefined;
    this.fullscreen.kiosk = launch.kiosk;
    this.root.classList.toggle('kiosk', launch.kiosk);
    this.store.subscribe((ch) => this.onChange(ch));
    this.bridge.subscribe(
      (s) => {
        this.store.applyState(s);
        // Another virtswitch owns the config folder: said until dismissed, not only in a log.
        if (s.configReadOnly) this.toasts.show(s.configReadOnly, 'Hosts and settings are read-only', 864e5);
      },
      (e) => {
        this.store.applyEvent(e);
        if (e.type === 'migration') this.moves.update(e.migration);
      },
    );
    this.bridge.onConnectionChange((ok, why) => this.store.setConnection(ok, why));
    this.bridge.onHotkey?.((a) => this.hotkey(a));
    this.bridge.onMenuCommand?.((c) => this.menuCommand(c));
    attachKeyboard(
      window,
      this.keyboard,
      (t) => t instanceof HTMLCanvasElement && t.closest('.console') !== null,
      (t) => t instanceof HTMLElement && t.classList.contains('hotkey-input'),
    );
    window.addEventListener('mousedown', () => this.scan.stop(), true);
    document.addEventListener('visibilitychange', () => this.watchStats());
    this.thumbnails.start();
    this.watchStats();
    applyTheme(this.store.settings.theme);
    onSystemThemeChange(() => applyTheme(this.store.settings.theme));
    if (launch.fullscreen || launch.kiosk) void this.fullscreen.set(true);
  }

  private watchStats(): void {
    this.bridge.invoke('stats.watch', { on: document.visibilityState === 'visible' }).catch(() => undefined);
  }

  private fail(e: unknown, title?: string): void {
    this.toasts.show(e instanceof Error ? e.message : String(e), title);
  }

  private onChange(ch: ReadonlySet<Change>): void {
    if (ch.has('settings')) {
      this.keyboard.setHotkeys(this.store.settings.hotkeys);
      applyTheme(this.store.settings.theme);
      for (const c of this.pool.all()) c.setScaling(this.store.scalingFor(c.key));
    }
    if (ch.has('guests') || ch.has('hosts') || ch.has('settings') || ch.has('migrations')) {
      const ordered = this.store.ordered();
      if (!this.chosenAtStart && this.store.loaded) this.chooseInitial(ordered);
      const active = this.switcher.activeKey;
      if (active && !this.store.guest(active)) {
        this.switcher.forget(active);
        const next = this.switcher.initial(ordered, undefined);
        if (next) this.switchTo(next);
        else this.stage.setActiveAttributes(undefined);
      }
      this.pool.sync(
        ordered,
        activeFirst(ordered, this.switcher.activeKey),
        this.store.movingNow(),
        this.store.moveTargets(),
      );
      this.stage.canMove = this.strip.canMove = this.store.hosts.length > 1;
      this.strip.render();
      this.strip.setActive(this.switcher.activeKey);
      // A guest that moved is the same guest: the stage names its new host.
      if (this.switcher.activeKey) this.stage.setActiveAttributes(this.store.guest(this.switcher.activeKey));
      this.syncSerial();
    }
    if (ch.has('stats')) {
      this.strip.renderStats();
      this.renderStats();
    }
    if (ch.has('connection') && !this.store.connected)
      this.fail(this.store.connectionProblem ?? 'Lost the connection to virtswitch', 'Disconnected');
    this.renderStage();
  }

  private chooseInitial(ordered: readonly GuestInfo[]): void {
    const launch = { domain: this.launchDomain, remembered: this.store.settings.lastActive };
    const c = initialGuest(ordered, this.store.hosts, launch);
    if (c?.missing) this.fail(`No guest named ${c.missing}`, 'Cannot open that guest');
    if (!c?.key) return;
    this.chosenAtStart = true;
    this.switchTo(c.key);
  }

  /** Hands keyboard, video and mouse to the guest `key`. */
  switchTo(key: string | undefined): void {
    if (!key || !this.store.guest(key)) return;
    const changed = this.switcher.activate(key);
    if (!changed) {
      this.pool.get(key)?.focus();
      return;
    }
    this.chosenAtStart = true;
    // The switch itself: the new console shows and takes input in this frame.
    this.pool.activate(key, this.keyboard.takeHeld());
    const g = this.store.guest(key);
    this.stage.setActiveAttributes(g);
    this.strip.setActive(key);
    this.renderStage();
    // Everything else can wait until the frame is out.
    window.clearTimeout(this.saveTimer);
    window.setTimeout(() => {
      if (this.switcher.activeKey !== key) return;
      this.syncSerial();
      this.renderStats();
      this.thumbnails.paintAll();
      this.bridge.setActiveGuest?.(g ? { host: g.host, uuid: g.uuid } : null, !!this.pool.get(key));
    }, 16);
    this.saveTimer = window.setTimeout(() => {
      if (this.store.settings.lastActive !== key)
        this.bridge.invoke('settings.update', { lastActive: key }).catch(() => undefined);
    }, 1000);
  }

  private hotkey(a: HotkeyAction): void {
    const ordered = this.store.ordered();
    const slot = /^slot(\d)$/.exec(a);
    if (slot) this.switchTo(this.switcher.slot(ordered, Number(slot[1])));
    else if (a === 'next') this.switchTo(this.switcher.step(ordered, 1));
    else if (a === 'previous') this.switchTo(this.switcher.step(ordered, -1));
    else if (a === 'last') this.switchTo(this.switcher.last(ordered));
    else if (a === 'osd') this.toggleOsd();
    else if (a === 'fullscreen' || a === 'details') this.tool(a);
    else if (a === 'palette') this.togglePalette();
  }

  /** Every action on the active guest, from the keyboard while the guest holds it; its keys are let go first. */
  private togglePalette(): void {
    if (this.palette.isOpen) return this.palette.close();
    this.pool.get(this.switcher.activeKey)?.releaseHeld(this.keyboard.takeHeld());
    const g = this.store.guest(this.switcher.activeKey);
    const c = { app: this, bridge: this.bridge, store: this.store, guest: g, canMove: this.stage.canMove };
    this.palette.open(g ? `Actions: ${g.name}` : 'Actions', paletteEntries({ ...c, fail: this.fail.bind(this) }));
  }

  private menuCommand(c: MenuCommand): void {
    if (c.kind === 'switch') this.switchTo(c.guest.uuid);
    else if (c.kind === 'hotkey') this.hotkey(c.action);
    else if (c.kind === 'guest-action') this.runAction(c.action, c.guest?.uuid ?? this.switcher.activeKey);
    else if (c.kind === 'open') this.tool(MENU_PANELS[c.panel]);
  }

  private toggleOsd(): void {
    if (this.osd.isOpen) this.osd.close();
    else this.osd.open(this.store.ordered(), this.switcher.activeKey, this.strip.query);
  }

  async runAction(action: GuestAction, key: string | undefined): Promise<void> {
    const g = this.store.guest(key);
    if (!g) return;
    const sent = await runGuestAction(this.bridge, g, action, (e, title) => this.fail(e, title));
    if (sent && key === this.switcher.activeKey) this.pool.get(key)?.focus();
  }

  private openMove(key: string): void {
    const g = this.store.guest(key);
    if (g) this.moves.open(g);
  }

  tool(t: Tool): void {
    const g = this.store.guest(this.switcher.activeKey);
    const fail = (e: unknown): void => this.fail(e);
    switch (t) {
      case 'settings':
        settingsDialog(this.bridge, this.store, fail);
        return;
      case 'strip':
        this.root.classList.toggle('strip-hidden');
        return;
      case 'osd':
        this.toggleOsd();
        return;
      case 'fullscreen':
        this.fullscreen.toggle();
        return;
      case 'scan':
        this.scan.toggle();
        return;
      case 'details':
        this.stage.detailsOpen = this.details.toggle();
        return this.renderStage();
      case 'serial':
        this.serialWanted = !this.serialWanted;
        this.syncSerial();
        this.renderStage();
        return;
    }
    if (!g) return;
    if (t === 'move') this.moves.open(g);
    else if (t === 'snapshots') snapshotsPanel(this.bridge, g, fail);
    else if (t === 'resources') resourcesDialog(this.bridge, g, fail);
    else if (t === 'type-text')
      openTypeText(g, this.pool.get(this.switcher.activeKey), this.store.isViewOnly(g.uuid), this.fail.bind(this));
  }

  sendKeys(keys: readonly string[]): void {
    const g = this.store.guest(this.switcher.activeKey);
    sendKeysTo(this.bridge, g, keys, !!g && this.store.isViewOnly(g.uuid), this.fail.bind(this));
    this.pool.get(this.switcher.activeKey)?.focus();
  }

  private setScaling(s: Scaling): void {
    const key = this.switcher.activeKey;
    if (!key) return;
    this.pool.setScaling(key, s);
    this.bridge
      .invoke('settings.update', { scaling: { ...this.store.settings.scaling, [key]: s } })
      .catch((e: unknown) => this.fail(e));
  }

  private reorder(moved: string, before: string | undefined): void {
    const order = reorder(this.store.ordered(), moved, before);
    this.bridge.invoke('settings.update', { order }).catch((e: unknown) => this.fail(e));
  }

  private onConsoleStatus(c: ScreenConsole): void {
    this.strip.screenElsewhere(c.key, c.status === 'disconnected' && !!c.waitsForUser);
    if (c.key !== this.switcher.activeKey) return;
    this.renderStage();
    this.bridge.setActiveGuest?.(c.ref, c.status === 'connected');
  }

  private onGuestClipboard(c: ScreenConsole, text: string): void {
    const active = c.key === this.switcher.activeKey;
    this.clipHint.offer(this.store.settings, active, this.store.guest(c.key)?.name ?? 'the guest', text);
  }

  /** The serial console shows beside the screen when asked, or instead of it for guests without one. */
  private syncSerial(): void {
    const g = this.store.guest(this.switcher.activeKey);
    const noScreen = g && !g.hasVnc && !g.hasSpice;
    const want = g && isRunning(g) && g.hasSerial && (this.serialWanted || noScreen);
    this.stage.serialOpen = !!(g && this.serialWanted);
    this.stage.element.classList.toggle('serial-only', !!(want && noScreen));
    if (want && g) this.serial.open({ host: g.host, uuid: g.uuid }, guestKey(g));
    else if (this.serial.key) this.serial.close();
  }

  private renderStage(): void {
    const key = this.switcher.activeKey;
    const g = this.store.guest(key);
    const host = g ? this.store.hosts.find((x) => x.uri === g.host) : undefined;
    this.stage.moving = !!this.store.moving(key);
    this.stage.viewOnly = !!key && this.store.isViewOnly(key);
    this.details.render(g);
    this.stage.render(
      g,
      this.pool.get(key),
      host,
      key ? this.store.scalingFor(key) : this.store.settings.defaultScaling,
      this.store.nothingToShow(),
      key ? this.store.unavailableWhy(key) : undefined,
    );
  }

  private renderStats(): void {
    const key = this.switcher.activeKey;
    this.stage.renderStats(key ? (this.store.stats.get(key) ?? []) : []);
  }

  // For tests and benchmarks: the consoles' traffic and state, read from the page.
  debugInfo(): { active: string | undefined; consoles: ConsoleDebugInfo[] } {
    return { active: this.switcher.activeKey, consoles: this.pool.debugInfo() };
  }
}
