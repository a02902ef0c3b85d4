/**
 * A display that can't be reached is reported as the console's "unavailable" state with why,
 * against a real guest whose VNC display listens nowhere (`<listen type='none'/>`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppSession } from '../../main/app/api.js';
import type { ConsoleState } from '../../common/contract.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../rig/guests.js';
import { waitFor } from '../rig/wait.js';

describe('console unavailable: a real guest whose display listens nowhere', () => {
  let rig: TestRig;
  let app: App;
  let s: AppSession;
  let dir: string;
  let g: TestGuest;
  const states: ConsoleState[] = [];

  before(async () => {
    rig = await TestRig.start();
    g = await rig.define({ name: 'nolisten', graphics: 'vnc-none' });
    dir = mkdtempSync(join(tmpdir(), 'vs-unavail-'));
    app = new App({ configDir: dir, uris: [SYSTEM_URI] });
    app.on('event', (e) => e.type === 'console' && states.push(e.console));
    app.start();
    s = app.session();
    await waitFor(
      'the guest running in the model',
      () => app.hosts.get(SYSTEM_URI).guest(g.uuid)?.state === 'running',
      60_000,
    );
  });

  after(async () => {
    s?.close();
    await app?.close();
    await rig?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says "unavailable", and why, instead of waiting for a display that never listens', async () => {
    await assert.rejects(
      s.openConsole({ host: SYSTEM_URI, uuid: g.uuid }, 'vnc'),
      /listens nowhere \(listen type='none'\)/,
    );
    const last = states.filter((c) => c.uuid === g.uuid && c.kind === 'vnc').at(-1);
    assert.equal(last?.status, 'unavailable');
    assert.match(last?.reason ?? '', /listens nowhere/);
    assert.equal(app.state().consoles.find((c) => c.uuid === g.uuid)?.status, 'unavailable');
  });
});
