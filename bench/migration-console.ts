/**
 * The console gap of a live move, measured in Chromium through the serve shell: the guest's screen
 * changes every 50 ms (a counter on tty1), it moves A → B and back through the app's API from the
 * page, and for each move the page's console reports when the last data came from the old host's
 * display and when the new host's display drew its first frame on the stage.
 */
import type { Page } from 'playwright-core';
import { guestCard, startSwitcherRig } from '../test/browser/switcher-harness.js';
import { SYSTEM_URI } from '../test/rig/guests.js';
import { startSecondHost } from '../test/rig/second-host.js';
import { typeOnSerial } from '../test/rig/serial-counter.js';
import { waitFor } from '../test/rig/wait.js';

/** What the page's debugInfo() says of a console (renderer/src/consoles/vnc-console.ts). */
interface ConsoleDebug {
  key: string;
  host: string;
  status: string;
  frozen: boolean;
  handover?: { lastSourceData: number; firstTargetFrame: number; retargeted?: number; connected?: number };
}

type PageWindow = {
  virtswitch: { debugInfo(): { consoles: ConsoleDebug[] } };
  virtswitchDebug: { bridge: { invoke(command: string, params: unknown): Promise<unknown> } };
};

function consoleOf(page: Page, uuid: string): Promise<ConsoleDebug | undefined> {
  return page.evaluate(
    (u) => (window as unknown as PageWindow).virtswitch.debugInfo().consoles.find((c) => c.key === u),
    uuid,
  );
}

/** Moves the guest through the page's bridge and returns the console gap of that move, in ms. */
async function moveAndMeasure(page: Page, uuid: string, from: string, to: string, address?: string): Promise<number> {
  const before = (await consoleOf(page, uuid))?.handover;
  const params = {
    host: from,
    uuid,
    target: to,
    mode: 'live',
    copyStorage: false,
    persistent: true,
    undefineSource: true,
    postCopy: false,
    ...(address ? { migrationAddress: address } : {}),
  };
  await page.evaluate(
    (p) => (window as unknown as PageWindow).virtswitchDebug.bridge.invoke('guest.migrate', p),
    params,
  );
  const handle = await page.waitForFunction(
    ({ u, host, was }) => {
      const c = (window as unknown as PageWindow).virtswitch.debugInfo().consoles.find((x) => x.key === u);
      const h = c?.handover;
      const fresh = h && (!was || h.firstTargetFrame !== was.firstTargetFrame);
      return c?.host === host && !c.frozen && fresh ? h : false;
    },
    { u: uuid, host: to, was: before ?? null },
    { timeout: 120_000, polling: 100 },
  );
  const h = (await handle.jsonValue()) as NonNullable<ConsoleDebug['handover']>;
  // A negative "answered" means the target's display was opened before the switch-over.
  const at = (t: number | undefined): string => (t === undefined ? '?' : `${Math.round(t - h.lastSourceData)}`);
  console.error(
    `migration console gap ${from} -> ${to}: ${Math.round(h.firstTargetFrame - h.lastSourceData)} ms ` +
      `(after the last source data: retargeted ${at(h.retargeted)}, display answered ${at(h.connected)})`,
  );
  return h.firstTargetFrame - h.lastSourceData;
}

/** `rounds` moves there and back; each move's gap from the last source frame to the first target frame. */
export async function consoleGaps(rounds: number): Promise<number[]> {
  const second = await startSecondHost();
  try {
    const r = await startSwitcherRig([{ name: 'bench-gap' }], undefined, {
      uris: [SYSTEM_URI, second.sshUri],
      host: { client: { sshPath: second.sshPath, connectTimeoutMs: 20_000 } },
    });
    try {
      const g = r.guests[0]!;
      await r.rig.waitForBoot(g);
      await typeOnSerial(
        SYSTEM_URI,
        g.name,
        'i=0; while :; do echo "frame $i" >/dev/tty1; i=$((i+1)); usleep 50000; done &',
      );
      const app = r.app;
      await waitFor('both hosts', () => app.state().hosts.every((h) => h.status === 'connected'), 60_000);
      await r.page.goto(r.shell.url);
      // Other suites' guests may share the daemon; the strip shows only what is in view.
      await r.page.fill('[aria-label="Filter guests"]', g.name);
      await r.page.click(`${guestCard(g)}[data-state="running"]`, { timeout: 60_000 });
      await r.page.waitForFunction((u) => {
        const c = (window as unknown as PageWindow).virtswitch.debugInfo().consoles.find((x) => x.key === u);
        return c?.status === 'connected';
      }, g.uuid);
      const gaps: number[] = [];
      for (let i = 0; i < rounds; i++) {
        gaps.push(await moveAndMeasure(r.page, g.uuid, SYSTEM_URI, second.sshUri));
        gaps.push(await moveAndMeasure(r.page, g.uuid, second.sshUri, SYSTEM_URI, second.localAddress));
      }
      return gaps;
    } finally {
      await r.close();
    }
  } finally {
    await second.stop();
  }
}
