/**
 * The page's early start in Chromium (renderer/src/bridge/early.ts): while app.js is still on its
 * way (held back here, so the state surely comes first), early.js has opened the API socket and the
 * first guest's console; the app then shows that guest over that very console, opened once. The
 * first guest is the remembered one, or the first running one when the remembered guest is gone
 * (the server picks it, by the page's rule, before the page knows the guests), or the one the
 * page's URL names.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { startSwitcherRig, waitActive, type SwitcherRig } from './switcher-harness.js';
import type { TestGuest } from '../rig/guests.js';

/** How long app.js is held back: the state and the early console are there well before it runs. */
const HOLD_APP_MS = 1500;

describe('early start: the first console opens before app.js has run', () => {
  let r: SwitcherRig & { guests: TestGuest[] };
  /** Screen consoles the page opened, in order, with when (ms, this process's clock). */
  let opened: { uuid: string; at: number }[] = [];
  /** When app.js was let through. */
  let appReleasedAt = 0;
  /** Whether app.js is held back (else it races the first console's naming, as on a fast start). */
  let hold = true;

  before(async () => {
    r = await startSwitcherRig([{ name: 'early-a' }, { name: 'early-b' }]);
    await Promise.all(r.guests.map((g) => r.rig.waitForBoot(g)));
    const open = r.app.consoles.open.bind(r.app.consoles);
    r.app.consoles.open = async (ref, kind, opts): Promise<Duplex> => {
      if (kind === 'vnc') opened.push({ uuid: String(ref.uuid), at: performance.now() });
      return open(ref, kind, opts);
    };
    await r.page.route('**/app.js', async (route) => {
      if (hold) await new Promise((res) => setTimeout(res, HOLD_APP_MS));
      appReleasedAt = performance.now();
      await route.continue();
    });
  });

  after(async () => {
    await r?.close();
  });

  /** Loads the page afresh and waits until `expected` (or whichever guest the app shows) is live. */
  async function load(expected?: TestGuest, query = ''): Promise<string> {
    // Away first: the same URL again would only change the fragment, not load the page.
    await r.page.goto('about:blank');
    opened = [];
    await r.page.goto(r.shell.url.replace('/#', `/${query}#`));
    await r.page.waitForFunction(() => {
      const v = (window as unknown as { virtswitch?: { debugInfo(): { active?: string } } }).virtswitch;
      return !!v?.debugInfo().active;
    });
    const active = await r.page.evaluate(
      () => (window as unknown as { virtswitch: { debugInfo(): { active: string } } }).virtswitch.debugInfo().active,
    );
    if (expected) await waitActive(r.page, expected);
    else await waitActive(r.page, { uuid: active, name: active } as TestGuest);
    return active;
  }

  /** The active guest's console was the first one opened, before app.js ran, and only once. */
  async function assertEarly(active: string): Promise<void> {
    assert.ok(opened.length > 0, 'a console was opened');
    assert.equal(opened[0]!.uuid, active, "the first console opened is the active guest's");
    if (hold)
      assert.ok(
        opened[0]!.at < appReleasedAt,
        `opened ${(appReleasedAt - opened[0]!.at).toFixed(0)} ms before app.js was let through`,
      );
    // The others connect after its first frame; give them the time to, then count.
    await r.page.waitForTimeout(500);
    assert.equal(opened.filter((o) => o.uuid === active).length, 1, 'opened once: the app used the early console');
    const channels = await r.page.evaluate(
      () =>
        (
          window as unknown as { virtswitch: { debugInfo(): { consoles: { key: string; status: string }[] } } }
        ).virtswitch.debugInfo().consoles,
    );
    assert.equal(channels.find((c) => c.key === active)?.status, 'connected');
  }

  it('opens the remembered guest’s console early and shows it over that console', async () => {
    const b = r.guests[1]!;
    r.app.settings.update({ lastActive: b.uuid });
    const active = await load(b);
    assert.equal(active, b.uuid);
    await assertEarly(active);
  });

  it('falls back to the first running guest when the remembered one is gone', async () => {
    r.app.settings.update({ lastActive: '00000000-0000-4000-8000-00000000dead' });
    const active = await load();
    assert.notEqual(active, '00000000-0000-4000-8000-00000000dead');
    await assertEarly(active);
  });

  it('opens the guest the page’s URL names (?domain=) early', async () => {
    const [a, b] = r.guests as [TestGuest, TestGuest];
    r.app.settings.update({ lastActive: b.uuid });
    const active = await load(a, `?domain=${encodeURIComponent(a.name)}`);
    assert.equal(active, a.uuid);
    await assertEarly(active);
  });

  it('uses the early console also when app.js runs before the server has named its guest', async () => {
    const b = r.guests[1]!;
    r.app.settings.update({ lastActive: b.uuid });
    hold = false;
    try {
      for (let round = 0; round < 3; round++) {
        const active = await load(b);
        assert.equal(active, b.uuid);
        await assertEarly(active);
      }
    } finally {
      hold = true;
    }
  });
});
