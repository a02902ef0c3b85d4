/**
 * Moves through the app's API between the rig's two hosts (the second over qemu+ssh) beyond the
 * plain live move: "copy storage" for a qcow2 disk in a directory pool both hosts have, the switch
 * to post-copy for a move slowed below the guest's dirtying rate, and the refusals a person can read
 * (a CPU model the target's QEMU lacks, a disk missing on the target, a UUID already defined
 * there, not enough memory there), each with the guest left where it was. The second host's QEMU
 * lacks one CPU model, as a target with an older QEMU does (the rig's `cpuModelsMissing`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App, AppSession } from '../../main/app/api.js';
import type { MigrationProgress } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { run } from '../rig/exec.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../rig/guests.js';
import { mirroredPool, type MirroredPool } from '../rig/mirrored-pool.js';
import { LIVE_MOVE, startSecondHost, type SecondHost } from '../rig/second-host.js';
import { startCounter, ticks } from '../rig/serial-counter.js';
import { waitFor } from '../rig/wait.js';
import { twoHostApp } from '../rig/two-host-app.js';

/** A model QEMU's TCG runs on any host; newer QEMUs keep it, an older target may lack it. */
const MODEL = 'Westmere';

describe('app: moves with copied storage, post-copy, and refusals', () => {
  let rig: TestRig;
  let second: SecondHost;
  let pool: MirroredPool;
  let app: App;
  let s: AppSession;
  const progress: MigrationProgress[] = [];

  const guestOn = (host: string, uuid: string) => app.state().guests.find((x) => x.host === host && x.uuid === uuid);
  const rejectsWith = async (p: Promise<unknown>, code: string, words: RegExp): Promise<void> => {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, words);
      return true;
    });
  };
  const counting = async (g: TestGuest, what: string): Promise<void> => {
    const last = ticks(rig.serial(g)).at(-1) ?? 0;
    await waitFor(what, () => ticks(rig.serial(g)).some((n) => n >= last + 3), 30_000);
  };
  const runningCountingGuest = async (name: string, diskPath?: string, cpuModel?: string): Promise<TestGuest> => {
    const g = await rig.define({ name, diskPath, cpuModel });
    await rig.waitForBoot(g);
    await startCounter(SYSTEM_URI, g.name);
    await waitFor(`${g.name} in the app`, () => guestOn(SYSTEM_URI, g.uuid)?.state === 'running', 30_000);
    await counting(g, `${g.name} counting`);
    return g;
  };
  const notOnB = async (g: TestGuest): Promise<void> => {
    assert.notEqual((await second.virshResult('domstate', g.uuid)).code, 0, `${g.name} is not defined on B`);
  };
  const onBOnly = async (g: TestGuest): Promise<void> => {
    assert.equal((await second.virsh('domstate', g.uuid)).trim(), 'running');
    assert.notEqual((await rig.virshResult('domstate', g.uuid)).code, 0, 'gone from A');
    await waitFor('the app to see it on B only', () => guestOn(second.sshUri, g.uuid) && !guestOn(SYSTEM_URI, g.uuid));
    await counting(g, 'the counter going on, on B');
    assert.equal(rig.serial(g).split(`virtswitch test guest: ${g.name}`).length, 2, 'never rebooted');
  };

  before(async () => {
    rig = await TestRig.start();
    second = await startSecondHost({ postCopy: true, cpuModelsMissing: [MODEL] });
    pool = await mirroredPool(rig.prefix, rig, second);
    ({ app, s } = await twoHostApp(second, rig.runDir, progress));
  });
  after(async () => {
    s?.close();
    await app?.close();
    await second?.stop();
    await pool?.remove();
    await rig?.cleanup();
  });

  it('a CPU model B’s QEMU lacks is refused in words before anything moves; the guest keeps running on A', async () => {
    const onA = await rig.virsh('domcapabilities', '--virttype', 'qemu', '--arch', 'x86_64');
    assert.match(onA, new RegExp(`<model usable='yes'[^>]*>${MODEL}</model>`), `host A runs ${MODEL} under TCG`);
    const g = await runningCountingGuest('mig-cpu', undefined, MODEL);
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
    await counting(g, 'the counter going on, on A');
    assert.equal(rig.serial(g).split(`virtswitch test guest: ${g.name}`).length, 2, 'never rebooted');
    await notOnB(g);
    await waitFor('the app to see it on A only', () => guestOn(SYSTEM_URI, g.uuid) && !guestOn(second.sshUri, g.uuid));
    assert.equal(guestOn(SYSTEM_URI, g.uuid)?.state, 'running');
    await rig.virsh('destroy', g.uuid); // one TCG guest fewer for the moves below
  });

  it('a qcow2 disk missing on B is refused in words; "copy storage" moves guest and disk to B', async () => {
    const disk = await pool.createVolume(`${rig.prefix}disk.qcow2`, '64M');
    const written = await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 48M', disk]);
    assert.equal(written.code, 0, written.stderr);
    const g = await runningCountingGuest('mig-copy', disk);
    const ref = { host: SYSTEM_URI, uuid: g.uuid, target: second.sshUri };
    await rejectsWith(
      s.invoke('guest.migrate', { ...ref, ...LIVE_MOVE }),
      'invalid-state',
      /its disks are not on storage shared with .*would be missing there.*choose "copy storage".*it stays on/,
    );
    assert.equal(await rig.domstate(g), 'running');
    await counting(g, 'the counter going on, on A');
    await notOnB(g);

    progress.length = 0;
    // Slowed so that the disk copy is seen in the progress.
    await s.invoke('guest.migrate', { ...ref, ...LIVE_MOVE, copyStorage: true, bandwidthMiBs: 16 });
    await onBOnly(g);
    assert.match(await second.virsh('domblklist', g.uuid), new RegExp(`vda\\s+${disk}`));
    assert.deepEqual(await pool.volumes(second), [`${rig.prefix}disk.qcow2`], 'the disk is a volume of B');
    assert.match(await second.virsh('vol-dumpxml', '--pool', pool.name, `${rig.prefix}disk.qcow2`), /qcow2/);
    // B's /var/lib/libvirt is the rig's lib folder: the copy there holds what A's disk holds.
    const onB = join(second.dir, 'lib', pool.name, `${rig.prefix}disk.qcow2`);
    const same = await run('qemu-img', ['compare', '-U', disk, onB]);
    assert.equal(same.code, 0, `${same.stdout}${same.stderr}`);
    assert.ok(
      progress.some((p) => p.phase === 'copying' && p.diskTotal > 0),
      'disk progress while it is copied',
    );
    const done = progress.at(-1)!;
    assert.equal(done.phase, 'done');
    assert.ok(
      done.diskTotal > 0 && done.diskProcessed === done.diskTotal,
      `the disk was copied: ${JSON.stringify(done)}`,
    );
  });

  it('a slowed move that does not converge switches to post-copy and completes on B', async () => {
    const g = await runningCountingGuest('mig-post');
    progress.length = 0;
    await s.invoke('guest.migrate', {
      host: SYSTEM_URI,
      uuid: g.uuid,
      target: second.sshUri,
      ...LIVE_MOVE,
      bandwidthMiBs: 4,
      maxDowntimeMs: 1,
      postCopy: true,
    });
    assert.ok(
      progress.some((p) => p.phase === 'post-copy'),
      `phases: ${progress.map((p) => p.phase).join(' ')}`,
    );
    assert.equal(progress.at(-1)?.phase, 'done');
    await onBOnly(g);
  });

  it('a UUID already defined on B is refused in words; the guest keeps running on A', async () => {
    const g = await runningCountingGuest('mig-uuid');
    const xml = (await rig.virsh('dumpxml', '--inactive', g.uuid))
      .replace(/<name>[^<]*<\/name>/, `<name>${rig.prefix}namesake</name>`)
      .replace(/<serial type='pty'>[\s\S]*?<\/serial>/, '');
    const file = `${rig.runDir}/uuid-twin.xml`;
    writeFileSync(file, xml);
    await second.virsh('define', file);
    await waitFor('the app to see the twin on B', () => guestOn(second.sshUri, g.uuid));
    await rejectsWith(
      s.invoke('guest.migrate', { host: SYSTEM_URI, uuid: g.uuid, target: second.sshUri, ...LIVE_MOVE }),
      'conflict',
      /a guest with the same UUID is already defined on/,
    );
    await second.virsh('undefine', g.uuid);
    assert.equal(await rig.domstate(g), 'running');
    await counting(g, 'the counter going on, on A');
  });

  it('a guest bigger than the free memory of B is refused in words and stays on A', async (t) => {
    // QEMU maps guest memory lazily, so a guest larger than the free memory (but not than the
    // machine) starts on A; B's daemon reports that same machine's free memory, which it exceeds.
    const totalMiB = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) / 1024;
    const freeMiB = Number(/(\d+) KiB/.exec(await second.virsh('freecell'))![1]) / 1024;
    const memoryMiB = Math.floor(totalMiB - 512);
    if (memoryMiB <= freeMiB + 256) {
      t.skip(`this machine has too little in use (${freeMiB} of ${totalMiB} MiB free) for a guest above it`);
      return;
    }
    const g = await rig.define({ name: 'mig-big', memoryMiB, start: false });
    // Paused from the start: the guest never touches its memory, so nothing is taken from the machine.
    await rig.virsh('start', '--paused', g.uuid);
    await waitFor('the big guest in the app', () => guestOn(SYSTEM_URI, g.uuid)?.state === 'paused', 30_000);
    await rejectsWith(
      s.invoke('guest.migrate', { host: SYSTEM_URI, uuid: g.uuid, target: second.sshUri, ...LIVE_MOVE }),
      'out-of-range',
      /not enough memory on .*: it needs \d+ MiB, the target has \d+ MiB free/,
    );
    assert.equal(await rig.domstate(g), 'paused');
    await notOnB(g);
    await rig.remove(g);
  });
});
