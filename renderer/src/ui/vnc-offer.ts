/**
 * "Add a VNC display" for a guest whose screen is SPICE only: one click adds a loopback VNC
 * display to its definition. A stopped guest shows it from its start; a running one keeps its
 * current displays until it restarts, which the notice under the toolbar says, offering
 * "Restart now" (a clean shutdown and a start: a reboot keeps the same QEMU).
 */
import { guestKey, type Bridge, type GuestInfo } from '../../../common/contract.js';
import { h } from './dom.js';
import './vnc-offer.css';

type Pending = 'adding' | 'next-start' | 'restarting';

export class VncOffer {
  /** Per guest key: what the user started and the guest has not finished yet. */
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly bridge: Bridge,
    private readonly changed: () => void,
    private readonly fail: (e: unknown, title: string) => void,
  ) {}

  /** Whether the offer applies: a SPICE display, no VNC, and a definition to add one to. */
  static applies(g: GuestInfo): boolean {
    return g.hasSpice && !g.hasVnc && g.persistent;
  }

  private state(g: GuestInfo): Pending | undefined {
    const key = guestKey(g);
    // Once the guest shows a VNC display, or stopped (its next start brings it), there is nothing to wait for.
    if (g.hasVnc || (this.pending.get(key) === 'next-start' && g.state === 'shutoff')) this.pending.delete(key);
    return this.pending.get(key);
  }

  /** Whether the button shows for this guest now (greyed out while the display is being added). */
  offered(g: GuestInfo): boolean {
    const st = VncOffer.applies(g) ? this.state(g) : 'n/a';
    return st === undefined || st === 'adding';
  }

  /** The button, or undefined when it does not apply or was already used. */
  button(g: GuestInfo): HTMLElement | undefined {
    if (!this.offered(g)) return undefined;
    const adding = this.state(g) === 'adding';
    return h(
      'button',
      { type: 'button', className: 'add-vnc', disabled: adding, onclick: () => void this.add(g) },
      adding ? 'Adding a VNC display…' : 'Add a VNC display',
    );
  }

  /** The line under the toolbar while an added display waits for the guest's next start. */
  notice(g: GuestInfo | undefined): HTMLElement | undefined {
    const st = g && this.state(g);
    if (!g || !st || st === 'adding') return undefined;
    const restarting = st === 'restarting' || g.busy === 'restarting';
    return h(
      'div',
      { className: 'vnc-offer-notice', role: 'status' },
      h(
        'span',
        {},
        restarting
          ? `Restarting ${g.name} so that its VNC display starts…`
          : `A VNC display was added to ${g.name}. It applies from the next start.`,
      ),
      restarting
        ? null
        : h('button', { type: 'button', className: 'primary', onclick: () => void this.restart(g) }, 'Restart now'),
    );
  }

  private async add(g: GuestInfo): Promise<void> {
    const key = guestKey(g);
    this.pending.set(key, 'adding');
    this.changed();
    try {
      const r = await this.bridge.invoke('guest.addVncDisplay', { host: g.host, uuid: g.uuid });
      if (r.appliesAtNextStart) this.pending.set(key, 'next-start');
      else this.pending.delete(key);
    } catch (e) {
      this.pending.delete(key);
      this.fail(e, `Couldn't add a VNC display to ${g.name}`);
    }
    this.changed();
  }

  private async restart(g: GuestInfo): Promise<void> {
    const key = guestKey(g);
    this.pending.set(key, 'restarting');
    this.changed();
    try {
      await this.bridge.invoke('guest.restart', { host: g.host, uuid: g.uuid });
      this.pending.delete(key);
    } catch (e) {
      this.pending.set(key, 'next-start');
      this.fail(e, `Couldn't restart ${g.name}`);
    }
    this.changed();
  }
}
