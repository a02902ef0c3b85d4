/**
 * The Details panel in Chromium with real guests through the serve shell: it opens beside the
 * live screen, shows what the guest agent tells, and its switches and button do what they say —
 * checked with virsh, on the guest's serial port and in the downloaded file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openSwitcher, guestCard, typeAsPerson, waitActive, type OpenSwitcher } from './switcher-harness.js';
import type { TestGuest } from '../rig/guests.js';

describe('the Details panel in Chromium, with a real guest', () => {
  let r: OpenSwitcher;
  let g: TestGuest;
  const panel = 'aside.details-panel';

  before(async () => {
    // Other test runs' guests share the host, so the card may be out of view: wait for it in the page.
    r = await openSwitcher([{ name: 'dt-a', agent: true }], () => '[data-testid="stage"]');
    await r.page.waitForSelector(`${guestCard(r.guests[0]!)}[data-state="running"]`, {
      state: 'attached',
      timeout: 60_000,
    });
    g = r.guests[0]!;
    await r.select(g);
  });

  after(async () => {
    await r?.close();
  });

  it('opens beside the screen, which stays live, and shows the agent’s hostname and addresses', async () => {
    await r.page.getByRole('button', { name: 'Details', exact: true }).click();
    await r.page.waitForSelector(`${panel}:not([hidden])`);
    assert.equal(await r.page.getAttribute('[aria-label="Details"]', 'aria-pressed'), 'true');
    assert.ok(await r.page.isVisible('.console.active canvas'), 'the screen still shows');
    const hostname = g.name.replace(/[^A-Za-z0-9]/g, '-');
    // The agent answers once the guest has booted its qemu-ga; the panel asks again when it connects.
    await r.page.waitForSelector(`${panel} .details-overview[data-agent-source="agent"]`, { timeout: 120_000 });
    const hostnameRow = await r.page.evaluate((sel) => {
      const dts = [...document.querySelectorAll(`${sel} .details-overview dt`)];
      return dts.find((dt) => dt.textContent === 'Hostname')?.nextElementSibling?.textContent;
    }, panel);
    assert.equal(hostnameRow, hostname);
    assert.match((await r.page.textContent(panel)) ?? '', /Guest agentconnected/);
    await r.page.waitForFunction((sel) => document.querySelectorAll(`${sel} canvas`).length === 4, panel);
    // The graphs fill in as stats arrive (sampled every few seconds): a line needs two.
    await r.page.waitForFunction(
      (sel) => Number((document.querySelector(`${sel} .details-graphs`) as HTMLElement).dataset.samples) >= 3,
      panel,
      { timeout: 60_000 },
    );
    assert.ok(
      await r.page.evaluate(
        (sel) => [...document.querySelectorAll(`${sel} .spark-value`)].every((e) => e.textContent !== '–'),
        panel,
      ),
    );
    await r.screenshot('details-panel');
  });

  it('View only: typing changes nothing on the serial port; off again, the marker arrives', async () => {
    const viewOnly = r.page.getByRole('switch', { name: 'View only' });
    await viewOnly.click();
    assert.equal(await viewOnly.getAttribute('aria-checked'), 'true');
    await r.page.click('.console.active canvas');
    await typeAsPerson(r.page, 'echo viewonly-leak >/dev/ttyS0\n');
    await new Promise((res) => setTimeout(res, 3000));
    await assert.rejects(r.rig.waitForSerial(g, 'viewonly-leak\r\n', 2000));
    await viewOnly.click();
    assert.equal(await viewOnly.getAttribute('aria-checked'), 'false');
    await r.page.click('.console.active canvas');
    await waitActive(r.page, g);
    await typeAsPerson(r.page, 'echo viewonly-off >/dev/ttyS0\n');
    await r.rig.waitForSerial(g, 'viewonly-off\r\n', 30_000);
  });

  it('remembers View only per guest in the settings', async () => {
    const key = g.uuid;
    const saved = (): boolean => r.app.state().settings.viewOnly?.some((k) => k === key) ?? false;
    await r.page.getByRole('switch', { name: 'View only' }).click();
    for (let i = 0; i < 50 && !saved(); i++) await new Promise((res) => setTimeout(res, 100));
    assert.ok(saved(), 'the settings hold the guest as view only');
    await r.page.getByRole('switch', { name: 'View only' }).click();
    for (let i = 0; i < 50 && saved(); i++) await new Promise((res) => setTimeout(res, 100));
    assert.ok(!saved(), 'and forget it again');
  });

  it('Autostart switch: virsh dominfo shows it on, then off', async () => {
    const autostart = r.page.getByRole('switch', { name: 'Autostart' });
    assert.equal(await autostart.getAttribute('aria-checked'), 'false');
    await autostart.click();
    await r.page.waitForSelector(`${panel} [role="switch"][aria-checked="true"]:has-text("Autostart")`);
    assert.match(await r.rig.virsh('dominfo', g.uuid), /Autostart:\s+enable/);
    await autostart.click();
    await r.page.waitForSelector(`${panel} [role="switch"][aria-checked="false"]:has-text("Autostart")`);
    assert.match(await r.rig.virsh('dominfo', g.uuid), /Autostart:\s+disable/);
  });

  it('Screenshot saves a PNG named after the guest and the time', async () => {
    const [download] = await Promise.all([
      r.page.waitForEvent('download'),
      r.page.getByRole('button', { name: 'Screenshot' }).click(),
    ]);
    const name = download.suggestedFilename();
    const stem = g.name.replace(/[\\/:*?"<>|]/g, '_');
    assert.match(name, new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{8}-\\d{6}\\.png$`));
    const path = await download.path();
    const bytes = readFileSync(path);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(bytes.length > 1000);
    assert.deepEqual(r.dialogs, []);
  });

  it('Edit XML: shows the changes, says in words what libvirt refuses, saves what it accepts', async () => {
    await r.page.getByRole('button', { name: 'Edit XML', exact: true }).click();
    const dlg = '[data-testid="edit-xml"]';
    await r.page.waitForSelector(`${dlg} textarea:not([disabled])`);
    const xml = await r.page.inputValue(`${dlg} textarea`);
    assert.match(xml, new RegExp(`<uuid>${g.uuid}</uuid>`));
    await r.page.fill(`${dlg} textarea`, xml.replace('<devices>', '<devices>\n    <no-such-device/>'));
    await r.page.click(`${dlg} button:has-text("Show changes")`);
    assert.match((await r.page.textContent(`${dlg} .xml-diff`)) ?? '', /\+ +<no-such-device\/>/);
    await r.page.click(`${dlg} button:has-text("Save")`);
    await r.page.waitForFunction(
      (sel) => (document.querySelector(`${sel} [role="alert"]`)?.textContent ?? '') !== '',
      dlg,
    );
    const refusal = (await r.page.textContent(`${dlg} [role="alert"]`)) ?? '';
    assert.match(refusal, /validate|schema|no-such-device/i, refusal);
    assert.doesNotMatch(await r.rig.virsh('dumpxml', '--inactive', g.uuid), /no-such-device/);
    const edited = xml.replace(/<\/name>/, '</name>\n  <description>edited in virtswitch</description>');
    await r.page.fill(`${dlg} textarea`, edited);
    await r.page.click(`${dlg} button:has-text("Save")`);
    await r.page.waitForSelector(dlg, { state: 'detached', timeout: 30_000 });
    assert.match(
      await r.rig.virsh('dumpxml', '--inactive', g.uuid),
      /<description>edited in virtswitch<\/description>/,
    );
    await r.screenshot('details-edit-xml');
  });

  it('Networks: a network made from the dialog shows in virsh net-list, an overlapping one is refused, and it is deleted', async () => {
    const name = `vst${process.pid}-net`;
    const third = 20 + (process.pid % 200);
    try {
      await r.page.getByRole('button', { name: 'Networks', exact: true }).click();
      const dlg = '[data-testid="networks"]';
      await r.page.waitForSelector(`${dlg} [data-network="default"]`);
      const form = `${dlg} form[aria-label="New network"]`;
      await r.page.fill(`${form} input[aria-label="Name"]`, name);
      await r.page.fill(`${form} input[aria-label="Host address"]`, `10.${third}.0.1`);
      await r.page.fill(`${form} input[aria-label="DHCP from"]`, `10.${third}.0.100`);
      await r.page.fill(`${form} input[aria-label="DHCP to"]`, `10.${third}.0.200`);
      await r.page.click(`${form} button[type="submit"]`);
      await r.page.waitForSelector(`${dlg} [data-network="${name}"]:has-text("active")`, { timeout: 30_000 });
      assert.match(await r.rig.virsh('net-list', '--all'), new RegExp(`${name}\\s+active`));
      assert.match(
        await r.rig.virsh('net-dumpxml', name),
        new RegExp(`<range start='10.${third}.0.100' end='10.${third}.0.200'`),
      );
      // The same subnet again, under another name: refused before libvirt is asked.
      await r.page.fill(`${form} input[aria-label="Name"]`, `${name}2`);
      await r.page.fill(`${form} input[aria-label="Host address"]`, `10.${third}.0.5`);
      await r.page.click(`${form} button[type="submit"]`);
      await r.page.waitForSelector(`.toasts :text("overlaps network")`);
      const toast = (await r.page.textContent('.toasts')) ?? '';
      assert.match(toast, new RegExp(`10.${third}.0.5/24 overlaps network "${name}"`));
      assert.doesNotMatch(await r.rig.virsh('net-list', '--all'), new RegExp(`${name}2`));
      await r.screenshot('details-networks');
      await r.page.click(`${dlg} [data-network="${name}"] button:has-text("Delete")`);
      await r.page.waitForSelector(`${dlg} [data-network="${name}"]`, { state: 'detached', timeout: 30_000 });
      assert.doesNotMatch(await r.rig.virsh('net-list', '--all'), new RegExp(name));
      await r.page.keyboard.press('Escape');
    } finally {
      await r.rig.virshResult('net-destroy', name);
      await r.rig.virshResult('net-undefine', name);
    }
  });
});
