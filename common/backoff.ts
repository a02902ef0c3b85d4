/**
 * How long to wait before trying again: the first wait, doubled after every failure, never more
 * than the longest. Main (a host's connection) and the renderer (the API socket, a console) share it.
 */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** The wait before the try that follows `failures` failed ones in a row (0: the first retry). */
export function backoffDelay(b: Backoff, failures: number): number {
  // The exponent is capped so that the product stays finite however long the failures go on.
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.min(failures, 30));
}

/** A host's connection: libvirt restarting takes seconds, a host that is down may be so for long. */
export const HOST_RECONNECT: Backoff = { initialMs: 1000, maxMs: 30_000 };
/** The browser's API socket: the serve shell may be restarting. */
export const API_RECONNECT: Backoff = { initialMs: 250, maxMs: 5000 };
/** A console whose guest still runs: quick at first (a restart), then steady. */
export const CONSOLE_RECONNECT: Backoff = { initialMs: 250, maxMs: 10_000 };
