/**
 * "Move to host…" in Chromium through the serve shell, connected to this machine's libvirtd and to
 * the rig's second host over qemu+ssh: a running guest that counts on its serial port moves A → B
 * and its screen, keyboard and slot follow it with no click; a slowed move is cancelled and the
 * guest stays on A; a move that can't happen (a name taken on B, a CPU model B lacks) says why in
 * words; a second guest, with a qcow2 disk in a directory pool both hosts have, moves with "copy
 * storage", and the keys typed meanwhile are counted on the screen's "moving…" mark and typed once
 * when it arrives.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { strokeFor } from '../../renderer/src/input/type-text.js';
import { run } from '../rig/exec.js';
import { SYSTEM_URI, type TestGuest } from '../rig/guests.js';
import { mirroredPool, type MirroredPool } from '../rig/mirrored-pool.js';
import { startSecondHost, type SecondHost } from '../rig/second-host.js';
import { startCounter, ticks } from '../rig/serial-counter.js';
import { waitFor } from '../rig/wait.js';
import { guestCard, openSwitcher, typeAsPerson, waitActive, type OpenSwitcher } from './switcher-harness.js';

interface ConsoleInfo {
  key: string;
  host: string;
  status: string;
  frozen: boolean;
  handover?: { lastSourceData: number; firstTargetFrame: number };
}

/** A CPU model the rig's second host lacks; the first runs it under TCG. */
const MISSING_MODEL = 'Westmere';

describe('moving a guest between hosts in Chromium, the console following it', () => {
  let second: SecondHost;
  let r: OpenSwitcher;
  let g: TestGuest;
  let dir: string;
  let pool: MirroredPool | undefined;
  const stage = '[data-testid="stage"]';

  const consoleOf = (uuid: string): Promise<ConsoleInfo | undefined> =>
    r.page.evaluate(
      (u) =>
        (window as unknown as { virtswitch: { debugInfo(): { consoles: ConsoleInfo[] } } }).virtswitch
          .debugInfo()
          .consoles.find((c) => c.key === u),
      uuid,
    );
  const panel = (of = g): Locator => r.page.locator(`.move-panel[data-uuid="${of.uuid}"]`);
  /** Opens "Move to host…" from the active guest's toolbar. */
  const openMoveDialog = async (): Promise<Locator> => {
    await r.page.locator(stage).getByRole('button', { name: 'Move to host…' }).click();
    const dialog = r.page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Move' }).waitFor();
    return dialog;
  };
  const stillRunningOnA = async (): Promise<void> => {
    assert.equal(await r.rig.domstate(g), 'running');
    const last = ticks(r.rig.serial(g)).at(-1) ?? 0;
    await waitFor('the counter going on', () => ticks(r.rig.serial(g)).some((n) => n >= last + 3), 30_000);
    assert.equal((await second.virsh('list', '--all', '--name')).trim(), '', 'nothing on B');
  };

  before(async () => {
    // B's QEMU lacks one CPU model (as an older QEMU does); the guests here use QEMU's default CPU.
    second = await startSecondHost({ cpuModelsMissing: [MISSING_MODEL] });
    dir = mkdtempSync(join(tmpdir(), 'vs-mig-browser-'));
    try {
      r = await openSwitcher([{ name: 'mv' }], () => stage, {
        uris: [SYSTEM_URI, second.sshUri],
        host: { client: { sshPath: second.sshPath, connectTimeoutMs: 20_000 } },
      });
    } catch (e) {
      await second.stop();
      throw e;
    }
    g = r.guests[0]!;
    const app = r.app;
    await waitFor('both hosts connected', () => app.state().hosts.every((h) => h.status === 'connected'), 60_000);
    // The shared daemon holds other suites' guests too: the strip shows this one (and its namesake).
    await r.page.fill('[aria-label="Filter guests"]', g.name);
    await r.page.waitForSelector(`${guestCard(g)}[data-state="running"]`);
    await startCounter(SYSTEM_URI, g.name);
    // First in the user's order, so it has slot 1 although its target host's group comes last.
    const others = r.app.state().guests.filter((x) => x.uuid !== g.uuid);
    r.app.settings.update({ order: [g.uuid, ...others.map((x) => x.uuid)] });
    await r.page.waitForSelector(`${guestCard(g)}[data-slot="1"]`);
    await r.select(g);
  });

  after(async () => {
    await r?.close();
    await second?.stop();
    await pool?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cancels a slowed move: the guest keeps running on A and nothing is left on B', async () => {
    const dialog = await openMoveDialog();
    await dialog.locator('summary', { hasText: 'Tuning' }).click();
    await dialog.getByLabel('Bandwidth limit (MiB/s)').fill('1');
    await r.screenshot('move-dialog');
    await dialog.getByRole('button', { name: 'Move' }).click();
    const bar = panel().getByRole('progressbar');
    await waitFor('copying progress', async () => Number((await bar.getAttribute('aria-valuenow')) ?? 0) > 0, 60_000);
    await r.screenshot('move-progress');
    await panel().getByRole('button', { name: 'Cancel' }).click();
    await r.page.locator(`.move-panel[data-uuid="${g.uuid}"][data-phase="cancelled"]`).waitFor({ timeout: 60_000 });
    assert.match((await panel().textContent()) ?? '', /The move was cancelled; .* stays on this computer/);
    await r.screenshot('move-cancelled');
    await stillRunningOnA();
    assert.equal(await r.page.getAttribute(stage, 'data-active-host'), SYSTEM_URI);
    await waitActive(r.page, g);
    await panel().getByRole('button', { name: 'Dismiss' }).click();
  });

  it('says in words why a move can’t happen, and leaves the guest running on A', async () => {
    const xml = (await r.rig.virsh('dumpxml', '--inactive', g.uuid))
      .replace(/<uuid>[^<]*<\/uuid>/, '')
      .replace(/<serial type='pty'>[\s\S]*?<\/serial>/, '');
    writeFileSync(join(dir, 'namesake.xml'), xml);
    await second.virsh('define', join(dir, 'namesake.xml'));
    try {
      await r.page.waitForSelector(`[data-testid="guest"][data-host="${second.sshUri}"][data-name="${g.name}"]`);
      await r.select(g);
      const dialog = await openMoveDialog();
      await dialog.getByRole('button', { name: 'Move' }).click();
      const error = r.page.locator('[data-testid="error"]', { hasText: `a guest named ${g.name} is already defined` });
      await error.waitFor();
      await r.screenshot('move-error');
      assert.equal(await r.rig.domstate(g), 'running');
    } finally {
      await second.virsh('undefine', g.name);
    }
    await r.page.waitForSelector(`[data-testid="guest"][data-host="${second.sshUri}"]`, { state: 'detached' });
    await stillRunningOnA();
  });

  it('moves the running guest to B live: same slot, the screen and the keyboard follow it without a click', async () => {
    await r.select(g);
    const slot = await r.page.getAttribute(guestCard(g), 'data-slot');
    assert.equal(slot, '1');
    const before = ticks(r.rig.serial(g)).at(-1) ?? 0;
    const dialog = await openMoveDialog();
    // The old screen's picture stands in, under the "moving…" mark, while the console changes
    // hosts; what is typed then reaches the guest on B, once, in order. The picture may stand for
    // less than Playwright's polling sees: the page notes it as it is added.
    await r.page.evaluate(() => {
      const w = window as unknown as { sawMovingMark?: boolean };
      w.sawMovingMark = false;
      const seen = new MutationObserver(() => {
        if (
          !document.querySelector('.console.active .last-frame') ||
          !document.querySelector('.console.active .moving-mark:not([hidden])')
        )
          return;
        w.sawMovingMark = true;
        seen.disconnect();
      });
      seen.observe(document.body, { childList: true, subtree: true });
    });
    const handover = r.page
      .waitForFunction(() => (window as unknown as { sawMovingMark?: boolean }).sawMovingMark, undefined, {
        timeout: 120_000,
      })
      .then(async () => {
        await typeAsPerson(r.page, 'echo typed-while-moving >/dev/ttyS0\n');
        await r.screenshot('move-handover');
      });
    await dialog.getByRole('button', { name: 'Move' }).click();
    await r.page.waitForSelector(`${guestCard(g)}[data-host="${second.sshUri}"][data-state="running"]`, {
      timeout: 120_000,
    });
    assert.equal((await second.virsh('domstate', g.uuid)).trim(), 'running', 'virsh on B');
    assert.notEqual((await r.rig.virshResult('dominfo', g.uuid)).code, 0, 'gone from A');

    // The stage still shows the same guest, in the same slot, now on B; its console reconnected there.
    assert.equal(await r.page.getAttribute(stage, 'data-active-uuid'), g.uuid);
    await r.page.waitForSelector(`${stage}[data-active-host="${second.sshUri}"]`);
    assert.equal(await r.page.getAttribute(guestCard(g), 'data-slot'), slot);
    assert.equal(await r.page.locator(guestCard(g)).count(), 1, 'one card for the guest');
    const c = await waitFor('the console on B', async () => {
      const info = await consoleOf(g.uuid);
      return info?.host === second.sshUri && info.status === 'connected' && !info.frozen ? info : undefined;
    });
    assert.ok(c.handover, 'the old picture stood in until the new display drew');
    await handover;
    await waitActive(r.page, g);
    await r.screenshot('move-done');

    // No click since Move: the keys go to the guest on B.
    await typeAsPerson(r.page, 'echo moved-to-b >/dev/ttyS0\n');
    await r.rig.waitForSerial(g, 'moved-to-b\r\n', 30_000);
    const log = r.rig.serial(g);
    const typed = log.split('\r\n').filter((l) => /typed|moving|moved/.test(l));
    assert.equal(
      log.split('typed-while-moving\r\n').length,
      2,
      `typed during the handover: there once, whole: ${JSON.stringify(typed)}`,
    );
    assert.ok(log.indexOf('typed-while-moving') < log.indexOf('moved-to-b'), 'in the order typed');

    const all = ticks(r.rig.serial(g));
    assert.ok(all.at(-1)! > before + 10, 'the counter went on');
    for (let i = 1; i < all.length; i++) assert.equal(all[i], all[i - 1]! + 1, `tick ${all[i - 1]} then ${all[i]}`);
    assert.equal(r.rig.serial(g).split(`virtswitch test guest: ${g.name}`).length, 2, 'never rebooted');
    assert.deepEqual(r.dialogs, []);
  });

  // The source pauses for the switch-over before the page can know it, and QEMU drops keys for a
  // paused guest and never types those still in its VNC key queue: keys are paced to the display
  // (key-pacer.ts) and, from the start of the move, kept and typed where the guest ends up.
  it('keys typed without a break across the switch-over back to A arrive once each, in order', async () => {
    await waitActive(r.page, g);
    const move = r.page.evaluate(
      (p) =>
        (
          window as unknown as { virtswitchDebug: { bridge: { invoke(c: string, p: unknown): Promise<unknown> } } }
        ).virtswitchDebug.bridge.invoke('guest.migrate', p),
      {
        host: second.sshUri,
        uuid: g.uuid,
        target: SYSTEM_URI,
        mode: 'live',
        copyStorage: false,
        persistent: true,
        undefineSource: true,
        postCopy: false,
        migrationAddress: second.localAddress,
      },
    );
    let moved = false;
    void move.then(
      () => (moved = true),
      () => (moved = true),
    );
    // Lines typed one after another from before the move until after it, so some keys go out in
    // the moment the guest pauses on B; a key lost or typed twice breaks its line.
    const lines: string[] = [];
    const typeLine = async (): Promise<void> => {
      const line = `k${lines.length}-abcdefghijklmnopqrstuvwxyz`;
      lines.push(line);
      await typeAsPerson(r.page, `echo ${line} >/dev/ttyS0\n`);
    };
    while (!moved) {
      if (lines.length > 300) throw new Error('the move did not end');
      await typeLine();
    }
    await typeLine();
    await move;
    await r.page.waitForSelector(`${stage}[data-active-host="${SYSTEM_URI}"]`);
    assert.equal(await r.rig.domstate(g), 'running', 'back on A');
    const last = lines.at(-1)!;
    // If it never comes, the checks below say which line broke. The keys go in at QEMU's pace
    // (about 80 events a second), far slower than this test types them.
    await r.rig.waitForSerial(g, `${last}\r\n`, 120_000).catch(() => undefined);
    const log = r.rig.serial(g);
    const got = log.split('\r\n').filter((l) => /k\d+-/.test(l));
    let at = 0;
    for (const line of lines) {
      assert.equal(log.split(`${line}\r\n`).length, 2, `"${line}" arrived once, whole: ${JSON.stringify(got)}`);
      assert.ok(log.indexOf(`${line}\r\n`) > at, `"${line}" in the order typed`);
      at = log.indexOf(`${line}\r\n`);
    }
  });
  // After the moves of the first guest, which rely on it being alone on A; before anything sits on B.
  it('says in words that B can’t run a guest’s CPU model, and leaves it running on A', async () => {
    const c = await r.rig.define({ name: 'mv-cpu', cpuModel: MISSING_MODEL });
    await r.page.waitForSelector(`${guestCard(c)}[data-state="running"]`);
    await r.select(c);
    const dialog = await openMoveDialog();
    await dialog.getByRole('button', { name: 'Move' }).click();
    const error = r.page.locator(`.move-panel[data-uuid="${c.uuid}"] [data-testid="error"]`);
    await error.waitFor();
    assert.match(
      (await error.textContent()) ?? '',
      new RegExp(`can't run its CPU: the QEMU there does not offer the CPU model ${MISSING_MODEL} .*; it stays on`),
    );
    await r.screenshot('move-error-cpu');
    assert.equal(await r.rig.domstate(c), 'running');
    assert.equal(await r.page.getAttribute(stage, 'data-active-host'), SYSTEM_URI);
    assert.equal((await second.virsh('list', '--all', '--name')).trim(), '', 'nothing on B');
  });

  it('moves a stopped guest offline to B and back: only its definition moves, and it stays off', async () => {
    const off = await r.rig.define({ name: 'mv-off', start: false });
    await r.page.fill('[aria-label="Filter guests"]', off.name);
    const card = (host: string): string => `${guestCard(off)}[data-host="${host}"][data-state="shutoff"]`;
    await r.page.waitForSelector(card(SYSTEM_URI));
    // An off guest has no screen to wait for: the stage names it.
    await r.page.click(card(SYSTEM_URI));
    await r.page.waitForSelector(`${stage}[data-active-uuid="${off.uuid}"]`);
    for (const [from, to] of [
      [r.rig, second],
      [second, r.rig],
    ] as const) {
      const dialog = await openMoveDialog();
      assert.match(
        (await dialog.textContent()) ?? '',
        new RegExp(`Offline: ${off.name} is off, so only its definition moves`),
      );
      await dialog.getByRole('button', { name: 'Move' }).click();
      await r.page.waitForSelector(card(to === second ? second.sshUri : SYSTEM_URI), { timeout: 60_000 });
      assert.equal((await to.virsh('domstate', off.uuid)).trim(), 'shut off', 'defined, off, on the target');
      assert.notEqual((await from.virshResult('dominfo', off.uuid)).code, 0, 'gone from the source');
      assert.equal(await r.page.getAttribute(stage, 'data-active-uuid'), off.uuid, 'still the guest on the stage');
    }
    await r.screenshot('move-offline-back');
  });

  it('moves a guest with a qcow2 disk to B with "copy storage"; keys typed meanwhile are counted on the mark and typed once on B', async () => {
    pool = await mirroredPool(r.rig.prefix, r.rig, second);
    const volume = `${r.rig.prefix}disk.qcow2`;
    const disk = await pool.createVolume(volume, '64M');
    const written = await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 48M', disk]);
    assert.equal(written.code, 0, written.stderr);
    const cp = await r.rig.define({ name: 'cp', diskPath: disk });
    await r.rig.waitForBoot(cp);
    await startCounter(SYSTEM_URI, cp.name);
    await r.page.fill('[aria-label="Filter guests"]', cp.name);
    await r.page.waitForSelector(`${guestCard(cp)}[data-state="running"]`);
    await r.select(cp);
    const before = ticks(r.rig.serial(cp)).at(-1) ?? 0;

    const dialog = await openMoveDialog();
    await dialog.getByLabel(/Copy storage/).check();
    // Slowed, so that the disk copy shows and there is time to type while it runs.
    await dialog.locator('summary', { hasText: 'Tuning' }).click();
    await dialog.getByLabel('Bandwidth limit (MiB/s)').fill('8');
    await r.screenshot('move-copy-dialog');
    await dialog.getByRole('button', { name: 'Move' }).click();
    const bar = panel(cp).getByRole('progressbar');
    await waitFor(
      'disk figures while it copies',
      async () =>
        Number((await bar.getAttribute('aria-valuenow')) ?? 0) > 0 &&
        /Copying disks — \d+%.*Disks\s*[\d.]+ [KMG]iB sent, [\d.]+ [KMG]iB to go/.test(
          (await panel(cp).textContent()) ?? '',
        ),
      60_000,
      100,
    );
    await r.screenshot('move-copy-progress');

    // Keys typed now are kept for the end of the move, and the mark over the screen counts them.
    const mark = r.page.locator('.console.active .moving-mark');
    assert.equal(await mark.textContent(), 'moving…');
    await waitActive(r.page, cp);
    const line = 'echo held-while-copying >/dev/ttyS0\n';
    await typeAsPerson(r.page, line);
    const presses = [...line].reduce((n, ch) => n + (strokeFor(ch)!.shift ? 2 : 1), 0);
    assert.ok(!r.rig.serial(cp).includes('held-while-copying'), 'not typed yet');
    assert.equal(await mark.textContent(), `moving… — ${presses} keys will be typed when the move ends`);
    await r.screenshot('move-copy-keys-held');

    await r.page.waitForSelector(`${guestCard(cp)}[data-host="${second.sshUri}"][data-state="running"]`, {
      timeout: 120_000,
    });
    assert.equal((await second.virsh('domstate', cp.uuid)).trim(), 'running', 'virsh on B');
    assert.notEqual((await r.rig.virshResult('dominfo', cp.uuid)).code, 0, 'gone from A');
    assert.match(await second.virsh('domblklist', cp.uuid), new RegExp(`vda\\s+${disk}`));
    // B's /var/lib/libvirt is the rig's lib folder: the copy there holds what A's disk holds.
    const same = await run('qemu-img', ['compare', '-U', disk, join(second.dir, 'lib', pool.name, volume)]);
    assert.equal(same.code, 0, `${same.stdout}${same.stderr}`);

    // No click since Move: the stage shows it on B, the kept keys were typed there once, the mark is gone.
    await r.page.waitForSelector(`${stage}[data-active-uuid="${cp.uuid}"][data-active-host="${second.sshUri}"]`);
    await waitFor('the console on B', async () => {
      const info = await consoleOf(cp.uuid);
      return info?.host === second.sshUri && info.status === 'connected' && !info.frozen;
    });
    await waitActive(r.page, cp);
    await mark.waitFor({ state: 'hidden' });
    await r.rig.waitForSerial(cp, 'held-while-copying\r\n', 30_000);
    await typeAsPerson(r.page, 'echo copied-to-b >/dev/ttyS0\n');
    await r.rig.waitForSerial(cp, 'copied-to-b\r\n', 30_000);
    await r.screenshot('move-copy-done');
    const log = r.rig.serial(cp);
    assert.equal(log.split('held-while-copying\r\n').length, 2, 'the kept keys typed once');
    assert.ok(log.indexOf('held-while-copying') < log.indexOf('copied-to-b'), 'in the order typed');

    const all = ticks(r.rig.serial(cp));
    assert.ok(all.at(-1)! > before + 10, 'the counter went on');
    for (let i = 1; i < all.length; i++) assert.equal(all[i], all[i - 1]! + 1, `tick ${all[i - 1]} then ${all[i]}`);
    assert.equal(log.split(`virtswitch test guest: ${cp.name}`).length, 2, 'never rebooted');
    assert.deepEqual(r.dialogs, []);
  });
});
