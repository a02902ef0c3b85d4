/**
 * "Add a VNC display" against the real libvirtd: SPICE-only guests (QXL video, as virt-manager
 * makes them) get a loopback VNC display in their persistent definition and nothing else changes;
 * a stopped guest shows it from its start, a running one after "Restart now".
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { App, type AppSession } from '../../main/app/api.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../rig/guests.js';
import { waitFor } from '../rig/wait.js';

/** The definition as libvirt keeps it, passwords included. */
const definition = (rig: TestRig, g: TestGuest): Promise<string> =>
  rig.virsh('dumpxml', '--inactive', '--security-info', g.uuid);

const VNC_ELEMENT = /\n[ \t]*<graphics type='vnc'[\s\S]*?<\/graphics>/;

/** The first bytes a VNC server sends: its protocol version. */
function firstBytes(ch: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    ch.once('data', (d: Buffer) => resolve(d.toString('latin1')));
    ch.once('error', reject);
  });
}

describe('Add a VNC display: SPICE-only guests, real libvirtd', () => {
  let rig: TestRig;
  let app: App;
  let s: AppSession;
  let dir: string;
  let off: TestGuest;
  let running: TestGuest;
  let locked: TestGuest;
  const ref = (g: TestGuest): { host: string; uuid: string } => ({ host: SYSTEM_URI, uuid: g.uuid });
  const model = (g: TestGuest) => app.hosts.get(SYSTEM_URI).guest(g.uuid);

  before(async () => {
    rig = await TestRig.start();
    [off, running, locked] = await Promise.all([
      rig.define({ name: 'avnc-off', graphics: 'spice', start: false }),
      rig.define({ name: 'avnc-run', graphics: 'spice' }),
      rig.define({ name: 'avnc-pw', graphics: 'spice', vncPassword: 'se&cr3t', start: false }),
    ]);
    dir = mkdtempSync(join(tmpdir(), 'vs-addvnc-'));
    app = new App({ configDir: dir, uris: [SYSTEM_URI] });
    app.start();
    s = app.session();
    await waitFor('the guests in the model', () => model(off) && model(running)?.state === 'running', 60_000);
  });

  after(async () => {
    s?.close();
    await app?.close();
    await rig?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sees a SPICE-only guest as one with a SPICE display and no VNC', () => {
    assert.equal(model(off)?.hasSpice, true);
    assert.equal(model(off)?.hasVnc, false);
    assert.equal(model(running)?.hasSpice, true);
  });

  it('adds a loopback VNC display to a stopped guest, changing nothing else; its start brings both displays', async () => {
    const before = await definition(rig, off);
    assert.doesNotMatch(before, /type='vnc'/);
    assert.deepEqual(await s.invoke('guest.addVncDisplay', ref(off)), { added: true, appliesAtNextStart: false });
    const after = await definition(rig, off);
    const vnc = VNC_ELEMENT.exec(after);
    assert.ok(vnc, 'the definition has a VNC display');
    assert.match(vnc[0], /listen='127\.0\.0\.1'/);
    assert.doesNotMatch(vnc[0], /passwd=/);
    // The XML diff: the definition without the new element is exactly what it was.
    assert.equal(after.replace(VNC_ELEMENT, ''), before);
    // Asking again changes nothing.
    assert.deepEqual(await s.invoke('guest.addVncDisplay', ref(off)), { added: false, appliesAtNextStart: false });
    assert.equal(await definition(rig, off), after);
    await waitFor('the model to see the VNC display', () => model(off)?.hasVnc === true);

    await s.invoke('guest.start', ref(off));
    const live = await rig.virsh('dumpxml', off.uuid);
    assert.match(live, /<graphics type='spice' port='\d+'/);
    assert.match(live, /<graphics type='vnc' port='\d+'/);
    const ch = await app.consoles.open(ref(off), 'vnc');
    try {
      assert.match(await firstBytes(ch), /^RFB 003\.008\n/);
    } finally {
      ch.destroy();
    }
  });

  it('on a running guest: applies from the next start, and Restart now brings it', async () => {
    assert.deepEqual(await s.invoke('guest.addVncDisplay', ref(running)), { added: true, appliesAtNextStart: true });
    assert.doesNotMatch(await rig.virsh('dumpxml', running.uuid), /type='vnc'/, 'the running guest is unchanged');
    assert.match(await definition(rig, running), /type='vnc'/);
    assert.equal(model(running)?.hasVnc, false);
    await rig.waitForBoot(running);
    await s.invoke('guest.restart', ref(running));
    assert.equal(await rig.domstate(running), 'running');
    assert.match(await rig.virsh('dumpxml', running.uuid), /<graphics type='vnc' port='\d+'/);
    await waitFor('the model to see the VNC display', () => model(running)?.hasVnc === true);
  });

  it('gives the VNC display the SPICE password, so no new door opens', async () => {
    await s.invoke('guest.addVncDisplay', ref(locked));
    const vnc = VNC_ELEMENT.exec(await definition(rig, locked));
    assert.ok(vnc);
    assert.match(vnc[0], /passwd='se&amp;cr3t'/);
  });

  it('refuses a guest without any display, in words', async () => {
    const headless = await rig.define({ name: 'avnc-none', graphics: 'none', start: false });
    await waitFor('the headless guest in the model', () => model(headless));
    await assert.rejects(s.invoke('guest.addVncDisplay', ref(headless)), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'unsupported');
      assert.match(e.message, /no display device/);
      return true;
    });
  });
});
