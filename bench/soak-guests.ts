/**
 * The soak's view of each guest: its slot, whether its shells are up (so typing reaches a shell),
 * and the markers typed into it. A marker is a short line typed into `cat >/dev/ttyS0` on the
 * guest's screen, so each one can be found afterwards in exactly one guest's serial log.
 */
import type { Page } from 'playwright-core';
import type { TestGuest, TestRig } from '../test/rig/guests.js';
import { typeAsPerson } from '../test/browser/switcher-harness.js';

/** Makes every line typed on the guest's screen go to its serial port (again after every boot). */
const LINES_TO_SERIAL = 'cat >/dev/ttyS0\n';

export class SoakGuest {
  /** The shell on its screen runs (false from a reset until its boot banner). */
  ready = true;
  /** That shell runs `cat` into the serial port. */
  private defined = false;
  readonly markers: string[] = [];
  /** Boots to wait for before this guest is typed into again. */
  private booting: Promise<void> | undefined;

  constructor(
    readonly g: TestGuest,
    readonly slot: string,
    private readonly rig: TestRig,
  ) {}

  /** Types one marker into this guest (the page must show it as the active guest). */
  async type(page: Page, marker: string): Promise<void> {
    if (!this.defined) {
      await typeAsPerson(page, LINES_TO_SERIAL);
      this.defined = true;
    }
    await typeAsPerson(page, `${marker}\n`);
    this.markers.push(marker);
  }

  /** Waits until the last marker typed here has reached the serial port (and so all before it). */
  async settle(timeoutMs = 60_000): Promise<void> {
    const last = this.markers.at(-1);
    if (last) await this.rig.waitForSerial(this.g, `${last}\r\n`, timeoutMs);
  }

  /** A restart is on its way: nothing more is typed into it. */
  hold(): void {
    this.ready = false;
  }

  /** The guest is about to restart: no typing until its boot banner appears again. */
  restarting(): void {
    const from = this.rig.serial(this.g).length;
    this.ready = false;
    this.defined = false;
    this.booting = this.rig.waitForBoot(this.g, from).then(() => {
      this.ready = true;
    });
  }

  async booted(): Promise<void> {
    await this.booting;
  }
}

/** The guests with their slots: the place of each in the page's order (the strip builds only the cards in view). */
export async function soakGuests(page: Page, rig: TestRig, guests: readonly TestGuest[]): Promise<SoakGuest[]> {
  const order = await page.evaluate(() =>
    (window as unknown as { virtswitch: { store: { ordered(): { uuid: string }[] } } }).virtswitch.store
      .ordered()
      .map((g) => g.uuid),
  );
  return guests.map((g) => {
    const slot = order.indexOf(g.uuid) + 1;
    if (slot < 1 || slot > 9) throw new Error(`${g.name} has no hotkey slot (place ${slot} in the order)`);
    return new SoakGuest(g, String(slot), rig);
  });
}

/** Markers that did not land exactly once in the guest they were typed into, in words. */
export function misplacedMarkers(rig: TestRig, guests: readonly SoakGuest[]): { lost: string[]; strays: string[] } {
  const logs = guests.map((s) => rig.serial(s.g));
  const lost: string[] = [];
  const strays: string[] = [];
  for (const [i, s] of guests.entries()) {
    for (const marker of s.markers) {
      const line = `${marker}\r\n`;
      const times = logs[i]!.split(line).length - 1;
      if (times !== 1) lost.push(`${marker} reached ${s.g.name} ${times} times`);
      for (const [j, other] of guests.entries())
        if (j !== i && logs[j]!.includes(line)) strays.push(`${marker} (for ${s.g.name}) reached ${other.g.name}`);
    }
  }
  return { lost, strays };
}
