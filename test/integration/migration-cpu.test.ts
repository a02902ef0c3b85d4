/**
 * "A CPU the target cannot run", through the app's API between the rig's two hosts (the second
 * over qemu+ssh): the second host's QEMU lacks the guest's CPU model, as a target with an older
 * QEMU does (the rig's `cpuModelsMissing`), so its libvirt refuses the guest while preparing the
 * move. The app says so in words, and the guest keeps running on A with nothing left on B.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { App, AppSession } from '../../main/app/api.js';
import type { MigrationProgress } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../rig/guests.js';
import { LIVE_MOVE, startSecondHost, type SecondHost } from '../rig/second-host.js';
import { startCounter, ticks } from '../rig/serial-counter.js';
import { waitFor } from '../rig/wait.js';
import { twoHostApp } from '../rig/two-host-app.js';

/** A model QEMU's TCG runs on any host; newer QEMUs keep it, an older target may lack it. */
const MODEL = 'Westmere';

describe('app: a move to a host whose QEMU lacks the guest’s CPU model', () => {
  let rig: TestRig;
  let second: SecondHost;
  let app: App;
  let s: AppSession;
  let g: TestGuest;
  const progress: MigrationProgress[] = [];

  const guestOn = (host: string, uuid: string) => app.state().guests.find((x) => x.host === host && x.uuid === uuid);
  const counting = async (what: string): Promise<void> => {
    const last = ticks(rig.serial(g)).at(-1) ?? 0;
    await waitFor(what, () => ticks(rig.serial(g)).some((n) => n >= last + 3), 30_000);
  };

  before(async () => {
    rig = await TestRig.start();
    second = await startSecondHost({ cpuModelsMissing: [MODEL] });
    const onA = await rig.virsh('domcapabilities', '--virttype', 'qemu', '--arch', 'x86_64');
    assert.match(onA, new RegExp(`<model usable='yes'[^>]*>${MODEL}</model>`), `host A runs ${MODEL} under TCG`);
    g = await rig.define({ name: 'mig-cpu', cpuModel: MODEL });
    await rig.waitForBoot(g);
    await startCounter(SYSTEM_URI, g.name);
    ({ app, s } = await twoHostApp(second, rig.runDir, progress));
    await waitFor('the guest on A', () => guestOn(SYSTEM_URI, g.uuid)?.state === 'running', 30_000);
    await counting('the counter going, on A');
  });
  after(async () => {
    s?.close();
    await app?.close();
    await second?.stop();
    await rig?.cleanup();
  });

  it('is refused in words before anything moves; the guest keeps running on A, nothing is defined on B', async () => {
    const words = new RegExp(
      `^Can't move ${g.name}: ${second.sshUri.replace(/[.+]/g, '\\$&')} can't run its CPU: the QEMU there does not offer the CPU model ${MODEL} \\(.*CPU model ${MODEL} is not supported by hypervisor\\); give the guest a CPU model both hosts offer; it stays on ${SYSTEM_URI}$`,
    );
    // Twice: the refusal ends the job the source began, so trying again meets the same refusal,
    // not a guest still locked in a migration job.
    for (let attempt = 1; attempt <= 2; attempt++) {
      progress.length = 0;
      await assert.rejects(
        s.invoke('guest.migrate', { host: SYSTEM_URI, uuid: g.uuid, target: second.sshUri, ...LIVE_MOVE }),
        (e: unknown) => {
          assert.ok(e instanceof ApiError, String(e));
          assert.equal(e.code, 'unsupported', e.message);
          assert.match(e.message, words);
          return true;
        },
      );
      const last = progress.at(-1);
      assert.equal(last?.phase, 'failed', JSON.stringify(progress));
      assert.match(last?.error ?? '', words);
      assert.match(await rig.virsh('domjobinfo', g.uuid), /Job type:\s+None/, 'no job left on A');
    }

    assert.equal(await rig.domstate(g), 'running');
    assert.match(await rig.virsh('dumpxml', g.uuid), new RegExp(`<model fallback='forbid'>${MODEL}</model>`));
    await counting('the counter going on, on A');
    assert.equal(rig.serial(g).split(`virtswitch test guest: ${g.name}`).length, 2, 'never rebooted');
    assert.notEqual((await second.virshResult('domstate', g.uuid)).code, 0, 'not defined on B');
    assert.equal((await second.virsh('list', '--all', '--name')).trim(), '', 'nothing at all on B');
    await waitFor('the app to see it on A only', () => guestOn(SYSTEM_URI, g.uuid) && !guestOn(second.sshUri, g.uuid));
    assert.equal(guestOn(SYSTEM_URI, g.uuid)?.state, 'running');
  });
});
