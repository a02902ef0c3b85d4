import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  clearScreenshots,
  guestCard,
  openSwitcher,
  typeAsPerson,
  waitActive,
  type OpenSwitcher,
} from './switcher-harness.js';
import type { TestGuest } from '../rig/guests.js';
import { waitFor } from '../rig/wait.js';

describe('the switcher in Chromium, through the serve shell, with real guests', () => {
  let r: OpenSwitcher;
  let g1: TestGuest;
  let g2: TestGuest;
  let g3: TestGuest;
  let off: TestGuest;
  let hostile: TestGuest;

  /** Types a command that writes a marker to the guest's serial port, and says which guests got it. */
  const markAndCheck = async (target: TestGuest, marker: string): Promise<void> => {
    await typeAsPerson(r.page, `echo ${marker} >/dev/ttyS0\n`);
    await r.rig.waitForSerial(target, `${marker}\r\n`, 30_000);
    for (const other of [g1, g2, g3].filter((g) => g !== target)) {
      assert.ok(!r.rig.serial(other).includes(marker), `${marker} also reached ${other.name}`);
    }
  };

  before(async () => {
    clearScreenshots();
    // Our guests are the first in the order when the daemon has no others; find their slots.
    r = await openSwitcher(
      [
        { name: 'sw-1' },
        { name: 'sw-2' },
        { name: 'sw-3' },
        { name: 'sw-off', start: false, disk: true },
        { name: 'sw-<img src=x onerror=alert(1)>', start: false },
      ],
      (guests) => guestCard(guests[2]!),
    );
    [g1, g2, g3, off, hostile] = r.guests as [TestGuest, TestGuest, TestGuest, TestGuest, TestGuest];
  });

  after(async () => {
    await r?.close();
  });

  const slotOf = async (g: TestGuest): Promise<string> => (await r.page.getAttribute(guestCard(g), 'data-slot')) ?? '';

  it('shows every guest with its state, slot and host, and the HTML-named one as plain text', async () => {
    for (const g of [g1, g2, g3]) await r.page.waitForSelector(`${guestCard(g)}[data-state="running"]`);
    await r.page.waitForSelector(`${guestCard(off)}[data-state="shutoff"]`);
    const card = await r.page.$(guestCard(hostile));
    assert.ok(card, 'the guest with HTML in its name is listed');
    assert.equal(await card.getAttribute('data-name'), hostile.name);
    assert.equal(await card.$eval('.name', (e) => e.textContent), hostile.name);
    assert.equal(await r.page.$$eval('.strip img, .toolbar img', (x) => x.length), 0);
    assert.equal(await r.page.getAttribute(guestCard(g1), 'data-host'), 'qemu:///system');
    assert.match(await slotOf(g1), /^[1-9]$/);
    assert.deepEqual(r.dialogs, []);
  });

  it('routes the keyboard: Ctrl+Alt+N, the OSD picker and back-to-last each hand it to one guest only', async () => {
    const s1 = await slotOf(g1);
    const s2 = await slotOf(g2);
    const s3 = await slotOf(g3);
    await r.page.keyboard.press(`Control+Alt+Digit${s1}`);
    await waitActive(r.page, g1);
    await markAndCheck(g1, 'MARK-ONE');

    await r.page.keyboard.press(`Control+Alt+Digit${s2}`);
    await waitActive(r.page, g2);
    assert.equal(await r.page.getAttribute('[data-testid="stage"]', 'data-active-name'), g2.name);
    await markAndCheck(g2, 'MARK-TWO');

    await r.page.keyboard.press('ScrollLock');
    await r.page.keyboard.press('ScrollLock');
    await r.page.waitForSelector('[data-testid="osd"]');
    await r.screenshot('osd');
    await r.page.keyboard.press(`Digit${s3}`);
    await r.page.waitForSelector('[data-testid="osd"]', { state: 'detached' });
    await waitActive(r.page, g3);
    await markAndCheck(g3, 'MARK-OSD');

    await r.page.keyboard.press('Control+Alt+Backquote');
    await waitActive(r.page, g2);
    await markAndCheck(g2, 'MARK-BACK');
    // The hotkeys themselves reached no guest: no stray digits or backquotes on any serial port.
    for (const g of [g1, g2, g3]) assert.doesNotMatch(r.rig.serial(g), /`/);
  });

  it('leaves no modifier stuck: plain typing stays plain in both guests after switching away and back', async () => {
    const s1 = await slotOf(g1);
    const s2 = await slotOf(g2);
    await r.page.keyboard.press(`Control+Alt+Digit${s1}`);
    await waitActive(r.page, g1);
    await r.page.keyboard.press(`Control+Alt+Digit${s2}`);
    await waitActive(r.page, g2);
    await markAndCheck(g2, 'plain-f2');
    await r.page.keyboard.press(`Control+Alt+Digit${s1}`);
    await waitActive(r.page, g1);
    await markAndCheck(g1, 'plain-f1');
    // And the guests' keyboards agree: nothing is held down in either (typed digits included).
    // The last releases may still be on their way: wait for the ledgers to empty (a stuck key
    // never leaves, so the wait runs out and the assertions below say which).
    await waitFor(
      'both guests to hold no key',
      () => !r.keys.held(g1.uuid).length && !r.keys.held(g2.uuid).length,
      5000,
    ).catch(() => undefined);
    console.log('LEDGER', r.keys.events, JSON.stringify([...r.keys.down].map(([k, v]) => [k.slice(0, 8), [...v]])));
    assert.deepEqual(r.keys.held(g1.uuid), [], `${g1.name} still holds keys down`);
    assert.deepEqual(r.keys.held(g2.uuid), [], `${g2.name} still holds keys down`);
    await r.screenshot('stage');
  });

  it('next and previous cycle through running guests, skipping the ones that are off', async () => {
    const running = [g1, g2, g3];
    await r.page.keyboard.press(`Control+Alt+Digit${await slotOf(g1)}`);
    await waitActive(r.page, g1);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      await r.page.keyboard.press('Control+Alt+PageDown');
      await r.page.waitForFunction(
        () => (document.querySelector('[data-testid="stage"]') as HTMLElement).dataset.activeUuid !== undefined,
      );
      const uuid = await r.page.getAttribute('[data-testid="stage"]', 'data-active-uuid');
      seen.push(uuid ?? '');
    }
    assert.ok(!seen.includes(off.uuid) && !seen.includes(hostile.uuid), 'an off guest came up');
    for (const g of running) assert.ok(seen.includes(g.uuid), `${g.name} was skipped`);
    await r.page.keyboard.press('Control+Alt+PageUp');
  });

  it('actions change libvirt state (checked with virsh) and the UI follows changes made behind its back', async () => {
    await r.select(g3);
    const stage = '[data-testid="stage"]';
    await r.page.click(`${stage} [data-action="pause"]`);
    await r.rig.waitForState(g3, 'paused');
    await r.page.waitForSelector(`${guestCard(g3)}[data-state="paused"]`);
    await r.page.click(`${stage} .toolbar [data-action="resume"]`);
    await r.rig.waitForState(g3, 'running');
    await r.page.waitForSelector(`${guestCard(g3)}[data-state="running"]`);

    await r.page.click(`${stage} [data-action="poweroff"]`);
    await r.page.waitForSelector('[data-testid="confirm"]');
    await r.page.click('[data-confirm="no"]');
    assert.equal(await r.rig.domstate(g3), 'running');
    await r.page.click(`${stage} [data-action="poweroff"]`);
    await r.page.click('[data-testid="confirm"] [data-confirm="yes"]');
    await r.rig.waitForState(g3, 'shut off');
    await r.page.waitForSelector(`${guestCard(g3)}[data-state="shutoff"]`);
    // An off guest shows a big Start on the stage.
    await r.page.waitForSelector(`${stage} .overlay [data-action="start"]`);

    // Behind the app's back: virsh starts it, and the UI follows.
    const bootFrom = r.rig.serial(g3).length;
    await r.rig.virsh('start', g3.uuid);
    await r.page.waitForSelector(`${guestCard(g3)}[data-state="running"]`);
    await r.rig.waitForBoot(g3, bootFrom);
    // Its screen comes back by itself: a new console, live again.
    await waitActive(r.page, g3);
    await markAndCheck(g3, 'MARK-AGAIN');

    await r.rig.virsh('suspend', g1.uuid);
    await r.page.waitForSelector(`${guestCard(g1)}[data-state="paused"]`);
    await r.rig.virsh('resume', g1.uuid);
    await r.page.waitForSelector(`${guestCard(g1)}[data-state="running"]`);
  });

  it('shows a guest that is off with a big Start, and starting it from there works', async () => {
    await r.page.click(guestCard(off));
    await r.page.waitForFunction(
      (uuid) => (document.querySelector('[data-testid="stage"]') as HTMLElement).dataset.activeUuid === uuid,
      off.uuid,
    );
    await r.page.waitForSelector('[data-testid="stage"] .overlay [data-action="start"]');
    await r.screenshot('guest-off');
  });

  it('says what went wrong, in words, when an action fails', async () => {
    // Its disk is gone: libvirt refuses to start it, and the error is shown.
    rmSync(join(r.rig.runDir, `${off.uuid}.qcow2`), { force: true });
    await r.page.click('[data-testid="stage"] .overlay [data-action="start"]');
    const err = await r.page.waitForSelector('[data-testid="error"]');
    assert.match((await err.textContent()) ?? '', /Start failed/);
    assert.match((await err.textContent()) ?? '', /qcow2|No such file|storage/i);
    assert.equal(await r.rig.domstate(off), 'shut off');
    await r.screenshot('error');
  });
});
