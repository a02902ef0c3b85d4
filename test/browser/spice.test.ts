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
import { SYSTEM_URI, type TestGuest } from '../rig/guests.js';
import { waitFor } from '../rig/wait.js';
import { spiceKeyEvents, spiceKeyLog, tapSpice } from './spice-ledger.js';

interface DebugInfo {
  active?: string;
  consoles: { key: string; status: string; held: boolean; bytesIn: number }[];
}

describe('SPICE consoles in the browser, real guests', () => {
  let r: SwitcherRig & { guests: TestGuest[] };
  let spice: TestGuest;
  let vnc: TestGuest;
  let both: TestGuest[];
  const pageErrors: string[] = [];

  const slotOf = async (g: TestGuest): Promise<string> => (await r.page.getAttribute(guestCard(g), 'data-slot')) ?? '';
  /**
   * Hands the keyboard to `g` by hotkey: its slot when it has one (other guests on the daemon may
   * hold slots 1–9), else back-to-last after visiting it.
   */
  const hotkeySwitch = async (g: TestGuest): Promise<void> => {
    const slot = await slotOf(g);
    if (slot) await r.page.keyboard.press(`Control+Alt+Digit${slot}`);
    else {
      const other = g === spice ? vnc : spice;
      await r.page.click(guestCard(g));
      await waitActive(r.page, g);
      await r.page.click(guestCard(other));
      await waitActive(r.page, other);
      await r.page.keyboard.press('Control+Alt+Backquote');
    }
    await waitActive(r.page, g);
  };
  const markAndCheck = async (target: TestGuest, marker: string): Promise<void> => {
    await typeAsPerson(r.page, `echo ${marker} >/dev/ttyS0\n`);
    await r.rig.waitForSerial(target, `${marker}\r\n`, 30_000).catch(async (e: unknown) => {
      // What the page's consoles were doing, to tell a lost key from a lost connection.
      const mine = (await debugInfo()).consoles.filter((c) => both.some((g) => c.key.startsWith(g.uuid)));
      console.error(JSON.stringify(mine), pageErrors.slice(-20).join('\n'));
      console.error('SPICE key messages:', JSON.stringify(spiceKeyLog.get(spice.uuid)));
      throw e;
    });
    for (const other of both.filter((g) => g !== target))
      assert.ok(!r.rig.serial(other).includes(marker), `${marker} also reached ${other.name}`);
  };
  const debugInfo = (): Promise<DebugInfo> =>
    r.page.evaluate(() => (window as unknown as { virtswitch: { debugInfo(): DebugInfo } }).virtswitch.debugInfo());

  before(async () => {
    r = await startSwitcherRig([{ name: 'sp-spice', graphics: 'spice' }, { name: 'sp-vnc' }]);
    [spice, vnc] = r.guests as [TestGuest, TestGuest];
    both = [spice, vnc];
    // The SPICE channels are tapped too: the ledger reads what the guest's keyboard was told.
    const open = r.app.consoles.open.bind(r.app.consoles);
    r.app.consoles.open = async (ref, kind, o) => {
      const ch = await open(ref, kind, o);
      return kind === 'spice' ? tapSpice(r.keys, ref.uuid, ch) : ch;
    };
    await Promise.all(both.map((g) => r.rig.waitForBoot(g)));
    r.page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') pageErrors.push(m.text());
    });
    await r.page.goto(r.shell.url);
    await r.page.waitForSelector(`${guestCard(spice)}[data-state="running"]`);
  });

  after(async () => {
    await r?.close();
  });

  it("shows a SPICE-only guest's screen on the stage, and typing after a hotkey switch lands on it only", async () => {
    await hotkeySwitch(spice);
    assert.ok(await r.page.$('.console.active.spice-console canvas'), 'the active console is a SPICE one');
    await markAndCheck(spice, 'SPICE-ONE');
    await r.page.screenshot({ path: join(SCREENSHOTS, 'spice-stage.png') });

    await hotkeySwitch(vnc);
    await markAndCheck(vnc, 'VNC-ONE');
    await hotkeySwitch(spice);
    await markAndCheck(spice, 'SPICE-TWO');
    // The hotkeys themselves reached no guest.
    for (const g of both) assert.doesNotMatch(r.rig.serial(g), /`/);
  });

  it('leaves no key down in either guest after switching back and forth with modifiers held', async () => {
    const eventsBefore = r.keys.events;
    const spiceBefore = spiceKeyEvents.get(spice.uuid) ?? 0;
    for (let i = 0; i < 3; i++) {
      await hotkeySwitch(vnc);
      await typeAsPerson(r.page, 'Ab');
      await hotkeySwitch(spice);
      await typeAsPerson(r.page, 'Cd');
    }
    await r.page.keyboard.press('Control+KeyU'); // clears the typed line in both shells' line editors
    // The main process spaces SPICE key messages out (25 ms apart) and the ledger reads them as
    // they go: wait until they all went out — at least the 26 typed on the SPICE side, and no key
    // down in either guest (a key really left down stays down, and the assertions below say so).
    await waitFor(
      'the typed keys to reach the guests, none left down',
      () =>
        (spiceKeyEvents.get(spice.uuid) ?? 0) - spiceBefore >= 26 &&
        both.every((g) => r.keys.held(g.uuid).length === 0),
      10_000,
    ).catch(() => undefined);
    assert.ok(r.keys.events > eventsBefore + 20, `the ledger read the keys (${r.keys.events - eventsBefore})`);
    // Cd three times, with Shift, and Ctrl+U: at least 2 × 13 key messages on the SPICE inputs channel.
    assert.ok((spiceKeyEvents.get(spice.uuid) ?? 0) - spiceBefore >= 26, 'the ledger read the SPICE keys');
    for (const g of both)
      assert.deepEqual(
        r.keys.held(g.uuid),
        [],
        `${g.name} still holds keys down; SPICE key messages: ${JSON.stringify(spiceKeyLog.get(spice.uuid))}`,
      );
    await markAndCheck(spice, 'SPICE-PLAIN');
  });

  it("takes a screenshot of a SPICE-only guest (QEMU's screendump through libvirt), the size of its SPICE screen", async () => {
    const s = r.app.session();
    const shot = (await s.invoke('guest.screenshot', { host: SYSTEM_URI, uuid: spice.uuid })) as {
      mime: string;
      base64: string;
    };
    s.close();
    // QEMU writes a PPM or PNG: read the size off its header.
    const bytes = Buffer.from(shot.base64, 'base64');
    const ppm = /^P6\s+(\d+)\s+(\d+)\s/.exec(bytes.subarray(0, 32).toString('latin1'));
    const size = ppm ? [Number(ppm[1]), Number(ppm[2])] : [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
    const canvas = await r.page.evaluate((uuid) => {
      const el = document.querySelector(`.spice-console[data-console^="${uuid}"] canvas`) as HTMLCanvasElement | null;
      return el ? [el.width, el.height] : [];
    }, spice.uuid);
    assert.deepEqual(size, canvas, `screenshot (${shot.mime}) and SPICE screen sizes`);
  });

  it('holds back the SPICE display in the background and keeps its thumbnail live', async () => {
    await hotkeySwitch(vnc);
    await r.page.waitForFunction(
      (key) =>
        (window as unknown as { virtswitch: { debugInfo(): DebugInfo } }).virtswitch
          .debugInfo()
          .consoles.some((c) => c.key === key && c.held),
      spice.uuid,
    );
    await r.page.waitForSelector(`${guestCard(spice)}.has-thumb`, { timeout: 30_000 });
    const info = await debugInfo();
    assert.equal(info.consoles.find((c) => c.key.startsWith(spice.uuid))?.status, 'connected');
  });
});
