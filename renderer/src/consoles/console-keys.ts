/**
 * A VNC console's keyboard across its displays: key events go to the live display paced (see
 * key-pacer.ts); while there is none (the guest is moving between hosts) they are kept, with those
 * not sent yet, and typed on the next display once each, in order (see handover.ts).
 */
import { HandoverKeys, type KeyRecord } from '../input/handover.js';
import { KeyPacer, type PacedKey } from './key-pacer.js';

/** What the keyboard needs of a display (noVNC's RFB has it; Node tests give a plain one). */
export interface KeyDisplay {
  viewOnly: boolean;
  sendKey(keysym: number, code: string | null, down?: boolean): void;
}

export class ConsoleKeys {
  private readonly keys = new HandoverKeys();
  private pacer: KeyPacer | undefined;

  constructor(
    /** Told, as it changes, how many key presses are kept (undefined: none are, keys go to the display). */
    private readonly onKept: (presses: number | undefined) => void = () => undefined,
  ) {}

  private changed(): void {
    this.onKept(this.keys.keptPresses);
  }

  /** A key event the page saw on the console; `noDisplay`: it was typed on the old display's picture. */
  typed(ev: KeyboardEvent, noDisplay: boolean): void {
    // Keys for the live display are counted as they are sent, or kept there (see attach).
    if (!noDisplay) return;
    this.begin();
    this.keys.key({ type: ev.type === 'keydown' ? 'keydown' : 'keyup', code: ev.code, key: ev.key });
    this.changed();
  }

  /** Whether keys are being kept for the next display. */
  get keeping(): boolean {
    return this.keys.inGap;
  }

  /** `rfb` is the console's display now (`current` says while it still is). */
  attach(rfb: KeyDisplay, current: () => boolean): void {
    this.pacer = paceKeys(rfb, {
      sent: (k) => {
        if (k.code && !this.keys.inGap) this.keys.key({ type: k.down ? 'keydown' : 'keyup', code: k.code, key: '' });
      },
      keep: (k) => {
        if (!this.keys.inGap || !current()) return false;
        if (!k.down && k.code && this.keys.releasesLive(k.code)) return false;
        this.keys.key(pacedRecord(k));
        this.changed();
        return true;
      },
    });
  }

  /** The display is closed: what it had not sent yet is dropped with it. */
  detach(): void {
    this.pacer?.take();
    this.pacer = undefined;
  }

  /**
   * No display from now on (its guest paused to move, or it went away): keys not sent yet would
   * reach a paused guest (QEMU drops them), so they are kept with those typed next.
   */
  begin(): void {
    const unsent = this.pacer?.take() ?? [];
    this.keys.begin();
    for (const k of unsent) this.keys.key(pacedRecord(k));
    this.changed();
  }

  /** The new display is up: release what the guest still holds down, then type the keys kept. */
  end(rfb: KeyDisplay, canvas: HTMLCanvasElement | null): void {
    const { release, replay } = this.keys.end();
    this.changed();
    // The keys belong to the guest even if the user has switched away meanwhile.
    const viewOnly = rfb.viewOnly;
    rfb.viewOnly = false;
    for (const code of release) rfb.sendKey(0, code, false);
    for (const r of replay) {
      if (r.keysym !== undefined) rfb.sendKey(r.keysym, r.code, r.type === 'keydown');
      else canvas?.dispatchEvent(new KeyboardEvent(r.type, { ...r, bubbles: true, cancelable: true }));
    }
    rfb.viewOnly = viewOnly;
  }
}

export interface PaceHooks {
  /** An event went to the display. */
  sent(k: PacedKey): void;
  /** Whether the console keeps the event instead (there is no display for it now). */
  keep(k: PacedKey): boolean;
}

/**
 * Routes `rfb`'s key events (noVNC's keyboard and every caller of sendKey) through a pacer. Whether
 * an event goes to the guest is decided when it is typed: view-only drops it then, as noVNC does.
 */
export function paceKeys(rfb: KeyDisplay, hooks: PaceHooks): KeyPacer {
  const send = rfb.sendKey.bind(rfb);
  const pacer = new KeyPacer((k) => {
    hooks.sent(k);
    const viewOnly = rfb.viewOnly;
    rfb.viewOnly = false;
    send(k.keysym, k.code, k.down);
    rfb.viewOnly = viewOnly;
  });
  rfb.sendKey = (keysym, code, down) => {
    if (rfb.viewOnly) return;
    const events: PacedKey[] =
      down === undefined ? [true, false].map((d) => ({ keysym, code, down: d })) : [{ keysym, code, down }];
    for (const k of events) if (!hooks.keep(k)) pacer.push(k);
  };
  return pacer;
}

/** A key event that never reached a display, kept for the next one as it was to be sent. */
export function pacedRecord(k: PacedKey): KeyRecord {
  return { type: k.down ? 'keydown' : 'keyup', code: k.code ?? '', key: '', keysym: k.keysym };
}
