/**
 * Serial consoles through the serve shell (libvirt's console stream), against a real guest: a
 * command typed into the channel runs in the guest's serial shell and its output comes back, and
 * lands in the guest's serial log; a second viewer takes the console over, as `virsh console
 * --force` does; 200 open/close cycles leave no descriptor behind, here or in libvirtd.
 *
 * For the renderer: a serial console has one viewer. A channel closed with 1011 "another viewer
 * took the serial console over" must not reopen by itself, or two windows would take it from
 * each other forever; reopen it on the user's word (or when the guest starts again).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestGuest, TestRig } from '../rig/guests.js';
import { useRig } from '../rig/suite.js';
import {
  HOST,
  closeWs,
  consoleEvents,
  consoleUrl,
  fdTargets,
  libvirtdPid,
  openWs,
  serve,
  waitFor,
  waitModel,
  type Served,
} from './serve-helpers.js';

describe('consoles: serial through the serve shell, real guest', () => {
  let rig: TestRig;
  let s: Served;
  let g: TestGuest;

  useRig(async (r, defer) => {
    rig = r;
    g = await rig.define({ name: 'cserial', graphics: 'none' });
    s = await serve();
    defer(() => s.close());
    await waitModel(s, g, 'running');
    await rig.waitForBoot(g);
  });

  it('carries a command to the guest and its output back', async () => {
    const { ws, reader } = await openWs(consoleUrl(s.shell, g, 'serial'), { origin: s.shell.origin });
    const tag = randomBytes(4).toString('hex');
    // The output differs from what is typed (the shell computes 6*7), so the echo of the
    // typed line cannot be mistaken for it.
    ws.send(Buffer.from(`echo marker-$((6*7))-${tag}\r`));
    await reader.until(`marker-42-${tag}`, 20_000);
    await rig.waitForSerial(g, `marker-42-${tag}`, 20_000);
    // Text frames are bytes too (xterm.js may send strings).
    ws.send(`echo text-$((6*7))-${tag}\r`);
    await reader.until(`text-42-${tag}`, 20_000);
    await closeWs(ws);
    await waitFor(
      'the serial console to be reported closed',
      () => consoleEvents(s, g, 'serial').at(-1)?.status === 'disconnected',
    );
  });

  it('hands the console to the newest viewer, and the first one is told', async () => {
    const mark = consoleEvents(s, g, 'serial').length;
    const first = await openWs(consoleUrl(s.shell, g, 'serial'), { origin: s.shell.origin });
    const second = await openWs(consoleUrl(s.shell, g, 'serial'), { origin: s.shell.origin });
    const closed = await first.reader.waitClosed(20_000);
    assert.match(closed.reason, /another viewer took the serial console over/);
    const tag = randomBytes(4).toString('hex');
    second.ws.send(Buffer.from(`echo second-$((6*7))-${tag}\r`));
    await second.reader.until(`second-42-${tag}`, 20_000);
    // The newer channel is still open, so the console stays reported as connected.
    assert.equal(consoleEvents(s, g, 'serial').at(-1)?.status, 'connected');
    assert.ok(
      !consoleEvents(s, g, 'serial')
        .slice(mark)
        .some((c) => c.status === 'disconnected'),
      'never reported disconnected meanwhile',
    );
    await closeWs(second.ws);
  });

  it('leaves no descriptors behind after 200 open/close cycles, here or in libvirtd', async () => {
    const daemon = libvirtdPid();
    assert.ok(daemon, 'libvirtd runs');
    const cycle = async (): Promise<void> => {
      const { ws } = await openWs(consoleUrl(s.shell, g, 'serial'), { origin: s.shell.origin });
      await closeWs(ws);
    };
    await cycle();
    await waitFor('the channel to close', () => s.app.consoles.openCount === 0);
    const mine = fdTargets().length;
    const theirs = fdTargets(daemon).length;
    for (let i = 0; i < 200; i++) await cycle();
    await waitFor('every channel to close', () => s.app.consoles.openCount === 0, 10_000);
    const mineAfter = await waitFor(
      'our fds to settle',
      () => (fdTargets().length <= mine ? fdTargets().length : undefined),
      10_000,
    ).catch(() => fdTargets().length);
    assert.equal(mineAfter, mine, 'fds of this process');
    // libvirtd serves others too (other suites run against it); its console streams are ours.
    // And the wire client holds no stream for them (a white-box look at its stream table).
    const wire = s.app.hosts.get(HOST).libvirt() as unknown as { conn?: { streams?: Map<number, unknown> } };
    if (wire.conn?.streams)
      await waitFor('the wire client to drop every console stream', () => wire.conn!.streams!.size === 0, 10_000);
    const theirsAfter = await waitFor(
      'libvirtd fds to settle',
      () => (fdTargets(daemon).length <= theirs ? fdTargets(daemon).length : undefined),
      10_000,
    ).catch(() => fdTargets(daemon).length);
    assert.ok(theirsAfter <= theirs + 4, `fds of libvirtd: ${theirs} → ${theirsAfter}`);
    // The console still works after all that.
    const { ws, reader } = await openWs(consoleUrl(s.shell, g, 'serial'), { origin: s.shell.origin });
    const tag = randomBytes(4).toString('hex');
    ws.send(Buffer.from(`echo after-$((6*7))-${tag}\r`));
    await reader.until(`after-42-${tag}`, 20_000);
    await closeWs(ws);
  });
});
