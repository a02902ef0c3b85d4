/**
 * The SPICE key gate: a batch of key messages goes only once the motion ack that follows the last
 * batch has come, with as many probes as complete the server's next group of 4 motions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACK_WAIT_MS,
  KEYS_PER_ACK,
  MOTION_ACK_BUNCH,
  probeMessage,
  SpiceKeyGate,
} from '../../renderer/src/consoles/spice-key-gate.js';

describe('SpiceKeyGate', () => {
  it('lets one batch go, then the next only once its ack has come', () => {
    const gate = new SpiceKeyGate();
    const queue = Array.from({ length: 10 }, (_, i) => i);
    const counts = { motionsSent: 0, motionAcks: 0 };
    const first = gate.take(queue, counts, 0);
    assert.deepEqual(first, { keys: [0, 1, 2, 3], probes: MOTION_ACK_BUNCH });
    counts.motionsSent += first!.probes;
    assert.equal(gate.take(queue, counts, 10), undefined, 'no ack yet');
    assert.ok(gate.wait(counts, 10) > 0);
    counts.motionAcks = 1;
    assert.equal(gate.wait(counts, 20), 0);
    assert.deepEqual(gate.take(queue, counts, 20)?.keys, [4, 5, 6, 7]);
    assert.equal(queue.length, 10 - 2 * KEYS_PER_ACK);
  });

  it("completes the server's group of 4 when the page's own motions left it part-way", () => {
    const gate = new SpiceKeyGate();
    // The page sent 6 motions (one ack came for the first 4): 2 probes make it 8, and the 2nd ack answers.
    const counts = { motionsSent: 6, motionAcks: 1 };
    const b = gate.take(['k'], counts, 0);
    assert.equal(b?.probes, 2);
    counts.motionsSent += 2;
    gate.take([], counts, 1);
    assert.ok(gate.wait(counts, 1) > 0, 'the ack for motions 1-4 says nothing of these keys');
    // More page motions between do not matter: the 2nd ack still follows the probes.
    counts.motionsSent += 3;
    counts.motionAcks = 2;
    assert.equal(gate.wait(counts, 2), 0);
  });

  it('sends a full group of probes when the motions sent are a multiple of 4 (the due ack is old news)', () => {
    const gate = new SpiceKeyGate();
    assert.equal(gate.take(['k'], { motionsSent: 8, motionAcks: 2 }, 0)?.probes, 4);
    assert.ok(gate.wait({ motionsSent: 12, motionAcks: 2 }, 1) > 0);
  });

  it('gives up on an ack that never comes after ACK_WAIT_MS', () => {
    const gate = new SpiceKeyGate();
    const queue = ['a', 'b', 'c', 'd', 'e'];
    gate.take(queue, { motionsSent: 0, motionAcks: 0 }, 1000);
    const counts = { motionsSent: 4, motionAcks: 0 };
    assert.equal(gate.wait(counts, 1000 + ACK_WAIT_MS - 1), 1);
    assert.deepEqual(gate.take(queue, counts, 1000 + ACK_WAIT_MS)?.keys, ['e']);
  });

  it('has nothing to send from an empty queue', () => {
    assert.equal(new SpiceKeyGate().take([], { motionsSent: 0, motionAcks: 0 }, 0), undefined);
  });
});

describe('probeMessage', () => {
  it('is a position in server mouse mode and a zero relative motion in client mode, buttons kept', () => {
    const server = new DataView(probeMessage(1, 1));
    assert.equal(server.getUint16(0, true), 112, 'MOUSE_POSITION');
    assert.equal(server.getUint32(2, true), 11);
    assert.equal(server.byteLength, 17);
    assert.equal(server.getUint16(14, true), 1);
    const client = new DataView(probeMessage(2, 0));
    assert.equal(client.getUint16(0, true), 111, 'MOUSE_MOTION');
    assert.equal(client.getUint32(2, true), 10);
    assert.equal(client.byteLength, 16);
    assert.equal(client.getInt32(6, true), 0);
    assert.equal(client.getInt32(10, true), 0);
  });
});
