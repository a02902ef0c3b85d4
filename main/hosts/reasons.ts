/** libvirt's state reasons (virDomain*Reason) in words, per state. */
const REASONS: Record<number, readonly string[]> = {
  0: ['unknown'],
  1: [
    'unknown',
    'booted',
    'migrated',
    'restored',
    'from snapshot',
    'unpaused',
    'migration canceled',
    'save canceled',
    'woken up',
    'crashed',
    'post-copy',
    'post-copy failed',
  ],
  2: ['unknown'],
  3: [
    'unknown',
    'paused by user',
    'migrating',
    'saving',
    'dumping',
    'I/O error',
    'watchdog',
    'from snapshot',
    'shutting down',
    'taking snapshot',
    'crashed',
    'starting up',
    'post-copy',
    'post-copy failed',
    'API error',
  ],
  4: ['unknown', 'shutting down'],
  5: ['unknown', 'shut down', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from snapshot', 'daemon stopped'],
  6: ['unknown', 'panicked'],
  7: ['unknown'],
};

export function reasonName(state: number, reason: number): string {
  return REASONS[state]?.[reason] ?? 'unknown';
}
