/**
 * "Add a VNC display" in Chromium, through the serve shell, with real SPICE-only guests (QXL
 * video, as virt-manager makes them): one click from the stage; a stopped guest then starts with
 * both displays and shows its screen through VNC; a running guest (shown through SPICE meanwhile)
 * hears that it applies at its next start, and "Restart now" brings it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guestCard, startSwitcherRig, typeAsPerson, waitActive, type SwitcherRig } from './switcher-harness.js';
import type { TestGuest } from '../rig/guests.js';
import { waitFor } from '../rig/wait.js';

describe('Add a VNC display, in the browser, with real SPICE-only guests', () => {
  let r: SwitcherRig & { guests: TestGuest[] };
  let off: TestGuest;
  let running: TestGuest;
  const stage = '[data-testid="stage"]';
  const addButton = `${stage} button:text-is("Add a VNC display")`;

  before(async () => {
    r = await startSwitcherRig([
      { name: 'avb-off', graphics: 'spice', start: false },
      { name: 'avb-run', graphics: 'spice' },
    ]);
    [off, running] = r.guests as [TestGuest, TestGuest];
    await r.rig.waitForBoot(running);
    await r.page.goto(r.shell.url);
    await r.page.waitForSelector(`${guestCard(running)}[data-state="running"]`);
  });

  after(async () => {
    await r?.close();
  });

  it('a stopped SPICE-only guest: one click adds the display, and its start shows the screen through VNC', async () => {
    await r.page.click(guestCard(off));
    await r.page.waitForSelector(`${stage}[data-active-uuid="${off.uuid}"]`);
    await r.page.waitForSelector(`${stage} .overlay:has-text("Its screen is a SPICE display")`);
    await r.page.click(addButton);
    // The button greys out while the definition changes, and goes once the guest has its VNC display.
    await r.page.waitForSelector(`${stage} .add-vnc`, { state: 'detached' });
    assert.match(await r.rig.virsh('dumpxml', '--inactive', off.uuid), /<graphics type='vnc'/);
    await r.page.click(`${stage} .overlay [data-action="start"]`);
    await waitActive(r.page, off);
    const live = await r.rig.virsh('dumpxml', off.uuid);
    assert.match(live, /<graphics type='spice' port='\d+'/);
    assert.match(live, /<graphics type='vnc' port='\d+'/);
    // The screen on the stage is the guest's VNC display: what is typed there reaches the guest.
    await r.rig.waitForBoot(off);
    await typeAsPerson(r.page, 'echo ADDVNC-OFF >/dev/ttyS0\n');
    await r.rig.waitForSerial(off, 'ADDVNC-OFF\r\n', 30_000);
  });

  it('a running SPICE-only guest: says it applies at the next start, and Restart now brings it', async () => {
    await r.page.click(guestCard(running));
    await r.page.waitForSelector(`${stage}[data-active-uuid="${running.uuid}"]`);
    // Its SPICE screen shows meanwhile; the toolbar offers the VNC display.
    await waitActive(r.page, running);
    assert.ok(await r.page.$('.console.active.spice-console canvas'), 'the SPICE screen is on the stage');
    await r.page.click(addButton);
    const notice = `${stage} .vnc-offer-notice`;
    await r.page.waitForSelector(`${notice}:has-text("It applies from the next start.")`);
    assert.doesNotMatch(await r.rig.virsh('dumpxml', running.uuid), /type='vnc'/, 'the running guest is unchanged');
    assert.match(await r.rig.virsh('dumpxml', '--inactive', running.uuid), /<graphics type='vnc'/);
    const bootsBefore = r.rig.serial(running).length;
    await r.page.click(`${notice} button:text-is("Restart now")`);
    await waitFor(
      'the guest to run again with a VNC display',
      async () => /<graphics type='vnc' port='\d+'/.test(await r.rig.virsh('dumpxml', running.uuid)),
      180_000,
      500,
    );
    await waitActive(r.page, running);
    await r.page.waitForSelector('.console.active:not(.spice-console) canvas');
    await r.page.waitForSelector(notice, { state: 'detached' });
    await r.rig.waitForBoot(running, bootsBefore);
    await typeAsPerson(r.page, 'echo ADDVNC-RUN >/dev/ttyS0\n');
    await r.rig.waitForSerial(running, 'ADDVNC-RUN\r\n', 30_000);
  });
});
