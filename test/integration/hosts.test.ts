import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppSession } from '../../main/app/api.js';
import type { GuestInfo } from '../../common/contract.js';
import { ensureLibvirtd } from '../rig/libvirtd.js';
import { waitFor } from '../rig/wait.js';
import { SYSTEM_URI, type TestGuest, type TestRig } from '../rig/guests.js';
import { useRig } from '../rig/suite.js';

const HOST = SYSTEM_URI;

/** Model updates come through real guests on a busy machine: a minute before giving up. */
const waitLong = <T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> => waitFor(what, probe, timeoutMs);

describe('hosts: live model and VM control against the real libvirtd', () => {
  let rig: TestRig;
  let app: App;
  let s: AppSession;
  let dir: string;

  const model = (g: TestGuest): GuestInfo | undefined => app.hosts.get(HOST).guest(g.uuid);
  const waitState = (g: TestGuest, state: string, timeoutMs = 60_000): Promise<GuestInfo> =>
    waitLong(
      `${g.name} to be ${state} in the model`,
      () => {
        const m = model(g);
        return m?.state === state ? m : undefined;
      },
      timeoutMs,
    );
  const ref = (g: TestGuest): { host: string; uuid: string } => ({ host: HOST, uuid: g.uuid });
  const invokeError = async (cmd: string, params: unknown): Promise<{ code: string; message: string }> => {
    try {
      await s.invoke(cmd, params);
    } catch (e) {
      return e as { code: string; message: string };
    }
    throw new Error(`${cmd} should have failed`);
  };

  useRig(async (r, defer) => {
    rig = r;
    dir = mkdtempSync(join(tmpdir(), 'vs-hosts-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    app = new App({
      configDir: dir,
      uris: [HOST],
      host: { backoffInitialMs: 200, backoffMaxMs: 1000, statsIntervalMs: 500 },
    });
    app.start();
    defer(() => app.close());
    s = app.session();
    defer(() => s.close());
    await waitLong('the host to connect', () => app.hosts.get(HOST).info().status === 'connected');
  });

  it('reports the hypervisor facts virsh reports', async () => {
    const facts = app.hosts.get(HOST).info().facts!;
    const version = await rig.virsh('version');
    assert.match(version, new RegExp(`Using library: libvirt ${facts.libvirtVersion.replace(/\./g, '\\.')}`));
    assert.match(
      version,
      new RegExp(`Running hypervisor: ${facts.hypervisor} ${facts.hypervisorVersion.replace(/\./g, '\\.')}`),
    );
    const nodeinfo = await rig.virsh('nodeinfo');
    assert.equal(facts.cpus, Number(/CPU\(s\):\s+(\d+)/.exec(nodeinfo)![1]));
    assert.equal(facts.memoryKiB, Number(/Memory size:\s+(\d+) KiB/.exec(nodeinfo)![1]));
    assert.equal(typeof facts.kvm, 'boolean');
    assert.equal(facts.hostname, execFileSync('hostname', { encoding: 'utf8' }).trim());
  });

  it('lifecycle commands change what virsh sees', async () => {
    const g = await rig.define({ name: 'life' });
    await waitState(g, 'running');
    await rig.waitForBoot(g);

    await s.invoke('guest.pause', ref(g));
    assert.equal(await rig.domstate(g), 'paused');
    await waitState(g, 'paused');
    await s.invoke('guest.resume', ref(g));
    assert.equal(await rig.domstate(g), 'running');

    let from = rig.serial(g).length;
    await s.invoke('guest.reset', ref(g));
    await rig.waitForBoot(g, from);

    from = rig.serial(g).length;
    await s.invoke('guest.reboot', ref(g));
    // ACPI reboot: the guest powers off on the button, libvirt starts it again.
    await rig.waitForBoot(g, from);
    assert.equal(await rig.domstate(g), 'running');

    await s.invoke('guest.shutdown', ref(g));
    await rig.waitForState(g, 'shut off', 60_000);
    await waitState(g, 'shutoff');
    assert.match(rig.serial(g), /power button: powering off/);

    await s.invoke('guest.start', ref(g));
    assert.equal(await rig.domstate(g), 'running');
    await rig.waitForBoot(g, rig.serial(g).lastIndexOf('power button'));

    await s.invoke('guest.save', ref(g));
    assert.equal(await rig.domstate(g), 'shut off');
    assert.match(await rig.virsh('dominfo', g.uuid), /Managed save:\s+yes/);
    const saved = await waitLong('managedSave in the model', () => model(g)?.managedSave && model(g));
    assert.equal(saved.state, 'shutoff');

    await s.invoke('guest.start', ref(g));
    assert.match(await rig.virsh('domstate', '--reason', g.uuid), /running \(restored\)/);
    await waitLong('the restore to show in the model', () => model(g)?.state === 'running' && !model(g)?.managedSave);

    await s.invoke('guest.poweroff', ref(g));
    assert.equal(await rig.domstate(g), 'shut off');
    const off = await waitState(g, 'shutoff');
    assert.equal(off.reason, 'destroyed');
  });

  it('sets autostart, memory and vCPUs within the guest maximums', async () => {
    const g = await rig.define({ name: 'res', maxMemoryMiB: 512, maxVcpus: 2 });
    await waitState(g, 'running');
    await rig.waitForBoot(g);

    await s.invoke('guest.setAutostart', { ...ref(g), enabled: true });
    assert.match(await rig.virsh('dominfo', g.uuid), /Autostart:\s+enable/);
    await waitLong('autostart in the model', () => model(g)?.autostart);
    await s.invoke('guest.setAutostart', { ...ref(g), enabled: false });
    assert.match(await rig.virsh('dominfo', g.uuid), /Autostart:\s+disable/);

    await s.invoke('guest.setMemory', { ...ref(g), memoryMiB: 384, live: false, config: true });
    assert.match(await rig.virsh('dumpxml', '--inactive', g.uuid), /<currentMemory unit='KiB'>393216<\/currentMemory>/);
    await s.invoke('guest.setMemory', { ...ref(g), memoryMiB: 200, live: true, config: false });
    // The guest's balloon driver gives the memory back; libvirt reports the new size.
    await waitLong(
      'the balloon to reach 200 MiB',
      async () => /Used memory:\s+204800 KiB/.test(await rig.virsh('dominfo', g.uuid)),
      60_000,
    );
    await waitLong('the model to show 200 MiB', () => model(g)?.memoryKiB === 204800);

    await s.invoke('guest.setVcpus', { ...ref(g), vcpus: 2, live: false, config: true });
    assert.equal((await rig.virsh('vcpucount', '--config', '--current', g.uuid)).trim(), '2');
    await s.invoke('guest.setVcpus', { ...ref(g), vcpus: 2, live: true, config: false });
    assert.equal((await rig.virsh('vcpucount', '--live', '--current', g.uuid)).trim(), '2');
    await waitLong('2 vCPUs in the model', () => model(g)?.vcpus === 2);

    const tooMuch = await invokeError('guest.setMemory', { ...ref(g), memoryMiB: 1024, live: false, config: true });
    assert.equal(tooMuch.code, 'out-of-range');
    assert.match(tooMuch.message, /above .*maximum of 512 MiB/);
    assert.match(await rig.virsh('dumpxml', '--inactive', g.uuid), /<currentMemory unit='KiB'>393216<\/currentMemory>/);
    const tooMany = await invokeError('guest.setVcpus', { ...ref(g), vcpus: 3, live: false, config: true });
    assert.equal(tooMany.code, 'out-of-range');
    const neither = await invokeError('guest.setVcpus', { ...ref(g), vcpus: 1, live: false, config: false });
    assert.equal(neither.code, 'invalid-input');
    await rig.remove(g);
  });

  it('takes, lists, reverts to and deletes snapshots', async () => {
    const g = await rig.define({ name: 'snap', disk: true });
    await waitState(g, 'running');
    await rig.waitForBoot(g);
    const snap = (await s.invoke('guest.snapshotCreate', {
      ...ref(g),
      name: 'before',
      description: 'a <safe> point',
    })) as { name: string; description: string; current: boolean };
    assert.deepEqual([snap.name, snap.description, snap.current], ['before', 'a <safe> point', true]);
    assert.match(await rig.virsh('snapshot-list', '--name', g.uuid), /^before$/m);
    await waitLong(
      'the snapshot count in the model',
      () => model(g)?.snapshotCount === 1 && model(g)?.currentSnapshot === 'before',
    );

    // Change the guest after the snapshot, then revert: the change is gone.
    await rig.virsh('suspend', g.uuid);
    await waitState(g, 'paused');
    await s.invoke('guest.snapshotCreate', { ...ref(g), name: 'paused-one' });
    await s.invoke('guest.snapshotRevert', { ...ref(g), name: 'before' });
    assert.equal(await rig.domstate(g), 'running');
    await waitState(g, 'running');
    const list = (await s.invoke('guest.snapshots', ref(g))) as { name: string; current: boolean; state: string }[];
    assert.deepEqual(
      list.map((x) => [x.name, x.current, x.state]),
      [
        ['before', true, 'running'],
        ['paused-one', false, 'paused'],
      ],
    );
    await s.invoke('guest.snapshotDelete', { ...ref(g), name: 'paused-one' });
    assert.doesNotMatch(await rig.virsh('snapshot-list', '--name', g.uuid), /paused-one/);
    const missing = await invokeError('guest.snapshotRevert', { ...ref(g), name: 'nope' });
    assert.equal(missing.code, 'no-such-snapshot');
    const badName = await invokeError('guest.snapshotCreate', { ...ref(g), name: 'a/b' });
    assert.equal(badName.code, 'invalid-input');
    await rig.remove(g);
  });

  it('takes screenshots, sends keys, and deletes guests', async () => {
    const g = await rig.define({ name: 'misc' });
    await waitState(g, 'running');
    await rig.waitForBoot(g);
    const shot = (await s.invoke('guest.screenshot', ref(g))) as { mime: string; base64: string };
    const png = Buffer.from(shot.base64, 'base64');
    assert.equal(shot.mime, 'image/png');
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [720, 400]);

    // Type "echo k7 >/dev/ttyS0" + Enter on the VGA console, key by key.
    const keys = [
      'KeyE',
      'KeyC',
      'KeyH',
      'KeyO',
      'Space',
      'KeyK',
      'Digit7',
      'Space',
      ['ShiftLeft', 'Period'],
      'Slash',
      'KeyD',
      'KeyE',
      'KeyV',
      'Slash',
      'KeyT',
      'KeyT',
      'KeyY',
      ['ShiftLeft', 'KeyS'],
      'Digit0',
      'Enter',
    ];
    for (const k of keys) await s.invoke('guest.sendKeys', { ...ref(g), keys: Array.isArray(k) ? k : [k] });
    await rig.waitForSerial(g, /k7\r?\n/, 30_000);
    const badKey = await invokeError('guest.sendKeys', { ...ref(g), keys: ['NoSuchKey'] });
    assert.equal(badKey.code, 'invalid-input');

    const running = await invokeError('guest.delete', ref(g));
    assert.equal(running.code, 'invalid-state');
    await s.invoke('guest.delete', { ...ref(g), force: true });
    assert.doesNotMatch(await rig.virsh('list', '--all', '--name'), new RegExp(g.name));
    await waitLong('the guest to leave the model', () => !model(g));
  });

  it('takes stats only while someone watches: CPU, memory, disk and network rates', async () => {
    const g = await rig.define({ name: 'stats' });
    await waitState(g, 'running');
    const samples: { cpuPercent: number; memoryKiB: number; memoryUsedKiB: number }[] = [];
    const on = (e: {
      type: string;
      stats?: { uuid: string; cpuPercent: number; memoryKiB: number; memoryUsedKiB: number }[];
    }): void => {
      if (e.type === 'stats') for (const x of e.stats ?? []) if (x.uuid === g.uuid) samples.push(x);
    };
    app.on('event', on as never);
    await s.invoke('stats.watch', { on: true });
    await waitLong('two stats samples', () => samples.length >= 2, 30_000);
    for (const x of samples) {
      assert.ok(x.cpuPercent >= 0 && x.cpuPercent <= 100, String(x.cpuPercent));
      assert.ok(x.memoryKiB > 0 && x.memoryUsedKiB > 0 && x.memoryUsedKiB <= x.memoryKiB);
    }
    await s.invoke('stats.watch', { on: false });
    const n = samples.length;
    await new Promise((res) => setTimeout(res, 1500));
    assert.ok(samples.length <= n + 1, 'stats kept coming with nobody watching');
    app.off('event', on as never);
    await rig.remove(g);
  });

  it('follows changes made behind its back', async () => {
    const g = await rig.define({ name: 'behind', start: false });
    await waitState(g, 'shutoff');
    await rig.virsh('start', g.uuid);
    await waitState(g, 'running');
    await rig.virsh('suspend', g.uuid);
    await waitState(g, 'paused');
    await rig.virsh('resume', g.uuid);
    await waitState(g, 'running');
    await rig.virsh('destroy', g.uuid);
    const off = await waitState(g, 'shutoff');
    assert.equal(off.reason, 'destroyed');
    await rig.virsh('undefine', g.uuid);
    await waitLong('the undefined guest to leave the model', () => !model(g));
  });

  it('answers bad input with clear errors and disturbs nothing', async () => {
    const g = await rig.define({ name: 'bad', start: false });
    await waitState(g, 'shutoff');
    const wrongState = await invokeError('guest.shutdown', ref(g));
    assert.equal(wrongState.code, 'invalid-state');
    assert.match(wrongState.message, /shut down .*not running/);

    const unknown = await invokeError('guest.start', { host: HOST, uuid: '00000000-0000-4000-8000-00000000dead' });
    assert.equal(unknown.code, 'no-such-guest');
    // Vanished behind the app's back, before its model caught up.
    await rig.virsh('undefine', g.uuid);
    const vanished = await invokeError('guest.start', ref(g)).catch((e) => e as { code: string });
    assert.ok(['no-such-guest'].includes(vanished.code), vanished.code);

    assert.equal((await invokeError('guest.start', { host: 'qemu:///nowhere', uuid: g.uuid })).code, 'no-such-host');
    assert.equal((await invokeError('guest.start', { host: HOST, uuid: 'not-a-uuid' })).code, 'invalid-input');
    assert.equal((await invokeError('guest.start', { host: HOST, uuid: g.uuid, extra: 1 })).code, 'invalid-input');
    assert.equal((await invokeError('no.such.command', {})).code, 'invalid-input');
    assert.equal((await invokeError('hosts.add', { uri: 'not a uri' })).code, 'invalid-input');
    const unreachable = await invokeError('hosts.test', { uri: 'qemu+ssh://nobody@host.invalid/system' });
    assert.equal(unreachable.code, 'host-unavailable');
    assert.match(unreachable.message, /host\.invalid/);
    assert.equal(app.hosts.get(HOST).info().status, 'connected');
  });

  it('answers two racing commands and ends with the model matching virsh', async () => {
    const g = await rig.define({ name: 'race' });
    await waitState(g, 'running');
    const results = await Promise.allSettled([s.invoke('guest.pause', ref(g)), s.invoke('guest.poweroff', ref(g))]);
    assert.equal(results.length, 2);
    for (const r of results)
      if (r.status === 'rejected') assert.ok((r.reason as { message: string }).message.length > 0);
    const state = await rig.domstate(g);
    const expected = state === 'shut off' ? 'shutoff' : state;
    await waitState(g, expected);
    await rig.remove(g);
  });

  it('loads 100 defined guests', async () => {
    const many: TestGuest[] = [];
    for (let i = 0; i < 100; i++)
      many.push(await rig.define({ name: `many-${String(i).padStart(3, '0')}`, start: false }));
    await waitLong('100 guests in the model', () => many.every((g) => model(g)?.state === 'shutoff'), 60_000);
    // A second app, cold: everything is there once it reports connected.
    const cold = new App({ configDir: dir, uris: [HOST] });
    cold.start();
    try {
      await waitLong('the cold app to connect', () => cold.hosts.get(HOST).info().status === 'connected');
      const names = new Set(cold.hosts.guests().map((x) => x.name));
      assert.ok(many.every((g) => names.has(g.name)));
    } finally {
      await cold.close();
    }
    for (const g of many) await rig.remove(g);
  });

  it('survives libvirtd being killed: reconnecting, then connected, and the model matches virsh', async () => {
    const a = await rig.define({ name: 'kill-a' });
    const b = await rig.define({ name: 'kill-b', start: false });
    await waitState(a, 'running');
    await waitState(b, 'shutoff');
    const statuses: string[] = [];
    app.on('event', (e) => {
      if (e.type === 'host') statuses.push(e.host.status);
    });
    const pid = spawnSync('pgrep', ['-x', 'libvirtd'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    assert.ok(pid, 'libvirtd runs');
    process.kill(Number(pid), 'SIGKILL');
    await waitLong('the host to notice', () => app.hosts.get(HOST).info().status === 'reconnecting', 30_000);
    // Change things while the app is cut off: they must show after the resync.
    await ensureLibvirtd();
    await rig.virsh('start', b.uuid);
    await waitLong('the host to reconnect', () => app.hosts.get(HOST).info().status === 'connected', 60_000);
    assert.ok(
      statuses.includes('reconnecting') && statuses.lastIndexOf('connected') > statuses.indexOf('reconnecting'),
    );
    await waitState(b, 'running');
    // And events flow again on the new connection.
    await rig.virsh('suspend', a.uuid);
    await waitState(a, 'paused');
    const virshNames = (await rig.virsh('list', '--all', '--name'))
      .split('\n')
      .map((x) => x.trim())
      .filter((n) => n.startsWith(rig.prefix));
    const modelNames = app.hosts
      .guests()
      .map((x) => x.name)
      .filter((n) => n.startsWith(rig.prefix));
    assert.deepEqual(modelNames.sort(), virshNames.sort());
    for (const g of [a, b]) {
      const virshState = (await rig.domstate(g)).replace('shut off', 'shutoff');
      assert.equal(model(g)?.state, virshState);
    }
  });
});
