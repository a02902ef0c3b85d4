/**
 * Hardware changes through the app's API on a running guest, checked with virsh and from inside
 * the guest: a CD inserted and ejected, a disk attached (the guest sees a new virtio disk in
 * /proc/partitions) and detached, a network card added and removed, live and persistent apart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppSession } from '../../main/app/api.js';
import { ApiError } from '../../common/api-error.js';
import type { GuestInfo } from '../../common/contract.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../rig/guests.js';
import { typeOnSerial } from '../rig/serial-counter.js';
import { waitFor } from '../rig/wait.js';

describe('app: a running guest’s hardware', () => {
  let rig: TestRig;
  let app: App;
  let s: AppSession;
  let g: TestGuest;
  let dir: string;
  const info = (): GuestInfo | undefined => app.state().guests.find((x) => x.uuid === g.uuid);
  const ref = (): { host: string; uuid: string } => ({ host: SYSTEM_URI, uuid: g.uuid });
  /** Asks the guest again until its answer matches: a hotplugged device takes a moment to appear under TCG. */
  const onSerial = async (cmd: string, want: RegExp): Promise<void> => {
    const from = rig.serial(g).length;
    await waitFor(
      `${String(want)} in answer to ${cmd}`,
      async () => {
        await typeOnSerial(SYSTEM_URI, g.name, cmd);
        return want.test(
          rig
            .serial(g)
            .slice(from)
            .replace(/^.*\/proc\/partitions\r?$|^ls \/sys.*$/gm, ''),
        );
      },
      60_000,
      2000,
    );
  };

  before(async () => {
    rig = await TestRig.start();
    dir = mkdtempSync(join(tmpdir(), 'vs-hw-'));
    app = new App({ configDir: dir, uris: [SYSTEM_URI] });
    app.start();
    s = app.session();
    g = await rig.define({ name: 'hw', cdrom: true });
    await rig.waitForBoot(g);
    await waitFor('the guest in the model', () => info()?.state === 'running', 30_000);
  });
  after(async () => {
    s?.close();
    await app?.close();
    await rig?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('inserts a CD the guest reads, and ejects it', async () => {
    const iso = join(rig.runDir, 'cd.iso');
    writeFileSync(iso, Buffer.concat([Buffer.from('VSCD-INSERTED\n'), Buffer.alloc(64 * 1024)]));
    await s.invoke('guest.changeMedia', { ...ref(), target: 'sda', path: iso, live: true, config: false });
    assert.match(await rig.virsh('domblklist', g.uuid), new RegExp(`sda\\s+${iso}`));
    await onSerial('head -c 13 /dev/sr0; echo', /VSCD-INSERTED/);
    await s.invoke('guest.changeMedia', { ...ref(), target: 'sda', live: true, config: false });
    assert.match(await rig.virsh('domblklist', g.uuid), /sda\s+-/);
    await waitFor(
      'the drive empty in the model',
      () => !info()?.hardware?.disks.find((d) => d.target === 'sda')?.source,
    );
    await onSerial('head -c 1 /dev/sr0 || echo NO-MEDIUM', /NO-MEDIUM|No medium/);
  });

  it('attaches a disk the guest sees, and detaches it; live only leaves the definition alone', async () => {
    const disk = join(rig.runDir, 'data.img');
    writeFileSync(disk, Buffer.alloc(2 * 1024 * 1024));
    const r = (await s.invoke('guest.attachDisk', {
      ...ref(),
      path: disk,
      format: 'raw',
      live: true,
      config: false,
    })) as {
      target: string;
    };
    assert.equal(r.target, 'vda');
    assert.match(await rig.virsh('domblklist', g.uuid), new RegExp(`vda\\s+${disk}`));
    assert.doesNotMatch(await rig.virsh('domblklist', g.uuid, '--inactive'), /vda/);
    await onSerial("grep -E ' 2048 vd[a-z]$' /proc/partitions", /\s2048 vd[a-z]\r?\n/);
    await s.invoke('guest.detachDisk', { ...ref(), target: 'vda', live: true, config: false });
    await waitFor('vda gone', async () => !/vda/.test(await rig.virsh('domblklist', g.uuid)), 30_000, 200);
  });

  it('adds a network card now and at next boot, and removes it', async () => {
    await rig.virshResult('net-start', 'default');
    await s.invoke('guest.attachNic', {
      ...ref(),
      kind: 'network',
      source: 'default',
      model: 'virtio',
      live: true,
      config: true,
    });
    const live = await rig.virsh('domiflist', g.uuid);
    assert.match(live, /network\s+default\s+virtio/);
    assert.match(await rig.virsh('domiflist', g.uuid, '--inactive'), /network\s+default\s+virtio/);
    const nic = await waitFor('the card in the model', () => info()?.hardware?.nics[0]);
    await onSerial('ls /sys/class/net', /eth0/);
    await s.invoke('guest.detachNic', { ...ref(), mac: nic.mac, live: true, config: true });
    await waitFor('the card gone', async () => !/default/.test(await rig.virsh('domiflist', g.uuid)), 30_000, 200);
  });

  it('says what is wrong with a change that cannot apply', async () => {
    await assert.rejects(
      s.invoke('guest.changeMedia', { ...ref(), target: 'sdb', path: '/x.iso', live: true, config: false }),
      (e: unknown) => e instanceof ApiError && /has no CD drive sdb/.test(e.message),
    );
    await assert.rejects(
      s.invoke('guest.changeMedia', { ...ref(), target: 'sda', path: '/x.iso', live: false, config: false }),
      (e: unknown) => e instanceof ApiError && /now, at next boot, or both/.test(e.message),
    );
  });
});
