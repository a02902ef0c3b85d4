/**
 * The switcher with hundreds of guests: ten libvirt test-driver hosts of fifty guests each, the
 * shared test host and qemu:///system, served to Debian's Chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { App } from '../../main/app/api.js';
import type { ServeShell } from '../../main/serve/server.js';
import { SYSTEM_URI } from '../rig/guests.js';
import { ensureLibvirtd } from '../rig/libvirtd.js';
import { waitFor } from '../rig/wait.js';
import {
  cleanupSharedTestGuests,
  defineSharedTestGuest,
  SHARED_TEST_URI,
  writeScaleHosts,
  type ScaleHosts,
} from '../rig/scale-hosts.js';
import { SCREENSHOTS, servePage } from './switcher-harness.js';

export interface ScaleSwitcher {
  hosts: ScaleHosts;
  /** A guest of ours on the shared test host, running, whose state virsh may change. */
  shared: { name: string; uuid: string; uri: string };
  app: App;
  shell: ServeShell;
  browser: Browser;
  page: Page;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startScaleSwitcher(viewport = { width: 1360, height: 820 }): Promise<ScaleSwitcher> {
  await ensureLibvirtd();
  const dir = mkdtempSync(join(tmpdir(), 'vs-scale-ui-'));
  const hosts = writeScaleHosts(join(dir, 'hosts'));
  const app = new App({ configDir: join(dir, 'config'), uris: [...hosts.uris, SHARED_TEST_URI, SYSTEM_URI] });
  app.start();
  // The shared test host exists while a connection holds it: the app's, from here on.
  await waitFor('the app connected to the shared test host', () =>
    app.state().hosts.some((x) => x.uri === SHARED_TEST_URI && x.status === 'connected'),
  );
  const shared = await defineSharedTestGuest('scale-shared', join(dir, 'shared'));
  const { shell, browser, page } = await servePage(app, viewport);
  return {
    hosts,
    shared,
    app,
    shell,
    browser,
    page,
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    },
    close: async () => {
      await browser.close().catch(() => undefined);
      await shell.close();
      await app.close();
      await cleanupSharedTestGuests();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The cards the strip has built right now (only those in or near view exist). */
export function builtCards(page: Page): Promise<{ name: string; host: string; state: string; slot?: string }[]> {
  return page.$$eval('[data-testid="guest"]', (els) =>
    els.map((e) => {
      const d = (e as HTMLElement).dataset;
      return { name: d.name!, host: d.host!, state: d.state!, slot: d.slot };
    }),
  );
}
