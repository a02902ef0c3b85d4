/**
 * In Chromium through the serve shell, with a real guest and real libvirtds: the host's details
 * panel against virsh nodeinfo / version / capabilities (and a per-user daemon run as a user
 * outside the group kvm, whose panel says "emulation" and how to get KVM); the action palette
 * and the Details hotkey over a focused console, checked with virsh and on the guest's serial
 * port (no stray key reaches the guest); and View only refusing keys and typed text.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openSwitcher, guestCard, typeAsPerson, waitActive, type OpenSwitcher } from './switcher-harness.js';
import type { TestGuest } from '../rig/guests.js';
import { run } from '../rig/exec.js';
import { waitFor } from '../rig/wait.js';
import { useUserDaemons, type UserDaemon } from '../integration/user-daemon.js';

/** A number from a `virsh nodeinfo`-style line: "CPU(s):  2". */
function field(text: string, label: string): number {
  const m = new RegExp(`^${label.replace(/[()]/g, '\\$&')}:\\s+(\\d+)`, 'm').exec(text);
  assert.ok(m, `${label} in ${text}`);
  return Number(m[1]);
}

describe('host details, the action palette and View only in Chromium, with a real guest', () => {
  const users = useUserDaemons();
  let session: UserDaemon;
  let r: OpenSwitcher;
  let g: TestGuest;
  const fact = async (name: string): Promise<string> =>
    (await r.page.textContent(`[data-testid="host-details"] dd[data-fact="${name}"]`)) ?? '';

  before(async () => {
    // A per-user daemon as nobody (not in the group kvm): a host whose QEMU can't use /dev/kvm.
    session = await users.daemon('session');
    r = await openSwitcher([{ name: 'pal-a' }], () => '[data-testid="stage"]', {
      uris: ['qemu:///system', session.uri('qemu:///session')],
    });
    g = r.guests[0]!;
    await r.page.waitForSelector(`${guestCard(g)}[data-state="running"]`, { state: 'attached', timeout: 60_000 });
    await r.select(g);
  });

  after(async () => {
    await r?.close();
  });

  /** Opens a host's details from its menu in the strip and waits until the host has answered. */
  async function openHostDetails(uri: string): Promise<void> {
    const header = `.host-header[data-host-group="${uri}"]`;
    await r.page.click(`${header} .host-menu summary`);
    await r.page.click(`${header} .host-menu [role="menuitem"]:has-text("Host details")`);
    await r.page.waitForSelector('[data-testid="host-details"] .host-details-body[data-loaded="true"]', {
      timeout: 60_000,
    });
  }

  it("the host's panel says what virsh nodeinfo, version and capabilities say", async () => {
    const before = (await r.rig.virsh('list', '--all', '--name')).split('\n').filter(Boolean).length;
    await openHostDetails('qemu:///system');
    const after = (await r.rig.virsh('list', '--all', '--name')).split('\n').filter(Boolean).length;
    const nodeinfo = await r.rig.virsh('nodeinfo');
    const version = await r.rig.virsh('version');
    const caps = await r.rig.virsh('capabilities');
    const cpus = field(nodeinfo, 'CPU(s)');
    const sockets = field(nodeinfo, 'CPU socket(s)');
    const cores = field(nodeinfo, 'Core(s) per socket');
    const threads = field(nodeinfo, 'Thread(s) per core');
    const topology = await fact('topology');
    assert.match(
      topology,
      new RegExp(
        `^${cpus} logical CPUs?: ${sockets} sockets?, ${cores} cores? per socket, ${threads} threads? per core`,
      ),
    );
    const dl = '[data-testid="host-details"] .host-details';
    assert.equal(Number(await r.page.getAttribute(dl, 'data-memory-kib')), field(nodeinfo, 'Memory size'));
    const free = Number(await r.page.getAttribute(dl, 'data-free-kib'));
    const freecell = field(await r.rig.virsh('freecell', '--all'), 'Total');
    assert.ok(Math.abs(free - freecell) < freecell * 0.2, `free ${free} KiB against virsh freecell ${freecell} KiB`);
    assert.match(await fact('memory'), /total, .* free \(\d+% in use\)/);
    const libvirt = /Using library: libvirt (\S+)/.exec(version)![1]!;
    const hypervisor = /Running hypervisor: (\S+ \S+)/.exec(version)![1]!;
    assert.equal(await fact('libvirt'), libvirt);
    assert.equal(await fact('hypervisor'), hypervisor);
    // KVM as libvirt offers it: a 'kvm' domain type in the capabilities.
    const kvm = /<domain type='kvm'/.test(caps);
    assert.equal(await fact('kvm'), kvm ? 'usable' : 'not usable');
    assert.match(await fact('hardware-virt'), kvm ? /^(VT-x|AMD-V)$/ : /./);
    assert.equal(await r.page.isVisible('.host-kvm-fix'), !kvm, 'the fix shows only when KVM is missing');
    const guests = /^(\d+) active \(running or paused\), (\d+) defined$/.exec(await fact('guests'));
    assert.ok(guests, await fact('guests'));
    // Other test runs define and remove guests meanwhile: the count lies between the two readings.
    const defined = Number(guests[2]);
    assert.ok(
      defined >= Math.min(before, after) && defined <= Math.max(before, after),
      `${defined} of ${before}–${after}`,
    );
    assert.ok(Number(guests[1]) >= 1 && Number(guests[1]) <= defined);
    const model = /<model>([^<]+)<\/model>/.exec(caps)![1]!;
    assert.match(await fact('cpu-model'), new RegExp(model));
    await r.screenshot('host-details-system');
    await r.page.keyboard.press('Escape');
  });

  it('a host whose QEMU cannot open /dev/kvm: emulation, and the fix in words (group kvm)', async () => {
    const uri = session.uri('qemu:///session');
    const caps = await run('virsh', ['-c', uri, 'capabilities']);
    assert.equal(caps.code, 0, caps.stderr);
    assert.doesNotMatch(caps.stdout, /<domain type='kvm'/, 'nobody is not in the group kvm');
    // The strip builds only the rows in view: fold this computer's guests to bring the host's row up.
    await r.page.getByRole('button', { name: 'Fold this computer', exact: true }).click();
    await openHostDetails(uri);
    assert.equal(await fact('kvm'), 'not usable');
    assert.match(await fact('guests-run'), /emulation \(TCG\)/);
    const fix = (await r.page.textContent('.host-kvm-fix')) ?? '';
    assert.match(fix, /To get KVM: /);
    assert.match(fix, /usermod -aG kvm/);
    assert.match(fix, /modprobe kvm_/);
    await r.screenshot('host-details-no-kvm');
    await r.page.keyboard.press('Escape');
    await r.page.getByRole('button', { name: 'Unfold this computer', exact: true }).click();
    await r.select(g);
  });

  it('the palette chord over a focused console: an action picked by typing changes libvirt’s state, and no key reaches the guest', async () => {
    await waitActive(r.page, g);
    await r.page.keyboard.press('Control+Alt+KeyP');
    const palette = '[data-testid="palette"]';
    await r.page.waitForSelector(palette);
    assert.ok(await r.page.evaluate(() => document.activeElement?.classList.contains('palette-input')));
    assert.ok((await r.page.$$(`${palette} [role="option"]`)).length > 20, 'every action is listed');
    await r.screenshot('palette-open');
    await r.page.keyboard.type('pause');
    assert.equal(await r.page.textContent(`${palette} [aria-selected="true"] .palette-label`), 'Pause');
    await r.screenshot('palette-pause');
    await r.page.keyboard.press('Enter');
    await r.rig.waitForState(g, 'paused');
    await r.page.waitForSelector(palette, { state: 'detached' });
    await r.page.keyboard.press('Control+Alt+KeyP');
    await r.page.waitForSelector(palette);
    await r.page.keyboard.type('resume');
    await r.page.keyboard.press('Enter');
    await r.rig.waitForState(g, 'running');
    // Details has a chord of its own; it toggles the panel and reaches no guest either.
    await waitActive(r.page, g);
    await r.page.keyboard.press('Control+Alt+KeyD');
    await r.page.waitForSelector('aside.details-panel:not([hidden])');
    await r.page.keyboard.press('Control+Alt+KeyD');
    await r.page.waitForSelector('aside.details-panel[hidden]', { state: 'attached' });
    // Any stray key (a "pause", a P, a D, a stuck Ctrl or Alt) would spoil this command line.
    await r.page.click('.console.active canvas');
    await waitActive(r.page, g);
    const from = r.rig.serial(g).length;
    await typeAsPerson(r.page, 'echo palette-clean >/dev/ttyS0\n');
    const out = await r.rig.waitForSerial(g, /palette-clean\r\n/, 60_000, from);
    assert.doesNotMatch(out, /not found|[a-z]palette-clean/);
    // The echo comes at Enter's press; its release may still be on its way (keys go 12 ms apart).
    // A stuck key never leaves, so the wait runs out and the assertion says which.
    await waitFor('the guest to hold no key', () => r.keys.held(g.uuid).length === 0, 5000).catch(() => undefined);
    assert.deepEqual(r.keys.held(g.uuid), [], 'the guest holds no key down');
    assert.deepEqual(r.dialogs, []);
  });

  it('View only: Send keys and Type text say why and send nothing; off again, typed text arrives', async () => {
    await r.page.getByRole('button', { name: 'Details', exact: true }).click();
    const viewOnly = r.page.getByRole('switch', { name: 'View only' });
    await viewOnly.click();
    assert.equal(await viewOnly.getAttribute('aria-checked'), 'true');
    await r.page.waitForSelector('[data-testid="view-only-note"]');
    const sendKeys = r.page.getByRole('button', { name: 'Send keys' });
    assert.equal(await sendKeys.isDisabled(), true);
    assert.match((await sendKeys.getAttribute('title')) ?? '', /View only is on/);
    const from = r.rig.serial(g).length;
    // The palette lists Type text and the key combinations, but refuses them with the reason.
    await r.page.click('.console.active canvas');
    await r.page.keyboard.press('Control+Alt+KeyP');
    await r.page.keyboard.type('type text');
    await r.page.keyboard.press('Enter');
    await r.page.waitForSelector('[data-testid="palette"] .palette-note:has-text("View only is on")');
    assert.equal(await r.page.isVisible('[data-testid="type-text"]'), false, 'no Type text dialog');
    await r.page.fill('[data-testid="palette"] input', 'ctrl+alt+f2');
    assert.equal(await r.page.getAttribute('[data-testid="palette"] [aria-selected="true"]', 'aria-disabled'), 'true');
    await r.screenshot('palette-view-only');
    await r.page.keyboard.press('Escape');
    await r.page.click('.console.active canvas');
    await typeAsPerson(r.page, 'echo viewonly-leak >/dev/ttyS0\n');
    await viewOnly.click();
    assert.equal(await viewOnly.getAttribute('aria-checked'), 'false');
    await r.page.waitForSelector('[data-testid="view-only-note"]', { state: 'detached' });
    await r.page.click('summary[aria-label="Send keys"]');
    await r.page.click('[role="menuitem"]:has-text("Type text…")');
    await r.page.fill('[data-testid="type-text"] textarea', 'echo typed-after >/dev/ttyS0\n');
    await r.page.click('[data-testid="type-text"] button:has-text("Type into guest")');
    // Keys go in order: a leaked line would have reached the serial port before this one.
    const out = await r.rig.waitForSerial(g, /typed-after\r\n/, 60_000, from);
    assert.doesNotMatch(out, /viewonly-leak/);
    assert.doesNotMatch(out, /not found/);
    assert.deepEqual(r.dialogs, []);
  });
});
