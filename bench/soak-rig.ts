/**
 * The soak's rig: a private libvirt host (the second-host rig: its own libvirtd in namespaces of
 * its own, which the soak may SIGKILL without touching the daemon other suites share) running the
 * guests, the app connected to it over qemu+tcp, the serve shell, and Debian's Chromium showing
 * the page. Every VNC channel the page opens is tapped by the key ledger.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { App } from '../main/app/api.js';
import type { ServeShell } from '../main/serve/server.js';
import { KeyLedger, servePage } from '../test/browser/switcher-harness.js';
import { TestRig, testDomainXml, type TestGuest } from '../test/rig/guests.js';
import { startSecondHost, type SecondHost } from '../test/rig/second-host.js';

export interface SoakRig {
  rig: TestRig;
  host: SecondHost;
  /** The app's URI for the private host. */
  uri: string;
  guests: TestGuest[];
  app: App;
  keys: KeyLedger;
  shell: ServeShell;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** A test guest on the private host, its display listening on that host's address (where the app dials). */
async function defineGuest(rig: TestRig, host: SecondHost, i: number): Promise<TestGuest> {
  const short = `soak-${String(i + 1).padStart(2, '0')}`;
  const g: TestGuest = {
    name: `${rig.prefix}${short}`,
    uuid: randomUUID(),
    serialPath: '',
    options: { name: short },
  };
  g.serialPath = join(rig.runDir, `${g.uuid}.serial`);
  writeFileSync(g.serialPath, '');
  const xml = testDomainXml(g, g.options, rig.image).replaceAll("'127.0.0.1'", `'${host.address}'`);
  const xmlPath = join(rig.runDir, `${g.uuid}.xml`);
  writeFileSync(xmlPath, xml);
  await host.virsh('define', xmlPath);
  await host.virsh('start', g.uuid);
  return g;
}

export async function startSoakRig(count: number): Promise<SoakRig> {
  const rig = await TestRig.start();
  const host = await startSecondHost();
  const dir = mkdtempSync(join(tmpdir(), 'vs-soak-'));
  const cleanup = async (): Promise<void> => {
    await host.stop();
    await rig.cleanup();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const guests: TestGuest[] = [];
    for (let i = 0; i < count; i++) guests.push(await defineGuest(rig, host, i));
    await Promise.all(guests.map((g) => rig.waitForBoot(g)));
    const uri = host.tcpUri;
    const app = new App({ uris: [uri], configDir: dir, host: { backoffMaxMs: 4000 } });
    app.start();
    const keys = new KeyLedger();
    const open = app.consoles.open.bind(app.consoles);
    // Without the reader: the tap reads the channel's 'data' (as the switcher tests do).
    app.consoles.open = async (ref, kind) => {
      const ch = await open(ref, kind);
      return kind === 'vnc' ? keys.tap(ref.uuid, ch) : ch;
    };
    const { shell, browser, page } = await servePage(app, { width: 1360, height: 820 });
    page.on('dialog', (d) => void d.dismiss());
    return {
      rig,
      host,
      uri,
      guests,
      app,
      keys,
      shell,
      browser,
      page,
      close: async () => {
        await browser.close().catch(() => undefined);
        await shell.close();
        await app.close();
        await cleanup();
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
