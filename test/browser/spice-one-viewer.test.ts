/**
 * A SPICE display lets one viewer in at a time. Two pages of the app showing the same SPICE guest
 * must not take the display from each other for ever: the page that lost it says so, leaves it to
 * the other, and takes it back only when the user switches to the guest or clicks "Take it back".
 * Real guests, the serve shell, Debian's Chromium.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { SCREENSHOTS, guestCard, startSwitcherRig, waitActive, type SwitcherRig } from './switcher-harness.js';
import type { TestGuest } from '../rig/guests.js';

interface ConsoleInfo {
  key: string;
  status: string;
  waitsForUser: boolean;
  reason?: string;
}
type Debug = { virtswitch: { debugInfo(): { consoles: ConsoleInfo[] } } };

const TAKEN = 'Another viewer most likely took this SPICE display (SPICE lets one viewer in at a time)';
/** How long a page that lost the display is watched for background reconnects (the first retry was 250 ms). */
const QUIET_MS = 5000;

describe('a SPICE display shown by two pages of the app', () => {
  let r: SwitcherRig & { guests: TestGuest[] };
  let spice: TestGuest;
  let vnc: TestGuest;
  let second: Page;
  /** SPICE channels the app opened to the SPICE guest (each session opens several). */
  let spiceOpens = 0;

  const spiceConsole = async (page: Page): Promise<ConsoleInfo | undefined> =>
    (await page.evaluate(() => (window as unknown as Debug).virtswitch.debugInfo())).consoles.find(
      (c) => c.key === spice.uuid,
    );
  /** Waits until `page`'s console of the SPICE guest is in this state. */
  const waitConsole = async (page: Page, want: { status: string; waitsForUser: boolean }): Promise<void> => {
    await page
      .waitForFunction(
        ([key, status, waits]) =>
          (window as unknown as Debug).virtswitch
            .debugInfo()
            .consoles.some((c) => c.key === key && c.status === status && c.waitsForUser === waits),
        [spice.uuid, want.status, want.waitsForUser] as const,
        { timeout: 60_000 },
      )
      .catch(async (e: unknown) => {
        const all = await page.evaluate(() => (window as unknown as Debug).virtswitch.debugInfo());
        throw new Error(`wanted ${JSON.stringify(want)} of ${spice.uuid}, the page has ${JSON.stringify(all)}`, {
          cause: e,
        });
      });
  };

  before(async () => {
    r = await startSwitcherRig([{ name: 'ov-spice', graphics: 'spice' }, { name: 'ov-vnc' }]);
    [spice, vnc] = r.guests as [TestGuest, TestGuest];
    const open = r.app.consoles.open.bind(r.app.consoles);
    r.app.consoles.open = (ref, kind, o) => {
      if (kind === 'spice' && ref.uuid === spice.uuid) spiceOpens++;
      return open(ref, kind, o);
    };
    await Promise.all(r.guests.map((g) => r.rig.waitForBoot(g)));
    await r.page.goto(r.shell.url);
    // Other guests on a shared daemon may push these cards out of the built part of the strip.
    await r.page.fill('[aria-label="Filter guests"]', r.rig.prefix);
    await r.page.click(guestCard(vnc));
    await waitActive(r.page, vnc);
    // The SPICE guest's console connects in the background of the first page.
    await waitConsole(r.page, { status: 'connected', waitsForUser: false });
  });

  after(async () => {
    await r?.close();
  });

  it('the page that lost the display to another viewer says why and does not take it back by itself', async () => {
    second = await r.browser.newPage({ viewport: { width: 1360, height: 820 } });
    await second.addInitScript('window.__name = (f) => f');
    await second.goto(r.shell.url);
    await second.fill('[aria-label="Filter guests"]', r.rig.prefix);
    await second.click(guestCard(spice));
    await waitActive(second, spice);

    await waitConsole(r.page, { status: 'disconnected', waitsForUser: true });
    assert.equal((await spiceConsole(r.page))?.reason, TAKEN);
    // Its card in the strip says so too, in words read out with it.
    const card = r.page.locator(`${guestCard(spice)}.screen-elsewhere`);
    await card.waitFor();
    assert.match((await card.getAttribute('aria-label')) ?? '', /shown elsewhere/);
    await r.page.screenshot({ path: join(SCREENSHOTS, 'spice-taken-card.png') });
    const opens = spiceOpens;
    // A negative claim needs a window: no channel opened, and the second page keeps its screen.
    await new Promise((done) => setTimeout(done, QUIET_MS));
    assert.equal(spiceOpens, opens, 'the first page opened SPICE channels again in the background');
    const still = await spiceConsole(r.page);
    assert.equal(still?.status, 'disconnected');
    assert.equal(still?.waitsForUser, true);
    const other = await spiceConsole(second);
    assert.equal(other?.status, 'connected', `the second page's session held: ${JSON.stringify(other)}`);
  });

  it('switching to the guest takes the display back; the other page then offers "Take it back", which does', async () => {
    await r.page.click(guestCard(spice));
    await waitActive(r.page, spice);
    await waitConsole(second, { status: 'disconnected', waitsForUser: true });
    // The second page shows that guest: its stage says why and offers the button.
    const stage = second.locator('[data-testid="stage"]');
    await stage.getByText(TAKEN).waitFor();
    const opens = spiceOpens;
    await new Promise((done) => setTimeout(done, QUIET_MS));
    assert.equal(spiceOpens, opens, 'the second page took the display back by itself');
    assert.equal((await spiceConsole(r.page))?.status, 'connected', "the first page's session held");

    // The first page took it back: its card no longer says the screen is elsewhere; the second's does.
    await r.page.waitForSelector(`${guestCard(spice)}:not(.screen-elsewhere)[data-state="running"]`);
    await second.waitForSelector(`${guestCard(spice)}.screen-elsewhere`);
    await stage.getByRole('button', { name: 'Take it back' }).click();
    await waitActive(second, spice);
    await waitConsole(r.page, { status: 'disconnected', waitsForUser: true });
  });
});
