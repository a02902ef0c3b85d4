/**
 * The rig's hosts for scale: libvirt test-driver hosts opened by our wire client through the
 * system daemon's socket, and the app holding all ten of them plus qemu:///system.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../main/app/api.js';
import { LibvirtClient, LifecycleEvent } from '../../main/libvirt/index.js';
import { SYSTEM_URI } from '../rig/guests.js';
import { ensureLibvirtd } from '../rig/libvirtd.js';
import {
  changeSharedTestGuest,
  cleanupSharedTestGuests,
  defineSharedTestGuest,
  SHARED_TEST_URI,
  writeScaleHosts,
  type ScaleHosts,
} from '../rig/scale-hosts.js';
import { EventLog, waitFor } from './libvirt-helpers.js';

describe('test-driver hosts for scale', () => {
  let dir: string;
  let hosts: ScaleHosts;

  before(async () => {
    await ensureLibvirtd();
    dir = mkdtempSync(join(tmpdir(), 'vs-scale-'));
    hosts = writeScaleHosts(join(dir, 'hosts'));
  });

  after(async () => {
    await cleanupSharedTestGuests();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes ten hosts of fifty guests, with unique names and UUIDs', () => {
    assert.equal(hosts.uris.length, 10);
    assert.equal(hosts.guests.length, 500);
    assert.equal(new Set(hosts.guests.map((g) => g.uuid)).size, 500);
    assert.equal(new Set(hosts.guests.map((g) => g.name)).size, 500);
    for (const s of ['running', 'paused', 'shutoff'])
      assert.ok(
        hosts.guests.some((g) => g.state === s),
        `some guest is ${s}`,
      );
  });

  it('opens a test+unix host with the wire client and lists its guests in their states', async () => {
    const c = await LibvirtClient.connect(hosts.uris[3]!);
    try {
      const doms = await c.listAllDomains();
      const mine = hosts.guests.filter((g) => g.host === hosts.uris[3]);
      assert.deepEqual(doms.map((d) => d.name).sort(), mine.map((g) => g.name).sort());
      const paused = mine.find((g) => g.state === 'paused')!;
      const off = mine.find((g) => g.state === 'shutoff')!;
      assert.equal((await c.getState(await c.lookupByUuid(paused.uuid))).state, 3);
      assert.equal((await c.getState(await c.lookupByUuid(off.uuid))).state, 5);
    } finally {
      await c.close();
    }
  });

  it('delivers a state change made with virsh on the shared test host as an event', async () => {
    const c = await LibvirtClient.connect(SHARED_TEST_URI);
    try {
      const log = await EventLog.attach(c);
      const g = await defineSharedTestGuest('scale-events', join(dir, 'shared'));
      await changeSharedTestGuest(g.name, 'suspend');
      await log.next(g.uuid, LifecycleEvent.SUSPENDED);
      await changeSharedTestGuest(g.name, 'resume');
      await log.next(g.uuid, LifecycleEvent.RESUMED);
    } finally {
      await c.close();
    }
  });

  it('the app connects to all ten and qemu:///system, and lists every guest', async () => {
    const config = join(dir, 'config');
    const app = new App({ configDir: config, uris: [...hosts.uris, SYSTEM_URI] });
    app.start();
    try {
      await waitFor(
        'every host connected',
        () => app.state().hosts.length === 11 && app.state().hosts.every((h) => h.status === 'connected'),
        60_000,
      );
      const listed = new Map(app.state().guests.map((g) => [g.uuid, g]));
      for (const g of hosts.guests) {
        assert.equal(listed.get(g.uuid)?.state, g.state, `${g.name} is listed ${g.state}`);
        assert.equal(listed.get(g.uuid)?.hasVnc, false, `${g.name} has no display`);
      }
    } finally {
      await app.close();
    }
  });
});
