/**
 * Screen consoles through the serve shell, against real guests: the RFB handshake over TCP and
 * over a unix socket, refusals for guests that have no screen to show, a stop and start of the
 * guest (the channel closes with a reason, a new one works), a reboot inside QEMU (the channel
 * stays), and 200 open/close cycles that leave nothing behind.
 *
 * What "reconnects by itself" needs from the renderer (which owns the noVNC side):
 *  - A channel ends when its guest's QEMU goes away: the WebSocket closes (1000 with the reason
 *    in the close frame, 1011 on an error) and a `console` event {status: 'disconnected', reason}
 *    follows; once libvirt's stop event arrives the reason becomes "the guest stopped".
 *  - noVNC's RFB object cannot reconnect: drop it (its 'disconnect' event) and, when the guest's
 *    `guest` event says `running` again, open a new channel with a new RFB in the same element.
 *  - A browser hides a refused handshake's status (the WebSocket just fails, close code 1006):
 *    while the model says `running`, retry with backoff (e.g. 0.25 s doubling to 5 s); stop
 *    when the guest is not running. The `console` events carry the reasons meanwhile.
 *  - A reboot or reset inside the guest keeps QEMU, so the channel stays: nothing to do (noVNC
 *    follows the mode change itself).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { TestGuest, TestRig } from '../rig/guests.js';
import { useRig } from '../rig/suite.js';
import {
  HOST,
  closeWs,
  consoleEvents,
  consoleUrl,
  fdTargets,
  openWs,
  rawUpgrade,
  rfbHandshake,
  rfbInit,
  serve,
  tcpConnections,
  waitFor,
  waitModel,
  type Served,
} from './serve-helpers.js';

/** The guest's QEMU process id, from libvirt's pid file. */
function qemuPid(g: TestGuest): number {
  return Number(readFileSync(`/run/libvirt/qemu/${g.name}.pid`, 'utf8').trim());
}

/** The TCP port of the guest's VNC server, from its live XML. */
async function vncPort(rig: TestRig, g: TestGuest): Promise<number> {
  const xml = await rig.virsh('dumpxml', g.uuid);
  const m = /<graphics type='vnc' port='(\d+)'/.exec(xml);
  assert.ok(m, 'the live XML names a VNC port');
  return Number(m[1]);
}

describe('consoles: VNC through the serve shell, real guests', () => {
  let rig: TestRig;
  let s: Served;
  let tcp: TestGuest;
  let unix: TestGuest;
  let headless: TestGuest;
  let off: TestGuest;

  useRig(async (r, defer) => {
    rig = r;
    [tcp, unix, headless, off] = await Promise.all([
      rig.define({ name: 'cvnc-tcp' }),
      rig.define({ name: 'cvnc-unix', graphics: 'vnc-unix' }),
      rig.define({ name: 'cvnc-none', graphics: 'none' }),
      rig.define({ name: 'cvnc-off', start: false }),
    ]);
    s = await serve();
    defer(() => s.close());
    await Promise.all([
      waitModel(s, tcp, 'running'),
      waitModel(s, unix, 'running'),
      waitModel(s, headless, 'running'),
      waitModel(s, off, 'shutoff'),
    ]);
  });

  it('speaks RFB 3.8 through a console channel (TCP display)', async () => {
    const { ws, reader } = await openWs(consoleUrl(s.shell, tcp), { origin: s.shell.origin });
    const hs = await rfbHandshake(reader);
    assert.equal(hs.version, 'RFB 003.008\n');
    assert.ok(hs.securityTypes.includes(1), `security None offered: ${hs.securityTypes.join(',')}`);
    await closeWs(ws);
    // And to ServerInit, with the guest's name as the desktop name.
    const again = await openWs(consoleUrl(s.shell, tcp), { origin: s.shell.origin });
    const init = await rfbInit(again.reader);
    assert.ok(init.width > 0 && init.height > 0);
    assert.match(init.name, new RegExp(tcp.name));
    await closeWs(again.ws);
    const states = consoleEvents(s, tcp).map((c) => c.status);
    assert.deepEqual(states.slice(0, 2), ['connecting', 'connected']);
    await waitFor('the console to be reported closed', () => consoleEvents(s, tcp).at(-1)?.status === 'disconnected');
  });

  it('speaks RFB 3.8 for a guest whose display listens on a unix socket', async () => {
    const xml = await rig.virsh('dumpxml', unix.uuid);
    assert.match(xml, /<listen type='socket' socket='[^']+'/);
    const { ws, reader } = await openWs(consoleUrl(s.shell, unix), { origin: s.shell.origin });
    const hs = await rfbHandshake(reader);
    assert.equal(hs.version, 'RFB 003.008\n');
    assert.ok(hs.securityTypes.includes(1));
    await closeWs(ws);
  });

  it('opens many channels at once to the same display, on TCP and on a unix socket', async () => {
    // QEMU listens with a backlog of 1 and accepts from its main loop: connections that arrive
    // together overflow it (a unix socket then refuses with EAGAIN; TCP drops the SYN).
    for (const g of [unix, tcp]) {
      for (let round = 0; round < 3; round++) {
        const opened = await Promise.all(
          Array.from({ length: 6 }, () => openWs(consoleUrl(s.shell, g), { origin: s.shell.origin })),
        );
        const versions = await Promise.all(opened.map(({ reader }) => rfbHandshake(reader).then((h) => h.version)));
        assert.deepEqual(new Set(versions), new Set(['RFB 003.008\n']), g.name);
        await Promise.all(opened.map(({ ws }) => closeWs(ws)));
      }
    }
    await waitFor('every channel to close', () => s.app.consoles.openCount === 0);
  });

  it('refuses, at the handshake, a guest it does not know, one without graphics and one that is off', async () => {
    const unknown = await rawUpgrade(consoleUrl(s.shell, { uuid: '00000000-0000-4000-8000-000000000000' }), {
      Origin: s.shell.origin,
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.upgraded, false);
    assert.equal((JSON.parse(unknown.body) as { error: { code: string } }).error.code, 'no-such-guest');

    const none = await rawUpgrade(consoleUrl(s.shell, headless), { Origin: s.shell.origin });
    assert.equal(none.status, 422);
    const body = JSON.parse(none.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'unsupported');
    assert.match(body.error.message, /no graphical display/);

    const stopped = await rawUpgrade(consoleUrl(s.shell, off), { Origin: s.shell.origin });
    assert.equal(stopped.status, 409);
    assert.match((JSON.parse(stopped.body) as { error: { message: string } }).error.message, /not running/);

    const unknownHost = await rawUpgrade(consoleUrl(s.shell, tcp, 'vnc', s.shell.token, 'qemu:///nowhere'), {
      Origin: s.shell.origin,
    });
    assert.equal(unknownHost.status, 404);
    const badKind = await rawUpgrade(consoleUrl(s.shell, tcp, 'rdp'), { Origin: s.shell.origin });
    assert.equal(badKind.status, 400);
    const badUuid = await rawUpgrade(consoleUrl(s.shell, { uuid: 'not-a-uuid' }), { Origin: s.shell.origin });
    assert.equal(badUuid.status, 400);
    // A refusal leaves no console channel behind.
    assert.equal(s.app.consoles.openCount, 0);
  });

  it('opens the first guest’s console for a page that does not know the guests yet, naming it first', async () => {
    const first = (query: string): string =>
      `${s.shell.origin.replace(/^http/, 'ws')}/console?${query}#token=${encodeURIComponent(s.shell.token)}`;
    const named = async (query: string): Promise<{ host: string; uuid: string }> => {
      const { ws, reader } = await openWs(first(query), { origin: s.shell.origin });
      const naming = JSON.parse(await reader.until('}')) as { host: string; uuid: string };
      // Then the display itself, as for any console.
      assert.equal((await rfbHandshake(reader)).version, 'RFB 003.008\n');
      await closeWs(ws);
      return naming;
    };
    s.app.settings.update({ lastActive: tcp.uuid });
    assert.deepEqual(await named('first=vnc'), { host: HOST, uuid: tcp.uuid }, 'the remembered guest');
    assert.deepEqual(
      await named(`first=vnc&domain=${unix.name}`),
      { host: HOST, uuid: unix.uuid },
      'the guest the page’s URL names',
    );

    s.app.settings.update({ lastActive: headless.uuid });
    const none = await rawUpgrade(first('first=vnc'), { Origin: s.shell.origin });
    assert.equal(none.status, 404, 'the first guest has no display: the page opens its own console');
    assert.match((JSON.parse(none.body) as { error: { message: string } }).error.message, /no running guest/);
    const spice = await rawUpgrade(first('first=spice'), { Origin: s.shell.origin });
    assert.equal(spice.status, 400);
    const noSecret = await rawUpgrade(first('first=vnc').replace(/#.*/, ''), { Origin: s.shell.origin });
    assert.equal(noSecret.status, 401);
    await waitFor('every channel to close', () => s.app.consoles.openCount === 0);
  });

  it('keeps the channel through a reboot inside QEMU', async () => {
    const { ws, reader } = await openWs(consoleUrl(s.shell, tcp), { origin: s.shell.origin });
    await rfbInit(reader);
    const from = rig.serial(tcp).length;
    await s.app.session().invoke('guest.reset', { host: HOST, uuid: tcp.uuid });
    await rig.waitForBoot(tcp, from);
    // Still the same connection: a full update request is answered with a FramebufferUpdate.
    ws.send(Buffer.from([3, 0, 0, 0, 0, 0, 0, 10, 0, 10]));
    const msg = await reader.read(1);
    assert.ok(msg[0] === 0 || msg[0] === 2, `a server message (type ${msg[0]})`);
    assert.equal(reader.closed, undefined);
    await closeWs(ws);
  });

  it('closes the channel with a reason when the guest stops, and a new channel works after it starts', async () => {
    const { reader } = await openWs(consoleUrl(s.shell, tcp), { origin: s.shell.origin });
    await rfbInit(reader);
    await waitFor('connected', () => consoleEvents(s, tcp).at(-1)?.status === 'connected');
    const mark = s.events.length;

    await s.app.session().invoke('guest.poweroff', { host: HOST, uuid: tcp.uuid });
    const closed = await reader.waitClosed(30_000);
    assert.ok(closed.code === 1000 || closed.code === 1011, `close code ${closed.code}`);
    assert.ok(closed.reason.length > 0, 'the close frame says why');
    const gone = await waitFor('a disconnected console event', () =>
      s.events
        .slice(mark)
        .find((e) => e.type === 'console' && e.console.uuid === tcp.uuid && e.console.status === 'disconnected'),
    );
    assert.ok(
      gone.type === 'console' && gone.console.reason && gone.console.reason.length > 0,
      'the event carries a reason',
    );
    await waitModel(s, tcp, 'shutoff');
    await waitFor(
      'the stop to be reported as the reason',
      () => consoleEvents(s, tcp).at(-1)?.reason === 'the guest stopped',
    );
    assert.equal(s.app.consoles.openCount, 0);

    // While it is off, a console is refused as not running.
    assert.equal((await rawUpgrade(consoleUrl(s.shell, tcp), { Origin: s.shell.origin })).status, 409);

    // As soon as the model says running, a new channel works: what the renderer does on its own.
    await s.app.session().invoke('guest.start', { host: HOST, uuid: tcp.uuid });
    await waitModel(s, tcp, 'running');
    const again = await openWs(consoleUrl(s.shell, tcp), { origin: s.shell.origin });
    const init = await rfbInit(again.reader);
    assert.match(init.name, new RegExp(tcp.name));
    await waitFor('connected again', () => consoleEvents(s, tcp).at(-1)?.status === 'connected');
    await closeWs(again.ws);
  });

  it('leaves no sockets or file descriptors behind after 200 open/close cycles', async () => {
    await rig.waitForBoot(tcp);
    const port = await vncPort(rig, tcp);
    const qpid = qemuPid(tcp);
    const cycle = async (): Promise<void> => {
      const { ws, reader } = await openWs(consoleUrl(s.shell, tcp), { origin: s.shell.origin });
      await rfbHandshake(reader);
      await closeWs(ws);
    };
    const settled = (): Promise<unknown> =>
      waitFor(
        'every channel to close',
        () => s.app.consoles.openCount === 0 && tcpConnections(port).filter((c) => c.state !== '06').length === 0,
        10_000,
      );
    await cycle();
    await settled();
    const fdsBefore = fdTargets();
    const qemuBefore = fdTargets(qpid).length;
    for (let i = 0; i < 200; i++) await cycle();
    await settled();
    // Sockets go away asynchronously after close; wait for the count to come back down.
    const fdsAfter = await waitFor(
      'the fd count to settle',
      () => {
        const now = fdTargets();
        return now.length <= fdsBefore.length ? now : undefined;
      },
      10_000,
    ).catch(() => fdTargets());
    assert.deepEqual(
      fdsAfter.filter((t) => t.startsWith('socket:')).length,
      fdsBefore.filter((t) => t.startsWith('socket:')).length,
      'sockets of this process',
    );
    assert.equal(fdsAfter.length, fdsBefore.length, `fds of this process: ${fdsBefore.length} → ${fdsAfter.length}`);
    const qemuAfter = await waitFor(
      'QEMU to close its side',
      () => (fdTargets(qpid).length <= qemuBefore ? fdTargets(qpid).length : undefined),
      10_000,
    ).catch(() => fdTargets(qpid).length);
    assert.equal(qemuAfter, qemuBefore, 'fds of the guest QEMU');
    assert.deepEqual(
      tcpConnections(port).filter((c) => c.state !== '06'),
      [],
      'no TCP connection to the VNC port but TIME_WAIT',
    );
    assert.deepEqual(
      tcpConnections(s.shell.port).filter((c) => c.state !== '06'),
      [],
      'no TCP connection to the shell but TIME_WAIT',
    );
    const statuses = consoleEvents(s, tcp)
      .slice(-2)
      .map((c) => c.status);
    assert.deepEqual(statuses.at(-1), 'disconnected');
  });
});
