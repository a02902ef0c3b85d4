/**
 * One guest's SPICE screen: a spice-html5 session whose channels (main, display, inputs, cursor)
 * are the app's byte channels to the guest, inside its own element on the stage. It behaves as a
 * VNC console does: active, it is shown and takes keyboard and pointer; in the background it is
 * view-only and its display channel's traffic is held back (SPICE's flow control then stops the
 * server after a short window of unacknowledged messages), let through now and then for its
 * thumbnail. Keys go out as scancodes from KeyboardEvent.code, sent by this class (see
 * spice-keys.ts), so it knows exactly which keys the guest holds down and releases them on a switch.
 *
 * What spice-html5 lacks, and what the user sees then: no clipboard and no resizing the guest to
 * the window (both need the SPICE agent, which it barely speaks) — the screen is scaled instead;
 * no audio input, no USB redirection, no smartcard; only the first monitor of a multi-head guest;
 * images compressed with GLZ or palette LZ are not decoded (those parts of the screen stay as they
 * were; the guest's `<image compression='off'/>` avoids them); a SPICE display that listens only
 * with TLS cannot be reached (the status says so).
 */
import type { SpiceMainConn } from '@spice-project/spice-html5/src/main.js';
import type * as SpiceLibModule from './spice-lib.js';
import type { Bridge, GuestRef, Scaling } from '../../../common/contract.js';
import { routeSpice, type SpiceSocket } from './spice-socket.js';
import { scancodeOf, spiceKeyValue } from './spice-keys.js';
import { SpiceKeyOutbox } from './spice-key-outbox.js';
import type { ScreenConsoleEvents, ScreenStatus } from './screen-console.js';
import { SPICE_NO_CLIPBOARD } from './spice-note.js';
import './spice-console.css';

let sessions = 0;

type SpiceLib = typeof SpiceLibModule;
let spiceLib: Promise<SpiceLib> | undefined;
/** spice-html5, loaded once, on first use (see spice-lib.ts); a failed load is tried again next time. */
function loadSpiceLib(): Promise<SpiceLib> {
  spiceLib ??= import('./spice-lib.js').catch((e: unknown) => {
    spiceLib = undefined;
    throw e;
  });
  return spiceLib;
}

type Session = SpiceMainConn & {
  onprimary?: (canvas: HTMLCanvasElement | undefined) => void;
  onmotionack?: () => void;
};

export class SpiceConsole {
  readonly element: HTMLDivElement;
  readonly kind = 'spice' as const;
  readonly noClipboard = SPICE_NO_CLIPBOARD;
  status: ScreenStatus = 'connecting';
  reason: string | undefined;
  width = 0;
  height = 0;
  generation = 0;
  thumbnailAsOf = 0;
  private readonly screen: HTMLDivElement;
  private session: Session | undefined;
  private primary: HTMLCanvasElement | undefined;
  private readonly sockets: SpiceSocket[] = [];
  private unroute: (() => void) | undefined;
  /** The URI of the session being set up or running (a new connect makes a new one). */
  private uri = '';
  private active = false;
  private viewOnly = false;
  /** spice-html5, once loaded. */
  private lib: SpiceLib | undefined;
  private refreshTimer: number | undefined;
  /** Keys this console told the guest are down, by KeyboardEvent.code. */
  private readonly down = new Set<string>();
  /** Key messages on their way to the guest (see spice-key-outbox.ts). */
  private readonly outbox = new SpiceKeyOutbox(() => this.session);
  private readonly resizeObserver = new ResizeObserver(() => this.layout());
  private readonly onWindowBlur = (): void => this.releaseKeys();

  constructor(
    readonly ref: GuestRef,
    readonly key: string,
    private readonly bridge: Bridge,
    private readonly on: ScreenConsoleEvents<SpiceConsole>,
    private scaling: Scaling,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'console spice-console';
    this.element.dataset.console = key;
    this.screen = document.createElement('div');
    this.screen.className = 'spice-screen';
    this.screen.id = `spice-screen-${++sessions}`;
    this.element.append(this.screen);
    this.resizeObserver.observe(this.element);
    window.addEventListener('blur', this.onWindowBlur);
    this.applyScaling();
  }

  connect(): void {
    this.stopSession();
    this.status = 'connecting';
    this.reason = undefined;
    this.on.status(this);
    const uri = `virtswitch-spice://${encodeURIComponent(this.key)}/${++sessions}`;
    this.uri = uri;
    this.unroute = routeSpice(uri, (socket) => {
      this.sockets.push(socket);
      // spice-html5 reports only its main channel's failures: a display, inputs or cursor channel
      // that fails would leave the session half up (no screen, or no keyboard) for good.
      socket.addEventListener('close', () => {
        if (this.session && this.uri === uri) this.fail('a SPICE channel closed');
      });
      return this.bridge.openConsole(this.ref, 'spice');
    });
    // The password is needed before the first channel links; null means there is none to send.
    const password = this.bridge.invoke('guest.spicePassword', this.ref).then(
      ({ password }) => password ?? '',
      () => '',
    );
    Promise.all([loadSpiceLib(), password]).then(
      ([lib, pw]) => this.start(lib, uri, pw),
      () => {
        if (this.uri === uri) this.fail('the SPICE client could not be loaded');
      },
    );
  }

  private start(lib: SpiceLib, uri: string, password: string): void {
    if (!this.unroute || this.uri !== uri) return;
    this.lib = lib;
    let session: Session;
    try {
      session = new lib.SpiceMainConn({
        uri,
        password,
        screen_id: this.screen.id,
        onerror: (e) => {
          if (this.session === session) this.fail(e.message);
        },
      }) as Session;
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
      return;
    }
    this.session = session;
    session.onprimary = (canvas) => {
      if (this.session === session) this.onPrimary(canvas);
    };
    session.onmotionack = () => {
      if (this.session === session) this.outbox.flush();
    };
  }

  /** The guest's screen surface appeared (its first frame), changed size, or went away. */
  private onPrimary(canvas: HTMLCanvasElement | undefined): void {
    this.primary = canvas;
    if (!canvas) return;
    canvas.tabIndex = -1;
    canvas.removeAttribute('id');
    this.width = canvas.width;
    this.height = canvas.height;
    this.hookInput(canvas);
    this.layout();
    this.generation++;
    if (this.status !== 'connected') {
      this.status = 'connected';
      this.on.status(this);
    }
    if (this.active) canvas.focus({ preventScroll: true });
    else this.holdSoon();
  }

  private fail(message: string): void {
    if (this.status === 'disconnected') return;
    this.releaseKeys();
    this.status = 'disconnected';
    this.reason = /Bad password/.test(message)
      ? 'the display refused the password'
      : /could not be loaded/.test(message)
        ? message
        : /refused|protocol mismatch/i.test(message)
          ? 'the SPICE display could not be reached (a display that listens only with TLS cannot be)'
          : 'the connection to the console was lost';
    this.stopSession();
    this.on.status(this);
  }

  /** Keyboard and pointer from the canvas, taken only while this console is active. */
  private hookInput(canvas: HTMLCanvasElement): void {
    const Inputs = this.lib?.Inputs;
    if (!Inputs) return;
    const when =
      <E extends Event>(f: (this: HTMLCanvasElement, e: E) => void) =>
      (e: E): void => {
        if (this.active && !this.viewOnly) f.call(canvas, e);
      };
    canvas.addEventListener(
      'keydown',
      when((e: KeyboardEvent) => this.onKey(e, true)),
    );
    canvas.addEventListener(
      'keyup',
      when((e: KeyboardEvent) => this.onKey(e, false)),
    );
    canvas.addEventListener(
      'mousedown',
      when((e: MouseEvent) => {
        canvas.focus({ preventScroll: true });
        Inputs.handle_mousedown.call(canvas, e);
      }),
    );
    canvas.addEventListener('mouseup', when(Inputs.handle_mouseup));
    canvas.addEventListener('contextmenu', when(Inputs.handle_contextmenu));
    canvas.addEventListener('wheel', when(Inputs.handle_mousewheel));
    canvas.addEventListener(
      'mousemove',
      when((e: MouseEvent) => {
        // spice-html5 takes the offset in CSS pixels; the guest wants its own, whatever the scaling.
        const sx = canvas.width / (canvas.clientWidth || canvas.width);
        const sy = canvas.height / (canvas.clientHeight || canvas.height);
        Inputs.handle_mousemove.call(canvas, {
          offsetX: Math.round(e.offsetX * sx),
          offsetY: Math.round(e.offsetY * sy),
          pageX: e.pageX,
          pageY: e.pageY,
          preventDefault: () => e.preventDefault(),
        });
      }),
    );
  }

  private onKey(e: KeyboardEvent, down: boolean): void {
    if (scancodeOf(e.code) === undefined) return;
    e.preventDefault();
    // A key-up for a key this guest never got down (pressed before the switch) is not sent.
    if (!down && !this.down.has(e.code)) return;
    this.sendKey(0, e.code, down);
  }

  get canvas(): HTMLCanvasElement | null {
    return this.primary ?? null;
  }

  get bytesIn(): number {
    return this.sockets.reduce((n, s) => n + s.channel.bytesIn, 0);
  }

  private get displayChannel(): SpiceSocket | undefined {
    return this.session?.display?.ws as SpiceSocket | undefined;
  }

  get isHeld(): boolean {
    return this.displayChannel?.channel.isPaused ?? false;
  }

  setScaling(s: Scaling): void {
    this.scaling = s;
    this.applyScaling();
  }

  private applyScaling(): void {
    this.element.classList.toggle('actual-size', this.scaling === 'actual');
    this.layout();
  }

  /** Fits the screen into the stage ('resize' too: resizing the guest needs the SPICE agent). */
  private layout(): void {
    const c = this.primary;
    if (!c || c.width === 0) return;
    if (this.scaling === 'actual') {
      c.style.width = `${c.width}px`;
      c.style.height = `${c.height}px`;
      return;
    }
    const box = this.element.getBoundingClientRect();
    const scale = Math.min(box.width / c.width, box.height / c.height) || 1;
    c.style.width = `${Math.floor(c.width * scale)}px`;
    c.style.height = `${Math.floor(c.height * scale)}px`;
  }

  /** See VncConsole.setActive: keys the guest holds are released before input moves away. */
  setActive(active: boolean, _heldCodes: readonly string[] = []): void {
    if (this.active === active) return;
    this.active = active;
    this.element.classList.toggle('active', active);
    window.clearTimeout(this.refreshTimer);
    if (active) {
      this.primary?.focus({ preventScroll: true });
      this.refreshTimer = window.setTimeout(() => {
        if (this.active) this.displayChannel?.channel.resume();
      }, 0);
    } else {
      this.releaseKeys();
      this.primary?.blur();
      this.holdSoon();
    }
  }

  setViewOnly(on: boolean): void {
    if (on && !this.viewOnly) this.releaseKeys();
    this.viewOnly = on;
  }

  releaseHeld(): void {
    this.releaseKeys();
  }

  private holdSoon(): void {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => {
      if (!this.active) this.displayChannel?.channel.pause();
    }, 150);
  }

  /** Every key this console sent down gets its release. */
  private releaseKeys(): void {
    for (const code of [...this.down]) this.sendKey(0, code, false);
  }

  refresh(): boolean {
    if (this.active || this.status !== 'connected' || !this.displayChannel) return false;
    this.displayChannel.channel.resume();
    this.generation++;
    this.holdSoon();
    return true;
  }

  focus(): void {
    if (this.active) this.primary?.focus({ preventScroll: true });
  }

  /**
   * Presses (or releases) a key by its KeyboardEvent.code; without `down`, presses and releases it.
   * Queued, then sent through the key gate (SpiceKeyOutbox); the main process also spaces them out
   * right before QEMU (main/consoles/spice-input-pacing.ts).
   */
  sendKey(_keysym: number, code: string, down?: boolean): void {
    const sc = scancodeOf(code);
    if (!this.session || sc === undefined) return;
    for (const d of down === undefined ? [true, false] : [down]) {
      if (d && this.viewOnly) continue; // view only: no key reaches the guest, but releases still do
      this.outbox.push(d, spiceKeyValue(sc, d));
      if (d) this.down.add(code);
      else this.down.delete(code);
    }
    this.outbox.flush();
  }

  /** spice-html5 has no clipboard (it needs the SPICE agent): Type text says so and types instead. */
  pasteClipboard(_text: string): void {}

  private stopSession(): void {
    this.unroute?.();
    this.unroute = undefined;
    const session = this.session;
    this.session = undefined;
    this.primary = undefined;
    this.down.clear();
    this.outbox.clear();
    if (session) {
      try {
        session.stop();
      } catch {
        // Already closed.
      }
    }
    for (const s of this.sockets.splice(0)) s.close();
    this.screen.replaceChildren();
  }

  dispose(): void {
    window.clearTimeout(this.refreshTimer);
    window.removeEventListener('blur', this.onWindowBlur);
    this.resizeObserver.disconnect();
    this.stopSession();
    this.element.remove();
  }
}
