/**
 * SPICE consoles in Chromium, through the serve shell, with a real SPICE-only guest (QXL video,
 * as virt-manager makes them) among VNC guests: its screen on the stage through spice-html5 over
 * the app's own channels, keyboard routing by hotkey, no key left down, a live thumbnail, and its
 * display held back in the background.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  guestCard,
  SCREENSHOTS,
  startSwitcherRig,
  typeAsPerson,
  waitActive,
  type SwitcherRig,
} from './switcher-harness.js';
import type { TestGuest } from '../rig/guests.js';

interface DebugInfo {
  active?: string;
  consoles: { key: string; status: string; held: boolean; bytesIn: number }[];
}

describe('SPICE consoles in the browser, real guests', () => {
  let r: SwitcherRig & { guests: TestGuest[] };
  let spice: TestGuest;
  let vnc: TestGuest;
  let both: TestGuest[];

  const slotOf = async (g: TestGuest): Promise<string> => (await r.page.getAttribute(guestCard(g), 'data-slot')) ?? '';
  const markAndCheck = async (target: TestGuest, marker: string): Promise<void> => {
    await typeAsPerson(r.page, `echo ${marker} >/dev/ttyS0\n`);
    await r.rig.waitForSerial(target, `${marker}\r\n`, 30_000);
    for (const other of both.filter((g) => g !== target))
      assert.ok(!r.rig.serial(other).includes(marker), `${marker} also reached ${other.name}`);
  };
  const debugInfo = (): Promise<DebugInfo> =>
    r.page.evaluate(() => (window as unknown as { virtswitch: { debugInfo(): DebugInfo } }).virtswitch.debugInfo());

  before(async () => {
    r = await startSwitcherRig([{ name: 'sp-spice', graphics: 'spice' }, { name: 'sp-vnc' }]);
    [spice, vnc] = r.guests as [TestGuest, TestGuest];
    both = [spice, vnc];
    // Other guests on the daemon must not take the slots: ours come first.
    r.app.settings.update({ order: both.map((g) => `${g.uuid}@qemu:///system`) });
    await Promise.all(both.map((g) => r.rig.waitForBoot(g)));
    await r.page.goto(r.shell.url);
    await r.page.waitForSelector(`${guestCard(spice)}[data-state="running"]`);
  });

  after(async () => {
    await r?.close();
  });

  it("shows a SPICE-only guest's screen on the stage, and typing after a hotkey switch lands on it only", async () => {
    await r.page.keyboard.press(`Control+Alt+Digit${await slotOf(spice)}`);
    await waitActive(r.page, spice);
    assert.ok(await r.page.$('.console.active.spice-console canvas'), 'the active console is a SPICE one');
    await markAndCheck(spice, 'SPICE-ONE');
    await r.page.screenshot({ path: join(SCREENSHOTS, 'spice-stage.png') });

    await r.page.keyboard.press(`Control+Alt+Digit${await slotOf(vnc)}`);
    await waitActive(r.page, vnc);
    await markAndCheck(vnc, 'VNC-ONE');
    await r.page.keyboard.press(`Control+Alt+Digit${await slotOf(spice)}`);
    await waitActive(r.page, spice);
    await markAndCheck(spice, 'SPICE-TWO');
    // The hotkeys themselves reached no guest.
    for (const g of both) assert.doesNotMatch(r.rig.serial(g), /`/);
  });

  it('holds back the SPICE display in the background and keeps its thumbnail live', async () => {
    await r.page.keyboard.press(`Control+Alt+Digit${await slotOf(vnc)}`);
    await waitActive(r.page, vnc);
    await r.page.waitForFunction(
      (key) =>
        (window as unknown as { virtswitch: { debugInfo(): DebugInfo } }).virtswitch
          .debugInfo()
          .consoles.some((c) => c.key === key && c.held),
      `${spice.uuid}@qemu:///system`,
    );
    await r.page.waitForSelector(`${guestCard(spice)}.has-thumb`, { timeout: 30_000 });
    const info = await debugInfo();
    assert.equal(info.consoles.find((c) => c.key.startsWith(spice.uuid))?.status, 'connected');
  });
});
