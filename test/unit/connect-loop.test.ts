import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API_RECONNECT, CONSOLE_RECONNECT, HOST_RECONNECT, backoffDelay } from '../../common/backoff.js';
import { ConnectLoop, type ConnectSteps } from '../../main/hosts/connect-loop.js';

describe('backoff', () => {
  it('doubles from the first wait up to the longest, however long the failures go on', () => {
    const waits = (b: typeof HOST_RECONNECT, n: number): number[] =>
      Array.from({ length: n }, (_, i) => backoffDelay(b, i));
    assert.deepEqual(waits(HOST_RECONNECT, 7), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    assert.deepEqual(waits(API_RECONNECT, 7), [250, 500, 1000, 2000, 4000, 5000, 5000]);
    assert.deepEqual(waits(CONSOLE_RECONNECT, 7), [250, 500, 1000, 2000, 4000, 8000, 10_000]);
    assert.equal(backoffDelay(HOST_RECONNECT, 5000), 30_000);
  });
});

/** A loop whose attempts fail until `okAfter` of them have, recording what it was told. */
function loop(okAfter: number, permanent = false): { loop: ConnectLoop; log: string[]; attempts: () => number } {
  const log: string[] = [];
  let attempts = 0;
  const steps: ConnectSteps = {
    attempt: async () => {
      attempts++;
      if (attempts <= okAfter) throw new Error(`fail ${attempts}`);
    },
    isPermanent: () => permanent,
    connected: () => log.push('connected'),
    failed: (e, retryAt) => log.push(`${(e as Error).message} ${retryAt === undefined ? 'final' : 'retry'}`),
  };
  return { loop: new ConnectLoop(steps, { initialMs: 5, maxMs: 20 }), log, attempts: () => attempts };
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('connect loop', () => {
  it('tries again after each failure until it connects', async () => {
    const l = loop(3);
    await l.loop.run();
    assert.deepEqual(l.log, ['fail 1 retry', 'fail 2 retry', 'fail 3 retry', 'connected']);
  });

  it('stops at a failure that trying again cannot fix', async () => {
    const l = loop(5, true);
    await l.loop.run();
    assert.deepEqual(l.log, ['fail 1 final']);
    assert.equal(l.attempts(), 1);
  });

  it('runs once at a time; retry() cuts the wait short; close() ends it', async () => {
    const steps: ConnectSteps = {
      attempt: () => Promise.reject(new Error('down')),
      isPermanent: () => false,
      connected: () => assert.fail('never connects'),
      failed: (_e, retryAt) => waits.push(retryAt! - Date.now()),
    };
    const waits: number[] = [];
    const l = new ConnectLoop(steps, { initialMs: 60_000, maxMs: 60_000 });
    const first = l.run();
    void l.run(); // already running: no second loop
    await settle(20);
    assert.equal(waits.length, 1);
    assert.ok(waits[0]! > 59_000);
    l.retry();
    await settle(20);
    assert.equal(waits.length, 2);
    l.close();
    await first;
    l.retry();
    await settle(20);
    assert.equal(waits.length, 2);
  });

  it('starts over on retry() after a permanent failure ended it', async () => {
    const l = loop(1, true);
    await l.loop.run();
    l.loop.retry();
    await settle(20);
    assert.deepEqual(l.log, ['fail 1 final', 'connected']);
  });
});
