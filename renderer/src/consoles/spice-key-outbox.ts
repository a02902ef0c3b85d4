/**
 * A SPICE console's key messages on their way to the guest: queued, and sent through the key gate
 * (spice-key-gate.ts) a few at a time, each batch followed by the probes whose ack says QEMU
 * handled it; the next batch goes on that ack. Keys typed before the inputs channel links (a
 * little after the screen's first frame; seconds on a busy host) wait for it here too.
 */
import type { SpiceMainConn } from '@spice-project/spice-html5/src/main.js';
import { probeMessage, SpiceKeyGate } from './spice-key-gate.js';

const KEY_DOWN = 101;
const KEY_UP = 102;
/** At most this many key messages wait to go (a long text typed into a slow guest fits). */
const MAX_QUEUED_KEYS = 16384;
/** How often a queue waiting for the inputs channel to link looks again. */
const LINK_POLL_MS = 50;

type Session = SpiceMainConn & { buttons_state?: number };
/** The inputs channel as spice-patches.ts leaves it: it counts motions and their acks. */
type Inputs = NonNullable<SpiceMainConn['inputs']> & {
  motionsSent?: number;
  motionAcks?: number;
  waiting_for_ack?: number;
};
type RawMessage = { type: number; buffer_size(): number; to_buffer(a: ArrayBuffer): void };

/** A whole inputs-channel message (mini header and body) as spice-html5's send_msg takes one. */
function rawMessage(bytes: ArrayBuffer): RawMessage {
  return {
    type: new DataView(bytes).getUint16(0, true),
    buffer_size: () => bytes.byteLength,
    to_buffer: (a) => new Uint8Array(a).set(new Uint8Array(bytes)),
  };
}

/** One SPICE inputs-channel key message: mini header (type, size) and the 32-bit scancode value. */
function keyMessage(down: boolean, value: number): RawMessage {
  const b = new ArrayBuffer(10);
  const dv = new DataView(b);
  dv.setUint16(0, down ? KEY_DOWN : KEY_UP, true);
  dv.setUint32(2, 4, true);
  dv.setUint32(6, value, true);
  return rawMessage(b);
}

export class SpiceKeyOutbox {
  private readonly queue: { down: boolean; value: number }[] = [];
  private gate = new SpiceKeyGate();
  private timer: number | undefined;

  constructor(private readonly session: () => Session | undefined) {}

  /** Queues a key message (KEY_DOWN or KEY_UP with its SPICE value); flush() sends it in turn. */
  push(down: boolean, value: number): void {
    if (this.queue.length < MAX_QUEUED_KEYS) this.queue.push({ down, value });
  }

  /** Sends what the gate lets go now; called on every key and on every motion ack. */
  flush(): void {
    const session = this.session();
    const inputs = session?.inputs as Inputs | undefined;
    let wait = LINK_POLL_MS;
    if (inputs?.state === 'ready') {
      const counts = { motionsSent: inputs.motionsSent ?? 0, motionAcks: inputs.motionAcks ?? 0 };
      const batch = this.gate.take(this.queue, counts, performance.now());
      if (batch) {
        for (const m of batch.keys) inputs.send_msg(keyMessage(m.down, m.value));
        const probe = probeMessage(inputs.mouse_mode, session?.buttons_state ?? 0);
        for (let i = 0; i < batch.probes; i++) inputs.send_msg(rawMessage(probe));
        // spice-html5 counts motions awaiting an ack to hold back its own; the probes are some.
        inputs.waiting_for_ack = (inputs.waiting_for_ack ?? 0) + batch.probes;
      }
      // The ack calls flush() again; this timer only gives up on one that never comes.
      wait = this.gate.wait(counts, performance.now()) + 1;
    }
    window.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length > 0 && session)
      this.timer = window.setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, wait);
  }

  /** Forgets what waits (the session ended); a new session starts with a new gate. */
  clear(): void {
    this.queue.length = 0;
    this.gate = new SpiceKeyGate();
    window.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
