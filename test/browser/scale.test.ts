/**
 * The switcher with 500 guests on ten libvirt test-driver hosts (plus the shared test host and
 * qemu:///system), in Chromium through the serve shell: filter, fold, scroll, and a state change
 * made outside the app.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { changeSharedTestGuest } from '../rig/scale-hosts.js';
import { builtCards, startScaleSwitcher, type ScaleSwitcher } from './scale-harness.js';

const FILTER = 'input[aria-label="Filter guests"]';
const card = (name: string): string => `[data-testid="guest"][data-name="${name}"]`;

async function activeName(page: Page, name: string): Promise<void> {
  await page.waitForSelector(`[data-testid="stage"][data-active-name="${name}"]`, { timeout: 10_000 });
}

async function setFilter(page: Page, text: string): Promise<void> {
  await page.fill(FILTER, text);
}

describe('the switcher with 500 guests on ten test hosts', () => {
  let r: ScaleSwitcher;

  before(async () => {
    r = await startScaleSwitcher();
    await r.page.goto(r.shell.url);
    await r.page.waitForSelector(card('r01-vm-001'));
  });

  after(async () => {
    await r?.close();
  });

  it('lists every host by its own name, builds only the rows in view, and scrolls to the last guest', async () => {
    const labels = (): Promise<string[]> =>
      r.page.$$eval('[data-host-group] .host-name', (els) => els.map((e) => e.textContent ?? ''));
    assert.equal((await labels())[0], 'rack-01 (test)');
    // 500 guests: the dense list, chosen by itself, and far fewer rows built than guests.
    assert.equal(await r.page.getAttribute('button[aria-label="Dense list"]', 'aria-pressed'), 'true');
    const built = await builtCards(r.page);
    assert.ok(built.length > 10 && built.length < 120, `${built.length} cards built`);
    const noDisplay = built.find((c) => c.state === 'running')!;
    assert.equal(await r.page.textContent(`${card(noDisplay.name)} .state-label`), 'no display');
    await r.screenshot('scale-list');
    await r.page.$eval('.host-groups', (el) => el.scrollTo(0, el.scrollHeight));
    await r.page.waitForSelector(card('r10-vm-050'));
    // The last hosts: the shared test host and this computer, each by its own name.
    const last = await labels();
    assert.ok(last.includes('test host') && last.includes('this computer'), JSON.stringify(last));
    assert.equal(await r.page.$(card('r01-vm-001')), null, 'the first rows were dropped once out of view');
    await r.screenshot('scale-list-end');
    await r.page.$eval('.host-groups', (el) => el.scrollTo(0, 0));
    await r.page.waitForSelector(card('r01-vm-001'));
  });

  it('filters the strip by name, host and state; Enter switches to the first match', async () => {
    await setFilter(r.page, 'rack-04 paused');
    await r.page.waitForFunction(() => document.querySelectorAll('[data-testid="guest"]').length === 5);
    const shown = await builtCards(r.page);
    assert.deepEqual(
      shown.map((c) => c.name),
      ['r04-vm-003', 'r04-vm-013', 'r04-vm-023', 'r04-vm-033', 'r04-vm-043'],
    );
    assert.ok(shown.every((c) => c.state === 'paused'));
    await r.screenshot('scale-filter');
    await r.page.press(FILTER, 'Enter');
    await activeName(r.page, 'r04-vm-003');
  });

  it('narrows the OSD picker by the same filter, and the picker filters as you type', async () => {
    await setFilter(r.page, 'r05 paused');
    await r.page.keyboard.press('ScrollLock');
    await r.page.keyboard.press('ScrollLock');
    await r.page.waitForSelector('[data-testid="osd"]');
    const inOsd = await r.page.$$eval('.osd-item', (els) => els.map((e) => (e as HTMLElement).dataset.name));
    assert.deepEqual(inOsd, ['r05-vm-003', 'r05-vm-013', 'r05-vm-023', 'r05-vm-033', 'r05-vm-043']);
    await r.screenshot('scale-osd-filter');
    await r.page.keyboard.press('Enter');
    await activeName(r.page, 'r05-vm-003');
    await setFilter(r.page, '');
    await r.page.keyboard.press('ScrollLock');
    await r.page.keyboard.press('ScrollLock');
    await r.page.waitForSelector('[data-testid="osd"]');
    for (const k of ['KeyR', 'Digit0', 'Digit9', 'Minus', 'KeyV', 'KeyM', 'Minus', 'Digit0', 'Digit1', 'Digit1'])
      await r.page.keyboard.press(k);
    await r.page.waitForFunction(() => document.querySelectorAll('.osd-item').length === 1);
    await r.page.keyboard.press('Enter');
    await activeName(r.page, 'r09-vm-011');
  });

  it('folds a host: its guests leave the strip, and its slots keep working', async () => {
    await setFilter(r.page, '');
    await r.page.click('button[aria-label="Fold rack-01 (test)"]');
    await r.page.waitForSelector(card('r01-vm-001'), { state: 'detached' });
    assert.equal(await r.page.getAttribute('button[aria-label="Unfold rack-01 (test)"]', 'aria-expanded'), 'false');
    assert.ok((await builtCards(r.page)).every((c) => !c.host.endsWith('rack-01.xml')));
    await r.screenshot('scale-folded');
    await r.page.keyboard.press('Control+Alt+Digit5');
    await activeName(r.page, 'r01-vm-005');
    await r.page.click('button[aria-label="Unfold rack-01 (test)"]');
    await r.page.waitForSelector(card('r01-vm-001'));
  });

  it('shows a state change made with virsh on a test host within a second', async () => {
    await setFilter(r.page, r.shared.name);
    await r.page.waitForSelector(`${card(r.shared.name)}[data-state="running"]`);
    // The second is counted from virsh's return (the daemon has made the change), so the time
    // virsh itself takes to start and connect is not charged to the app.
    for (const [verb, state] of [
      ['suspend', 'paused'],
      ['resume', 'running'],
      ['destroy', 'shutoff'],
      ['start', 'running'],
    ] as const) {
      await changeSharedTestGuest(r.shared.name, verb);
      const t0 = Date.now();
      await r.page.waitForSelector(`${card(r.shared.name)}[data-state="${state}"]`, { timeout: 1_000 });
      console.log(`# virsh ${verb} returned → card shows ${state}: ${Date.now() - t0} ms`);
    }
  });
});
