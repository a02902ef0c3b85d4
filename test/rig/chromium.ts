import { existsSync } from 'node:fs';
import { RigError } from './errors.js';

/** Debian's Chromium, never a downloaded one: the tests run offline, with the system's browser. */
export function chromiumPath(): string {
  const p = process.env.VIRTSWITCH_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(p)) throw new RigError(`no Chromium at ${p}: apt-get install chromium (or set VIRTSWITCH_CHROMIUM)`);
  return p;
}

/** Flags that keep Chromium quiet and offline on a closed test machine. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
] as const;
