/**
 * The set-up every integration file shares. `useRig` registers, on the enclosing `describe`, a
 * `before` that starts the rig (libvirtd answering, the guest image built, guests of dead test
 * processes removed) and then runs the file's own set-up, and an `after` that closes what that
 * set-up opened (last opened, first closed) and then removes every guest the rig defined.
 */
import { after, before } from 'node:test';
import { TestRig } from './guests.js';

/** Registers something the set-up opened, to be closed after the file's tests, before the guests go. */
export type Defer = (close: () => unknown) => void;

export function useRig(setup: (rig: TestRig, defer: Defer) => Promise<void> | void = () => undefined): void {
  let rig: TestRig | undefined;
  const closers: (() => unknown)[] = [];
  before(async () => {
    rig = await TestRig.start();
    await setup(rig, (close) => closers.push(close));
  });
  after(async () => {
    // A set-up that failed halfway still has what it opened so far closed, and its guests removed.
    try {
      for (const close of closers.reverse()) await close();
    } finally {
      await rig?.cleanup();
    }
  });
}
