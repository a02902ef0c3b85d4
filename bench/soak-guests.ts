/**
 * The soak's view of each guest: its slot, whether its shells are up (so typing reaches a shell),
 * and the markers typed into it. A marker is a tiny shell call (`m q016`) that writes the
 * marker to the guest's serial port, so each one can be found afterwards in exactly one guest's log.
 */
import type { Page } from 'playwright-core';
import type { TestGuest, TestRig } from '../test/rig/guests.js';
import { guestCard, typeAsPerson } from '../test/browser/switcher-harness.js';

/** Defines the marker function in the guest's shell on tty1 (again after every boot). */
const DEFINE_MARKER = 'm(){ echo "$1" >/dev/ttyS0; }\n';

export class SoakGuest {
  /** The shell on its screen runs (false from a reset until its boot banner). */
  ready = true;
  /** The marker function exists in that shell. */
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
      await typeAsPerson(page, DEFINE_MARKER);
      this.defined = true;
    }
    await typeAsPerson(page, `m ${marker}\n`);
    this.markers.push(marker);
  }

  /** Waits until the last marker typed here has reached the serial port (and so all before it). */
  async settle(timeoutMs = 60_000): Promise<void> {
    const last = this.markers.at(-1);
    if (last) await this.rig.waitForSerial(this.g, `${last}\r\n`, timeoutMs);
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

/** The guests with their slots, read from the page's cards. */
export async function soakGuests(page: Page, rig: TestRig, guests: readonly TestGuest[]): Promise<SoakGuest[]> {
  const out: SoakGuest[] = [];
  for (const g of guests) {
    const slot = await page.getAttribute(guestCard(g), 'data-slot');
    if (!slot) throw new Error(`${g.name} has no hotkey slot`);
    out.push(new SoakGuest(g, slot, rig));
  }
  return out;
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
