/** Reconnection delays for a console whose guest still runs: quick at first (a restart), then steady. */
export function backoffMs(attempt: number): number {
  return Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
}
