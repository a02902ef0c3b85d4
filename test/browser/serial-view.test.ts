/**
 * The serial console view in Chromium with a real guest: xterm.js is not part of the page's start
 * (its chunk is fetched when the first serial console opens), and once open the view shows what
 * the guest writes to its serial port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guestCard, openSwitcher, typeAsPerson, waitActive, type OpenSwitcher } from './switcher-harness.js';
import type { TestGuest } from '../rig/guests.js';

/** The page's script files fetched so far, by name. */
function scripts(r: OpenSwitcher): Promise<string[]> {
  return r.page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => e.name.replace(/.*\//, ''))
      .filter((n) => n.endsWith('.js')),
  );
}

describe('the serial console view, loaded on first use', () => {
  let r: OpenSwitcher;
  let g: TestGuest;

  before(async () => {
    r = await openSwitcher([{ name: 'serial-view' }], (d) => `${guestCard(d[0]!)}[data-state="running"]`);
    g = r.guests[0]!;
    await r.select(g);
  });

  after(async () => {
    await r?.close();
  });

  it('starts without xterm.js, fetches it when the serial console opens, and shows the guest’s output', async () => {
    assert.ok(!(await scripts(r)).some((n) => n.startsWith('xterm-')), 'xterm.js was fetched before it was needed');
    await r.page.getByRole('button', { name: 'Show the serial console' }).click();
    await r.page.waitForSelector('.serial-panel:not([hidden]) .xterm', { timeout: 30_000 });
    assert.ok((await scripts(r)).some((n) => n.startsWith('xterm-')));
    // Written on the guest's screen (its VNC console), to its serial port: the view must show it.
    await r.page.click('.console.active canvas');
    await waitActive(r.page, g);
    const marker = `vs-serial-${process.pid}`;
    await typeAsPerson(r.page, `echo ${marker} >/dev/ttyS0\n`);
    await r.rig.waitForSerial(g, marker, 60_000);
    await r.page.waitForFunction(
      (m) => document.querySelector('.serial-panel .xterm-rows')?.textContent?.includes(m) ?? false,
      marker,
      { timeout: 10_000 },
    );
  });
});
