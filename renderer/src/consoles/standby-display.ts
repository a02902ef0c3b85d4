/**
 * The display of a moving guest on its target host, opened while the move still runs: libvirt
 * starts the target's QEMU (paused, its display listening) when the move is prepared, so the
 * connection, its handshake and the first picture are done before the switch-over. The console
 * adopts it when the guest runs there, instead of connecting only then. Hidden and view-only until
 * adopted.
 */
import RFB from '@novnc/novnc';
import type { Bridge, GuestRef } from '../../../common/contract.js';
import { ThrottledChannel } from './throttled-channel.js';

export class StandbyDisplay {
  readonly wrap: HTMLDivElement;
  readonly channel: ThrottledChannel;
  readonly rfb: RFB;
  connected = false;
  /** performance.now() when its display answered. */
  connectedAt: number | undefined;

  constructor(
    readonly ref: GuestRef,
    parent: HTMLElement,
    bridge: Bridge,
    onEnd: (s: StandbyDisplay) => void,
  ) {
    this.wrap = document.createElement('div');
    this.wrap.className = 'console-standby';
    // Laid out (so noVNC knows its size) but not seen, under the screen it will replace.
    this.wrap.style.cssText = 'position:absolute;inset:0;visibility:hidden;pointer-events:none';
    parent.append(this.wrap);
    this.channel = new ThrottledChannel(bridge.openConsole(ref, 'vnc'));
    this.rfb = new RFB(this.wrap, this.channel, { shared: true });
    this.rfb.viewOnly = true;
    this.rfb.background = 'transparent';
    this.rfb.addEventListener('connect', () => {
      this.connected = true;
      this.connectedAt = performance.now();
    });
    this.rfb.addEventListener('disconnect', () => onEnd(this));
    this.rfb.addEventListener('credentialsrequired', () => {
      bridge.invoke('guest.vncPassword', ref).then(
        ({ password }) => (password === null ? this.rfb.disconnect() : this.rfb.sendCredentials({ password })),
        () => this.rfb.disconnect(),
      );
    });
  }

  get canvas(): HTMLCanvasElement | null {
    return this.wrap.querySelector('canvas');
  }

  /** It becomes the console's screen: seen, and its element takes the place of the old one. */
  reveal(): void {
    this.wrap.style.visibility = '';
    this.wrap.style.pointerEvents = '';
  }

  dispose(): void {
    try {
      this.rfb.disconnect();
    } catch {
      // Already disconnected.
    }
    this.wrap.remove();
  }
}
