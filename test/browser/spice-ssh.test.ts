/**
 * A SPICE-only guest (QXL video, as virt-manager makes them) on an SSH host, in Chromium through
 * the serve shell: the app knows this machine's libvirtd only as qemu+ssh:// (a loopback sshd, see
 * test/rig/loopback-ssh.ts), so every SPICE channel of the console (main, display, inputs, cursor)
 * is its own `ssh -W` to the guest's SPICE port. The screen shows on the stage, and a marker typed
 * into it lands on the guest's serial port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
import { startLoopbackSsh, type LoopbackSsh } from '../rig/loopback-ssh.js';

/** Command lines of running `ssh … -W 127.0.0.1:PORT …` forwards. */
function forwardsTo(port: number): string[] {
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n');
  return ps.filter((l) => /^(\S*\/)?ssh /.test(l) && l.includes(` -W 127.0.0.1:${port} `));
}

describe('a SPICE guest on an SSH host, in the browser', () => {
  let ssh: LoopbackSsh;
  let r: SwitcherRig & { guests: TestGuest[] };
  let g: TestGuest;
  const pageErrors: string[] = [];
  const consoleInfo = async (): Promise<string> =>
    JSON.stringify(
      await r.page.evaluate(
        (uuid) =>
          (window as unknown as { virtswitch: { debugInfo(): { consoles: { key: string }[] } } }).virtswitch
            .debugInfo()
            .consoles.filter((c) => c.key.startsWith(uuid)),
        g.uuid,
      ),
    );

  before(async () => {
    ssh = await startLoopbackSsh();
    try {
      r = await startSwitcherRig([{ name: 'ssh-spice', graphics: 'spice' }], undefined, {
        uris: [ssh.uri],
        host: { client: { sshPath: ssh.sshPath, connectTimeoutMs: 20_000 } },
      });
    } catch (e) {
      await ssh.stop();
      throw e;
    }
    g = r.guests[0]!;
    await r.rig.waitForBoot(g);
    r.page.on('console', (m) => {
      pageErrors.push(`${m.type()}: ${m.text()}`);
    });
    await r.page.goto(r.shell.url);
    // The daemon holds other suites' guests too: the strip shows this one.
    await r.page.fill('[aria-label="Filter guests"]', g.name);
    await r.page.waitForSelector(`${guestCard(g)}[data-state="running"]`, { timeout: 60_000 });
  });

  after(async () => {
    await r?.close();
    await ssh?.stop();
  });

  it('shows its screen on the stage through spice-html5, every channel an ssh -W forward', async () => {
    assert.equal(await r.page.getAttribute(guestCard(g), 'data-host'), ssh.uri);
    await r.page.click(guestCard(g));
    await waitActive(r.page, g).catch(async (e: unknown) => {
      const stage = await r.page.textContent('[data-testid="stage"]');
      console.error(await consoleInfo(), stage, pageErrors.slice(-20).join('\n'));
      throw e;
    });
    assert.ok(await r.page.$('.console.active.spice-console canvas'), 'the active console is a SPICE one');
    // A frame, not a black canvas: the guest's console text lights pixels.
    await r.page
      .waitForFunction(
        () => {
          const c = document.querySelector('.console.active.spice-console canvas') as HTMLCanvasElement | null;
          if (!c || c.width === 0) return false;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! > 120) return true;
          return false;
        },
        undefined,
        { timeout: 60_000 },
      )
      .catch((e: unknown) => {
        console.error(pageErrors.slice(-20).join('\n'));
        throw e;
      });
    await r.page.screenshot({ path: join(SCREENSHOTS, 'spice-ssh-stage.png') });
    const port = Number(/<graphics type='spice' port='(\d+)'/.exec(await r.rig.virsh('dumpxml', g.uuid))?.[1]);
    assert.ok(port >= 5900, 'the guest has a SPICE port');
    // Main, display, inputs and cursor: one forward each (a reconnect may briefly add more).
    const forwards = forwardsTo(port);
    if (forwards.length < 4) {
      const all = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n');
      console.error(all.filter((l) => l.includes(' -W ')).join('\n'), '\n', await consoleInfo(), pageErrors.join('\n'));
    }
    assert.ok(forwards.length >= 4, `ssh -W forwards to the SPICE port ${port}: ${forwards.join('\n')}`);
  });

  it('types a marker into the guest over SSH: it lands on its serial port', async () => {
    await waitActive(r.page, g);
    const from = r.rig.serial(g).length;
    await typeAsPerson(r.page, 'echo SPICE-OVER-SSH >/dev/ttyS0\n');
    await r.rig.waitForSerial(g, 'SPICE-OVER-SSH\r\n', 60_000, from).catch(async (e: unknown) => {
      console.error(await consoleInfo(), pageErrors.slice(-30).join('\n'));
      throw e;
    });
  });
});
