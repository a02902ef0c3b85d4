import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readCounters, statsBetween, type Counters } from '../../main/hosts/stats-rates.js';

const at0: Counters = { at: 10_000, cpu: 0n, rd: 0, wr: 0, rx: 0, tx: 0 };

describe('stats rates', () => {
  it('adds up every disk and every interface, and takes the CPU time as it is', () => {
    const c = readCounters(
      {
        'cpu.time': 5_000_000_000n,
        'block.0.rd.bytes': 100n,
        'block.1.rd.bytes': 50,
        'block.0.wr.bytes': 7n,
        'net.0.rx.bytes': 1000n,
        'net.1.rx.bytes': 24,
        'net.0.tx.bytes': 3n,
        'block.0.rd.reqs': 999n,
        'block.count': 2,
        'state.state': 1,
      },
      42,
    );
    assert.deepEqual(c, { at: 42, cpu: 5_000_000_000n, rd: 150, wr: 7, rx: 1024, tx: 3 });
  });

  it('counts a sample without CPU time or devices as zeros', () => {
    assert.deepEqual(readCounters({ 'cpu.time': 12 }, 1), { at: 1, cpu: 0n, rd: 0, wr: 0, rx: 0, tx: 0 });
  });

  it('turns two samples into per-second rates and a CPU share of all vCPUs', () => {
    const cur: Counters = { at: 12_000, cpu: 2_000_000_000n, rd: 4000, wr: 2000, rx: 600, tx: 200 };
    const s = statsBetween(at0, cur, { 'vcpu.current': 2, 'balloon.current': 1_048_576n }, {});
    // 2 s of CPU time over 2 s on 2 vCPUs: half the allotment.
    assert.equal(s.cpuPercent, 50);
    assert.deepEqual([s.at, s.diskReadBps, s.diskWriteBps, s.netRxBps, s.netTxBps], [12_000, 2000, 1000, 300, 100]);
    assert.equal(s.memoryKiB, 1_048_576);
    assert.equal(s.memoryUsedKiB, 1_048_576);
  });

  it('caps the CPU share at 100 % and never reports a negative rate', () => {
    const cur: Counters = { at: 11_000, cpu: 9_000_000_000n, rd: 0, wr: 0, rx: 0, tx: 0 };
    const prev: Counters = { ...at0, rd: 500, wr: 1, rx: 2, tx: 3 };
    const s = statsBetween(prev, cur, { 'vcpu.current': 1 }, {});
    assert.equal(s.cpuPercent, 100);
    assert.deepEqual([s.diskReadBps, s.diskWriteBps, s.netRxBps, s.netTxBps], [0, 0, 0, 0]);
    const backwards = statsBetween({ ...at0, cpu: 5n }, { ...cur, cpu: 1n }, {}, {});
    assert.equal(backwards.cpuPercent, 0);
  });

  it('takes the vCPUs and memory the model knows when the sample lacks them', () => {
    const cur: Counters = { at: 11_000, cpu: 1_000_000_000n, rd: 0, wr: 0, rx: 0, tx: 0 };
    const s = statsBetween(at0, cur, {}, { vcpus: 4, memoryKiB: 2048 });
    assert.equal(s.cpuPercent, 25);
    assert.equal(s.memoryKiB, 2048);
    assert.equal(s.memoryUsedKiB, 2048);
    const none = statsBetween(at0, cur, {}, {});
    assert.equal(none.cpuPercent, 100);
    assert.deepEqual([none.memoryKiB, none.memoryUsedKiB], [0, 0]);
  });

  it("prefers the guest's own view of used memory, then the host's resident size", () => {
    const cur: Counters = { ...at0, at: 11_000 };
    const guestView = statsBetween(
      at0,
      cur,
      { 'balloon.current': 4096, 'balloon.available': 4000, 'balloon.unused': 2500, 'balloon.rss': 3900 },
      {},
    );
    assert.equal(guestView.memoryUsedKiB, 1500);
    const rss = statsBetween(at0, cur, { 'balloon.current': 4096, 'balloon.rss': 3900 }, {});
    assert.equal(rss.memoryUsedKiB, 3900);
    // Never more than the guest has.
    const over = statsBetween(at0, cur, { 'balloon.current': 4096, 'balloon.rss': 5000 }, {});
    assert.equal(over.memoryUsedKiB, 4096);
  });

  it('treats two samples taken in the same millisecond as 1 ms apart', () => {
    const s = statsBetween(at0, { ...at0, rd: 3 }, {}, {});
    assert.equal(s.diskReadBps, 3000);
  });
});
