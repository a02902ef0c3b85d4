/**
 * Key messages to a SPICE guest in small batches, each let go only once QEMU has handled the one
 * before. Why: QEMU hands every SPICE key straight to the guest's PS/2 keyboard, whose queue holds
 * 16 key events and silently drops the rest; the guest empties it when its vCPU runs. Spacing keys
 * out in time does not survive a busy host: when QEMU's main loop is starved, whatever was sent
 * meanwhile waits in its socket and is handed to the keyboard in one go (seen in QEMU's PS/2 trace),
 * so enough keys typed during one stall overflow the queue.
 *
 * SPICE has no acknowledgement for keys, but its inputs channel acknowledges mouse motion: the
 * server sends MOUSE_MOTION_ACK after every 4th motion or position message, in order with
 * everything else on the channel. So after a batch of keys the console sends as many "probe"
 * motion messages as complete the next group of 4; that group's ack means the batch reached the
 * keyboard, and only then does the next batch go. A probe is a message the server counts but does
 * not pass on: a position in server mouse mode, a zero relative motion in client mode (see
 * probeMessage). At most KEYS_PER_ACK key messages can then arrive at QEMU together, however
 * starved it is. Pure: the console feeds it the channel's counts.
 */

/** SPICE_INPUT_MOTION_ACK_BUNCH: the server acknowledges every this many motion messages. */
export const MOTION_ACK_BUNCH = 4;
/** Key messages sent per acknowledgement: a shifted keystroke (4 messages) goes in one batch. */
export const KEYS_PER_ACK = 4;
/** Past this, an acknowledgement that has not come is given up on (a server migrating sends none). */
export const ACK_WAIT_MS = 5000;

const MOUSE_MOTION = 111;
const MOUSE_POSITION = 112;
/** SPICE_MOUSE_MODE_CLIENT: the server takes absolute positions (a tablet) and ignores relative motion. */
const MOUSE_MODE_CLIENT = 2;

/** What the console knows of its inputs channel: motion messages sent and acks received so far. */
export interface MotionCounts {
  motionsSent: number;
  motionAcks: number;
}

export class SpiceKeyGate {
  /** The ack (by number since the channel opened) that says the last batch was handled; 0: none. */
  private awaiting = 0;
  private since = 0;

  /** How long until an awaited ack is given up on, or 0 when the next batch may go now. */
  wait(counts: MotionCounts, now: number): number {
    if (counts.motionAcks >= this.awaiting) return 0;
    const left = this.since + ACK_WAIT_MS - now;
    if (left > 0) return left;
    this.awaiting = 0;
    return 0;
  }

  /**
   * The next batch, taken from the front of `queue` when it may go: its key messages, and how
   * many probes must follow it. Undefined while the last batch's ack is awaited or nothing waits.
   */
  take<T>(queue: T[], counts: MotionCounts, now: number): { keys: T[]; probes: number } | undefined {
    if (queue.length === 0 || this.wait(counts, now) > 0) return undefined;
    const keys = queue.splice(0, KEYS_PER_ACK);
    // Always at least one probe: an ack already due would say nothing about these keys.
    const probes = MOTION_ACK_BUNCH - (counts.motionsSent % MOTION_ACK_BUNCH);
    this.awaiting = (counts.motionsSent + probes) / MOTION_ACK_BUNCH;
    this.since = now;
    return { keys, probes };
  }
}

/**
 * One probe: counted by the server towards its next ack, passed on to no device. In server mouse
 * mode a position message is ignored (only client mode takes positions); in client mode a relative
 * motion is. Body as the protocol has it: mini header (type, size), then the message.
 */
export function probeMessage(mouseMode: number | undefined, buttons: number): ArrayBuffer {
  const client = mouseMode === MOUSE_MODE_CLIENT;
  const body = client ? 10 : 11;
  const b = new ArrayBuffer(6 + body);
  const dv = new DataView(b);
  dv.setUint16(0, client ? MOUSE_MOTION : MOUSE_POSITION, true);
  dv.setUint32(2, body, true);
  // dx, dy (or x, y) are 0; then the buttons held, unchanged; a position also names display 0.
  dv.setUint16(14, buttons, true);
  return b;
}

/** Whether a client message type is one the server counts towards its motion acks. */
export function isMotion(type: number): boolean {
  return type === MOUSE_MOTION || type === MOUSE_POSITION;
}
