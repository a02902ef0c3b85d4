/**
 * The two-host rig itself: a second libvirtd in its own namespaces, reached over qemu+tcp and
 * qemu+ssh, takes a live guest from the first host with `virsh migrate --live` and gives it back;
 * the guest's counter never restarts; afterwards nothing of the second host is left.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { runSync } from '../rig/exec.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../rig/guests.js';
import { startSecondHost, type SecondHost } from '../rig/second-host.js';
import { startCounter, ticks } from '../rig/serial-counter.js';
import { waitFor } from '../rig/wait.js';

function virshVia(pathFirst: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'virsh',
      args,
      { env: { ...process.env, PATH: `${pathFirst}:${process.env.PATH ?? ''}` }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
    );
  });
}

/** The first daemon's pid, from its pid file (the second daemon writes its own elsewhere). */
function firstDaemonPid(): string {
  return existsSync('/run/libvirtd.pid') ? readFileSync('/run/libvirtd.pid', 'utf8').trim() : '';
}

describe('two-host rig: a second libvirtd in its own namespaces', () => {
  let rig: TestRig;
  let second: SecondHost | undefined;
  let g: TestGuest;
  before(async () => {
    rig = await TestRig.start();
    second = await startSecondHost();
    g = await rig.define({ name: 'mig-rig' });
    await rig.waitForBoot(g);
  });
  after(async () => {
    await second?.stop();
    await rig?.cleanup();
  });

  it('has its own hostname and host UUID, and answers over qemu+tcp and qemu+ssh', async () => {
    const s = second!;
    assert.equal((await s.virsh('hostname')).trim(), s.hostname);
    assert.match(await s.virsh('capabilities'), new RegExp(`<uuid>${s.hostUuid}</uuid>`));
    const overSsh = await virshVia(s.sshBinDir, ['-c', s.sshUri, 'hostname']);
    assert.equal(overSsh.code, 0, overSsh.stderr);
    assert.equal(overSsh.stdout.trim(), s.hostname);
    assert.equal((await s.virsh('list', '--all', '--name')).trim(), '', 'the second host starts empty');
    assert.notEqual((await rig.virsh('hostname')).trim(), s.hostname, 'the first daemon is not the second');
  });

  it('live-migrates a running guest there and back with virsh; its counter never restarts', async () => {
    const s = second!;
    await startCounter(SYSTEM_URI, g.name);
    await waitFor('the counter to reach 10', () => ticks(rig.serial(g)).some((n) => n >= 10), 30_000);
    const there = await virshVia(s.sshBinDir, [
      '-c',
      SYSTEM_URI,
      'migrate',
      '--live',
      '--persistent',
      '--undefinesource',
      g.name,
      `qemu+ssh://root@${s.hostname}/system`,
    ]);
    assert.equal(there.code, 0, there.stderr);
    assert.equal((await s.virsh('domstate', g.uuid)).trim(), 'running');
    assert.notEqual((await rig.virshResult('dominfo', g.uuid)).code, 0, 'gone from the first host');
    const after1 = ticks(rig.serial(g)).at(-1)!;
    await waitFor('the counter to go on counting on the second host', () =>
      ticks(rig.serial(g)).some((n) => n >= after1 + 10),
    );

    // The first host's name resolves to loopback here, so the way back names its veth address.
    await s.virsh(
      'migrate',
      '--live',
      '--persistent',
      '--undefinesource',
      g.name,
      SYSTEM_URI,
      '--migrateuri',
      `tcp://${s.localAddress}`,
    );
    assert.equal(await rig.domstate(g), 'running');
    assert.equal((await s.virsh('list', '--all', '--name')).trim(), '', 'nothing left on the second host');
    const after2 = ticks(rig.serial(g)).at(-1)!;
    await waitFor('the counter to go on counting back home', () => ticks(rig.serial(g)).some((n) => n >= after2 + 10));
    const all = ticks(rig.serial(g));
    for (let i = 1; i < all.length; i++) assert.equal(all[i], all[i - 1]! + 1, `tick ${all[i - 1]} then ${all[i]}`);
    assert.equal(rig.serial(g).split(`virtswitch test guest: ${g.name}`).length, 2, 'booted exactly once');
  });

  it('reaches a display on the second host through ssh -W, as the app does for remote consoles', async () => {
    const s = second!;
    await rig.virsh('migrate', '--live', g.name, s.tcpUri.replace(s.address, s.hostname));
    const port = (await s.virsh('vncdisplay', g.uuid)).trim().replace(/^.*:/, '');
    const banner = await new Promise<string>((resolve) => {
      const child = execFile(
        s.sshPath,
        ['-W', `127.0.0.1:${5900 + Number(port)}`, `root@${s.address}`],
        { encoding: 'latin1' },
        () => undefined,
      );
      child.stdout!.once('data', (d: string) => {
        resolve(d);
        child.kill();
      });
    });
    assert.match(banner, /^RFB 003\.00\d\n/);
  });

  it('tears down everything and leaves the first daemon alone', async () => {
    const s = second!;
    const before = firstDaemonPid();
    second = undefined;
    await s.stop();
    assert.equal(firstDaemonPid(), before, 'the first libvirtd still runs, the same process');
    assert.ok(before && existsSync(`/proc/${before}`), 'the first libvirtd is alive');
    assert.doesNotMatch(runSync('ip', ['netns', 'list']).stdout, new RegExp(`vsh${process.pid}\\b`));
    assert.notEqual(runSync('ip', ['link', 'show', `vsh${process.pid}a`]).code, 0, 'veth gone');
    assert.doesNotMatch(readFileSync('/etc/hosts', 'utf8'), new RegExp(s.hostname));
    assert.equal(existsSync(s.dir), false);
    assert.notEqual((await rig.virshResult('list')).code, 1, 'the first daemon answers');
  });
});
