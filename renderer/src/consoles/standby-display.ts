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

/**
 * QEMU's extended key event (message 255, subtype 0) for the key-up of no key: QEMU drops a key-up
 * of a key that is not down, so the guest sees nothing. Why send it: QEMU 7.2's display checks for
 * changes less often each time it finds none (50 ms more each round, up to 3 s), and a display
 * waiting for its guest to arrive finds none for seconds, so its first picture after the switch-over
 * could wait that long. Any client message above type 3 sets that check back to every 30 ms.
 */
const WAKE_UP = new Uint8Array([255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const WAKE_UP_EVERY_MS = 150;

export class StandbyDisplay {
  readonly wrap: HTMLDivElement;
  readonly channel: ThrottledChannel;
  readonly rfb: RFB;
  connected = false;
  /** performance.now() when its display answered. */
  connectedAt: number | undefined;
  private wakeUps: ReturnType<typeof setInterval> | undefined;

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
      // Only after the handshake: before it, these bytes would be read as the client's answers.
      this.wakeUps = setInterval(() => this.wakeUp(), WAKE_UP_EVERY_MS);
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
    // The guest runs here now: one last wake-up so its first picture comes at once.
    if (this.connected) this.wakeUp();
    this.stopWakeUps();
  }

  private wakeUp(): void {
    if (this.channel.readyState === WebSocket.OPEN) this.channel.send(WAKE_UP);
  }

  private stopWakeUps(): void {
    clearInterval(this.wakeUps);
    this.wakeUps = undefined;
  }

  dispose(): void {
    this.stopWakeUps();
    try {
      this.rfb.disconnect();
    } catch {
      // Already disconnected.
    }
    this.wrap.remove();
  }
}
