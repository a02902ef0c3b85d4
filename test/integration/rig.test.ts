import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestRig } from '../rig/guests.js';
import { useRig } from '../rig/suite.js';

describe('test rig: real guests under libvirtd', () => {
  let rig: TestRig;
  useRig((r) => {
    rig = r;
  });

  it('boots two guests that print their own names on the serial port and run per virsh', async () => {
    const [a, b] = await Promise.all([rig.define({ name: 'rig-a' }), rig.define({ name: 'rig-b' })]);
    await Promise.all([rig.waitForBoot(a), rig.waitForBoot(b)]);
    assert.match(rig.serial(a), new RegExp(`virtswitch test guest: ${a.name}\\b`));
    assert.match(rig.serial(b), new RegExp(`virtswitch test guest: ${b.name}\\b`));
    assert.doesNotMatch(rig.serial(a), new RegExp(b.name));
    assert.equal(await rig.domstate(a), 'running');
    assert.equal(await rig.domstate(b), 'running');
    const running = (await rig.virsh('list', '--name')).split('\n').map((s) => s.trim());
    assert.ok(running.includes(a.name) && running.includes(b.name));
  });

  it('powers a guest off on the ACPI power button (virsh shutdown)', async () => {
    const g = await rig.define({ name: 'rig-acpi' });
    await rig.waitForBoot(g);
    await rig.virsh('shutdown', g.uuid, '--mode', 'acpi');
    await rig.waitForState(g, 'shut off', 30_000);
    assert.match(rig.serial(g), /power button: powering off/);
  });

  it('never touches domains without its prefix', async () => {
    const all = (await rig.virsh('list', '--all', '--name'))
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    const foreign = all.filter((n) => !n.startsWith(rig.prefix));
    await rig.cleanup();
    const after = (await rig.virsh('list', '--all', '--name'))
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    assert.deepEqual(
      after.filter((n) => !n.startsWith(rig.prefix)),
      foreign,
    );
    assert.equal(after.filter((n) => n.startsWith(rig.prefix)).length, 0);
  });
});
