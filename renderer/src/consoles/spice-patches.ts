/**
 * Two changes to spice-html5's display channel, for a page that holds several SPICE sessions and
 * routes the keyboard itself:
 *  - it finds a session's screen canvas by a document-wide id that every session shares
 *    ("spice_surface_0"), so closing one session's surface removed another's; here each
 *    session removes its own canvas;
 *  - it hooks its keyboard handlers (legacy keyCodes, modifier state shared by every session) and
 *    focus-follows-mouse onto the canvas; here the session is told about its canvas instead and
 *    the console hooks what it wants (see SpiceConsole).
 * And one to every channel: its RSA-encrypted ticket drops the ciphertext's leading zero bytes
 * and pads at the end instead, so about one link in 256 sends a ticket QEMU cannot decrypt
 * ("failed to decrypt RSA encrypted password") and the channel is refused; here the ticket is
 * padded at the front, as a big-endian number must be.
 * And one to the inputs channel: it counts the motion messages it sends and the acks the server
 * sends back for them, and tells the session of each ack (onmotionack), for the key gate
 * (spice-key-gate.ts).
 */
import { SpiceDisplayConn } from '@spice-project/spice-html5/src/display.js';
import { SpiceInputsConn } from '@spice-project/spice-html5/src/inputs.js';
import { SpiceConn } from '@spice-project/spice-html5/src/spiceconn.js';
import { isMotion } from './spice-key-gate.js';

const MOTION_ACK = 111;

/** The RSA modulus SPICE uses for tickets: 1024 bits. */
const TICKET_BYTES = 128;

interface Surface {
  canvas: HTMLCanvasElement;
  surface_id: number;
}

interface DisplayConn {
  parent: { onprimary?: (canvas: HTMLCanvasElement | undefined) => void };
  primary_surface?: number;
  surfaces?: Surface[];
  unhook_events(): void;
}

let applied = false;

export function patchSpiceDisplay(): void {
  if (applied) return;
  applied = true;
  const sendTicket = SpiceConn.prototype['send_ticket'] as (this: unknown, ticket: number[] | null) => void;
  SpiceConn.prototype['send_ticket'] = function (this: unknown, ticket: number[] | null): void {
    const padded =
      ticket && ticket.length < TICKET_BYTES
        ? [...new Array<number>(TICKET_BYTES - ticket.length).fill(0), ...ticket]
        : ticket;
    sendTicket.call(this, padded);
  };
  patchSpiceInputs();
  const proto = SpiceDisplayConn.prototype;
  proto['hook_events'] = function (this: DisplayConn): void {
    const s = this.primary_surface !== undefined ? this.surfaces?.[this.primary_surface] : undefined;
    if (!s) return;
    (s.canvas as HTMLCanvasElement & { sc?: unknown }).sc = this.parent;
    this.parent.onprimary?.(s.canvas);
  };
  proto['unhook_events'] = function (this: DisplayConn): void {
    if (this.primary_surface !== undefined) this.parent.onprimary?.(undefined);
  };
  proto['delete_surface'] = function (this: DisplayConn, surfaceId: number): void {
    const s = this.surfaces?.[surfaceId];
    if (this.primary_surface === surfaceId) {
      this.unhook_events();
      this.primary_surface = undefined;
      s?.canvas.remove();
    }
    if (this.surfaces) delete this.surfaces[surfaceId];
  };
}

interface InputsConn {
  parent?: { onmotionack?: () => void };
  motionsSent?: number;
  motionAcks?: number;
}

function patchSpiceInputs(): void {
  const proto = SpiceInputsConn.prototype;
  const send = proto['send_msg'] as (this: InputsConn, msg: { type?: number }) => void;
  proto['send_msg'] = function (this: InputsConn, msg: { type?: number }): void {
    send.call(this, msg);
    if (msg.type !== undefined && isMotion(msg.type)) this.motionsSent = (this.motionsSent ?? 0) + 1;
  };
  const handle = proto['process_channel_message'] as (this: InputsConn, msg: { type: number }) => boolean;
  proto['process_channel_message'] = function (this: InputsConn, msg: { type: number }): boolean {
    const handled = handle.call(this, msg);
    if (msg.type === MOTION_ACK) {
      this.motionAcks = (this.motionAcks ?? 0) + 1;
      this.parent?.onmotionack?.();
    }
    return handled;
  };
}
