import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guestCard, openSwitcher, typeAsPerson, waitActive, type OpenSwitcher } from './switcher-harness.js';
import type { TestGuest } from '../rig/guests.js';

describe('the switcher panels and tools in Chromium, with real guests', () => {
  let r: OpenSwitcher;
  let a: TestGuest;
  let b: TestGuest;
  let locked: TestGuest;
  const stage = '[data-testid="stage"]';

  before(async () => {
    r = await openSwitcher(
      [
        { name: 'pn-a', disk: true, maxVcpus: 2, maxMemoryMiB: 384 },
        { name: 'pn-b' },
        { name: 'pn-locked', vncPassword: 's3kr1t' },
      ],
      (guests) => `${guestCard(guests[1]!)}[data-state="running"]`,
    );
    [a, b, locked] = r.guests as [TestGuest, TestGuest, TestGuest];
  });

  after(async () => {
    await r?.close();
  });

  it('opens a display that has a VNC password, reading it from the guest definition', async () => {
    await r.select(locked);
    await typeAsPerson(r.page, 'echo unlocked-ok >/dev/ttyS0\n');
    await r.rig.waitForSerial(locked, 'unlocked-ok\r\n', 30_000);
  });

  it('types text into the guest as key presses (for guests without a clipboard agent)', async () => {
    await r.select(a);
    await r.page.click(`${stage} .toolbar summary[aria-label="Send keys"]`);
    await r.page.click('text=Type text…');
    await r.page.waitForSelector('[data-testid="type-text"]');
    await r.page.fill('[data-testid="type-text"] textarea', 'echo Typed-OK_"42" >/dev/ttyS0\n');
    await r.page.click('[data-testid="type-text"] button[type="submit"]');
    await r.rig.waitForSerial(a, 'Typed-OK_42\r\n', 30_000);
  });

  it('takes a snapshot from the toolbar and lists it in the snapshots panel', async () => {
    await r.select(a);
    await r.page.click(`${stage} .toolbar [data-action="snapshot"]`);
    await r.page.fill('.modal input[type="text"]', 'from the UI');
    await r.page.fill('.modal textarea', 'taken by a browser test');
    await r.page.click('.modal button[type="submit"]');
    await r.page.waitForSelector('.modal', { state: 'detached' });
    assert.match(await r.rig.virsh('snapshot-list', '--name', a.uuid), /^from the UI$/m);
    await r.page.click(`${stage} .tool-snapshots`);
    await r.page.waitForSelector('[data-testid="snapshots"] [data-snapshot="from the UI"]');
    assert.match((await r.page.textContent('[data-testid="snapshots"]')) ?? '', /taken by a browser test/);
    await r.page.keyboard.press('Escape');
  });

  it('changes vCPUs and memory from the CPU and memory dialog', async () => {
    await r.select(a);
    await r.page.click(`${stage} .toolbar button[aria-label="CPU and memory"]`);
    await r.page.waitForSelector('[data-testid="resources"]');
    await r.page.fill('[data-testid="resources"] input[type="number"] >> nth=0', '2');
    await r.page.fill('[data-testid="resources"] input[type="number"] >> nth=1', '320');
    // Keep it to the next start only.
    await r.page.uncheck('[data-testid="resources"] input[type="checkbox"] >> nth=0');
    await r.page.click('[data-testid="resources"] button[type="submit"]');
    await r.page.waitForSelector('[data-testid="resources"]', { state: 'detached' });
    assert.equal((await r.rig.virsh('vcpucount', '--config', '--current', a.uuid)).trim(), '2');
    assert.match(
      await r.rig.virsh('dumpxml', '--inactive', a.uuid),
      /<currentMemory unit='KiB'>327680<\/currentMemory>/,
    );
  });

  it('reorders guests by drag and drop, and the new order (and slots) are kept', async () => {
    const slotA = await r.page.getAttribute(guestCard(a), 'data-slot');
    const slotB = await r.page.getAttribute(guestCard(b), 'data-slot');
    assert.ok(Number(slotA) < Number(slotB));
    await r.page.dragAndDrop(guestCard(b), guestCard(a));
    await r.page.waitForFunction(
      ([ca, cb]) =>
        Number(document.querySelector(cb!)?.getAttribute('data-slot')) <
        Number(document.querySelector(ca!)?.getAttribute('data-slot')),
      [guestCard(a), guestCard(b)],
    );
    const order = r.app.settings.get().order;
    // Saved by UUID: the order stays with the guests wherever they live.
    assert.ok(order.indexOf(b.uuid) >= 0 && order.indexOf(b.uuid) < order.indexOf(a.uuid));
    // A reload shows the same order.
    await r.page.reload();
    await r.page.waitForSelector(`${guestCard(b)}[data-slot]`);
    assert.ok(
      Number(await r.page.getAttribute(guestCard(b), 'data-slot')) <
        Number(await r.page.getAttribute(guestCard(a), 'data-slot')),
    );
  });

  it('scans through running guests until the first key press', async () => {
    await r.app.settings.update({ scanIntervalSec: 1 });
    await r.select(a);
    await r.page.click(`${stage} .toolbar button[aria-label^="Scan"]`);
    await r.page.waitForFunction(
      (uuid) => (document.querySelector('[data-testid="stage"]') as HTMLElement).dataset.activeUuid !== uuid,
      a.uuid,
      { timeout: 10_000 },
    );
    await r.page.keyboard.press('Shift');
    await r.page.waitForFunction(() => !document.querySelector('.app.scanning'));
    const stopped = await r.page.getAttribute(stage, 'data-active-uuid');
    // A timer of the page's own, set now, fires after every scan tick due within two intervals
    // (one timer queue): had the scan gone on, the stage would have moved before it fires.
    const later = await r.page.evaluate(
      async ({ selector, ms }) => {
        await new Promise((res) => setTimeout(res, ms));
        return (document.querySelector(selector) as HTMLElement).dataset.activeUuid ?? null;
      },
      { selector: stage, ms: 2500 },
    );
    assert.equal(later, stopped, 'the scan went on after a key press');
  });

  it('goes fullscreen with the hotkey and back, the strip out of the way', async () => {
    await r.select(a);
    await r.page.keyboard.press('Control+Alt+KeyF');
    await r.page.waitForFunction(
      () => !!document.fullscreenElement && document.querySelector('.app.fullscreen') !== null,
    );
    await r.page.keyboard.press('Control+Alt+KeyF');
    await r.page.waitForFunction(() => !document.fullscreenElement);
  });

  it('rebinds a hotkey in settings, and the new one works on physical keys', async () => {
    await r.select(a);
    await r.page.click(`${stage} .toolbar button[aria-label="Settings"]`);
    await r.page.waitForSelector('[data-testid="settings"]');
    const nextInput = '[data-testid="settings"] tr:has-text("Next running guest") input';
    await r.page.click(nextInput);
    await r.page.keyboard.press('Control+Alt+KeyN');
    assert.equal(await r.page.getAttribute(nextInput, 'data-binding'), 'Ctrl+Alt+KeyN');
    await r.screenshot('settings');
    await r.page.click('[data-testid="settings"] button[type="submit"]');
    await r.page.waitForSelector('[data-testid="settings"]', { state: 'detached' });
    assert.equal(r.app.settings.get().hotkeys.next, 'Ctrl+Alt+KeyN');
    await r.page.keyboard.press('Control+Alt+KeyN');
    await r.page.waitForFunction(
      (uuid) => (document.querySelector('[data-testid="stage"]') as HTMLElement).dataset.activeUuid !== uuid,
      a.uuid,
    );
  });

  it('works from the keyboard outside the console: focus a guest, P pauses, U resumes, Enter switches', async () => {
    await r.page.focus(guestCard(b));
    await r.page.keyboard.press('p');
    await r.rig.waitForState(b, 'paused');
    await r.page.waitForSelector(`${guestCard(b)}[data-state="paused"]`);
    await r.page.focus(guestCard(b));
    await r.page.keyboard.press('u');
    await r.rig.waitForState(b, 'running');
    await r.page.focus(guestCard(b));
    await r.page.keyboard.press('Enter');
    await waitActive(r.page, b);
    // Every control has a name a screen reader can say.
    const unnamed = await r.page.$$eval(
      'button',
      (bs) => bs.filter((x) => !(x.getAttribute('aria-label') || x.textContent?.trim())).length,
    );
    assert.equal(unnamed, 0);
  });

  it('follows the light theme when asked', async () => {
    await r.app.settings.update({ theme: 'light' });
    await r.page.waitForFunction(() => document.documentElement.dataset.resolvedTheme === 'light');
    await r.page.waitForTimeout(300);
    await r.screenshot('light');
    await r.app.settings.update({ theme: 'system' });
  });
});
