/**
 * Hosts part of `npm run bench`: lifecycle event → model updated, p50/p95, and the time to a ready model
 * with 100 defined guests from a cold connect. Real libvirtd, real guests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../main/app/api.js';
import { LibvirtClient } from '../main/libvirt/index.js';
import type { GuestInfo } from '../common/contract.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../test/rig/guests.js';
import { percentile, report } from './report.js';

/** Per suspend/resume: event → model after the call returned (0 when the model was first), and call sent → model. */
async function eventToModel(rig: TestRig, dir: string): Promise<{ afterReturn: number[]; fromSend: number[] }> {
  const g = await rig.define({ name: 'bench-ev' });
  await rig.waitForBoot(g);
  const app = new App({ configDir: dir, uris: [SYSTEM_URI] });
  app.start();
  await new Promise<void>((resolve) => app.hosts.once('ready', () => resolve()));
  const client = await LibvirtClient.connect(SYSTEM_URI);
  const dom = await client.lookupByUuid(g.uuid);
  const afterReturn: number[] = [];
  const fromSend: number[] = [];
  try {
    for (let i = 0; i < 60; i++) {
      const want = i % 2 === 0 ? 'paused' : 'running';
      let returned = 0;
      const updated = new Promise<number>((resolve) => {
        const on = (x: GuestInfo): void => {
          if (x.uuid === g.uuid && x.state === want) {
            app.hosts.off('guest', on);
            resolve(performance.now());
          }
        };
        app.hosts.on('guest', on);
      });
      const sent = performance.now();
      await (want === 'paused' ? client.call('domainSuspend', { dom }) : client.call('domainResume', { dom }));
      returned = performance.now();
      const at = await updated;
      if (i < 4) continue; // warm-up
      // The model often updates before the caller has read its own reply: that is zero latency.
      afterReturn.push(Math.max(0, at - returned));
      fromSend.push(at - sent);
    }
  } finally {
    await client.close();
    await app.close();
    await rig.remove(g);
  }
  return { afterReturn, fromSend };
}

async function ready100(rig: TestRig, dir: string): Promise<number[]> {
  const many: TestGuest[] = [];
  for (let i = 0; i < 100; i++)
    many.push(await rig.define({ name: `bench-100-${String(i).padStart(3, '0')}`, start: false }));
  const times: number[] = [];
  try {
    for (let run = 0; run < 7; run++) {
      const app = new App({ configDir: dir, uris: [SYSTEM_URI] });
      const t0 = performance.now();
      app.start();
      await new Promise<void>((resolve) => app.hosts.once('ready', () => resolve()));
      const t1 = performance.now();
      const names = new Set(app.hosts.guests().map((x) => x.name));
      if (!many.every((g) => names.has(g.name))) throw new Error('the model is missing guests');
      await app.close();
      if (run > 0) times.push(t1 - t0); // the first run warms the daemon and the JIT
    }
  } finally {
    for (const g of many) await rig.remove(g);
  }
  return times;
}

export async function run(): Promise<void> {
  const rig = await TestRig.start();
  const dir = mkdtempSync(join(tmpdir(), 'vs-bench-hosts-'));
  try {
    const ev = await eventToModel(rig, dir);
    report('event_to_model_p50_ms', percentile(ev.afterReturn, 50), 'ms');
    report('event_to_model_p95_ms', percentile(ev.afterReturn, 95), 'ms');
    report('api_call_to_model_p50_ms', percentile(ev.fromSend, 50), 'ms');
    report('api_call_to_model_p95_ms', percentile(ev.fromSend, 95), 'ms');
    const ready = await ready100(rig, dir);
    report('ready_100_guests_ms', percentile(ready, 50), 'ms');
  } finally {
    await rig.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
