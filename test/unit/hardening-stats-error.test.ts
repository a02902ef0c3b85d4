import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatsSampler } from '../../main/hosts/stats-sampler.js';
import { hostProblem } from '../../renderer/src/state/strip-layout.js';
import type { LibvirtClient } from '../../main/libvirt/index.js';
import type { HostInfo } from '../../common/contract.js';
import { waitFor } from '../rig/wait.js';

/** A client whose stats call fails while `fail.now` is set, and counts its calls. */
function fakeClient(): { client: LibvirtClient; fail: { now: boolean }; calls: { n: number } } {
  const fail = { now: false };
  const calls = { n: 0 };
  const client = {
    connected: true,
    call: (name: string) => {
      assert.equal(name, 'connectGetAllDomainStats');
      calls.n++;
      return fail.now ? Promise.reject(new Error('the daemon said no')) : Promise.resolve({ records: [] });
    },
  } as unknown as LibvirtClient;
  return { client, fail, calls };
}

describe("a failed round of the host's guest statistics", () => {
  it('is told as the host error state in words, once, and cleared by the next good round', async () => {
    const { client, fail, calls } = fakeClient();
    const told: (string | undefined)[] = [];
    const sampler = new StatsSampler(
      {
        uri: 'qemu:///system',
        client: () => client,
        guest: () => undefined,
        report: () => undefined,
        failed: (why) => told.push(why),
      },
      20,
    );
    fail.now = true;
    const stop = sampler.watch();
    try {
      await waitFor('three failed rounds', () => calls.n >= 3, 5000, 5);
      assert.equal(told.length, 1, 'a failure that repeats is told once');
      assert.match(told[0] ?? '', /Couldn't read the guests' statistics \(the daemon said no\)/);
      fail.now = false;
      await waitFor('the failure cleared', () => told.length === 2, 5000, 5);
      assert.equal(told[1], undefined);
      fail.now = true;
      await waitFor('a failure again', () => told.length === 3, 5000, 5);
    } finally {
      stop();
    }
    assert.equal(told.at(-1), undefined, 'when nobody watches any more, no failure is said');
  });

  it('is not blamed on the stats while the connection itself is lost (the host says reconnecting)', async () => {
    const { client, fail, calls } = fakeClient();
    const told: (string | undefined)[] = [];
    const c = client as { connected: boolean };
    const sampler = new StatsSampler(
      {
        uri: 'qemu:///system',
        client: () => client,
        guest: () => undefined,
        report: () => undefined,
        failed: (why) => told.push(why),
      },
      20,
    );
    fail.now = true;
    const stop = sampler.watch();
    c.connected = false; // after the first call went out: it fails as the link drops
    try {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(calls.n, 1);
      assert.deepEqual(told, []);
    } finally {
      stop();
    }
  });

  it("shows under the host's name while connected; a connection problem comes first", () => {
    const host: HostInfo = {
      uri: 'qemu:///system',
      status: 'connected',
      statsError: "Couldn't read the guests' statistics (x)",
    };
    assert.equal(hostProblem(host), "Couldn't read the guests' statistics (x)");
    assert.equal(
      hostProblem({ ...host, status: 'reconnecting', error: 'connection lost: gone' }),
      'connection lost: gone',
    );
    assert.equal(hostProblem({ uri: 'qemu:///system', status: 'connected' }), undefined);
  });
});
