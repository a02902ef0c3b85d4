/**
 * The keyboard across a console's handover, when a guest moves from one host's display to
 * another's: keys still down when the old display went away are released on the new one (the
 * guest took their presses along with its memory), and keys typed while there was no display are
 * kept and typed on the new one, in order, once each. Pure: the console feeds it key events and
 * sends what it returns.
 */

export interface KeyRecord {
  type: 'keydown' | 'keyup';
  code: string;
  /** KeyboardEvent.key, so the new display's client can work out the keysym. */
  key: string;
  /** Set for an event that was to be sent as is (not typed on the page): sent so on the new display. */
  keysym?: number;
}

export interface Handover {
  /** Codes to release on the new display (their presses reached the guest before the move). */
  release: string[];
  /** Key events to type on the new display, in order; every press in it has its release. */
  replay: KeyRecord[];
}

export class HandoverKeys {
  /** Codes down on the live display. */
  private readonly held = new Set<string>();
  /** While there is no display: what was down when it went, and what was typed since. */
  private gap: { heldAtStart: string[]; stillDown: Set<string>; typed: KeyRecord[]; presses: number } | undefined;

  get inGap(): boolean {
    return this.gap !== undefined;
  }

  /** While keys are kept: how many presses wait to be typed on the new display (else undefined). */
  get keptPresses(): number | undefined {
    return this.gap?.presses;
  }

  /** A key event the console saw: on the live display, or into the gap when there is none. */
  key(r: KeyRecord): void {
    if (this.gap) {
      this.gap.typed.push(r);
      if (r.type === 'keydown') this.gap.presses++;
      return;
    }
    if (r.type === 'keydown') this.held.add(r.code);
    else this.held.delete(r.code);
  }

  /** The display went away; from now on keys are kept. A second call changes nothing. */
  begin(): void {
    if (this.gap) return;
    this.gap = { heldAtStart: [...this.held], stillDown: new Set(this.held), typed: [], presses: 0 };
    this.held.clear();
  }

  /**
   * While keys are kept: whether a release is for a key the live display still has down. It may
   * go there (once), so a key held when keeping began is not left down in the guest meanwhile.
   */
  releasesLive(code: string): boolean {
    return this.gap?.stillDown.delete(code) ?? false;
  }

  /** The new display is up: what to send it. Afterwards keys go to the live display again. */
  end(): Handover {
    const gap = this.gap;
    this.gap = undefined;
    if (!gap) return { release: [], replay: [] };
    const replay: KeyRecord[] = [];
    const down = new Map<string, KeyRecord>();
    for (const r of gap.typed) {
      if (r.type === 'keydown') {
        down.set(r.code, r);
        replay.push(r);
      } else if (down.delete(r.code)) replay.push(r);
      // A release whose press went to the old display: that key is released below anyway.
    }
    // Pressed while there was no display and not let go yet: typed once, not left down.
    for (const r of down.values()) replay.push({ ...r, type: 'keyup' });
    return { release: gap.heldAtStart, replay };
  }
}
