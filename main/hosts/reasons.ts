/** libvirt's state reasons (virDomain*Reason) and lifecycle event details, in words. */
import { DomainState, LifecycleEvent } from '../libvirt/index.js';

/** Per state, its reasons by number. */
const REASONS: Record<number, readonly string[]> = {
  [DomainState.NOSTATE]: ['unknown'],
  [DomainState.RUNNING]: [
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
  [DomainState.BLOCKED]: ['unknown'],
  [DomainState.PAUSED]: [
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
  [DomainState.SHUTDOWN]: ['unknown', 'shutting down'],
  [DomainState.SHUTOFF]: [
    'unknown',
    'shut down',
    'destroyed',
    'crashed',
    'migrated',
    'saved',
    'failed',
    'from snapshot',
    'daemon stopped',
  ],
  [DomainState.CRASHED]: ['unknown', 'panicked'],
  [DomainState.PMSUSPENDED]: ['unknown'],
};

export function reasonName(state: number, reason: number): string {
  return REASONS[state]?.[reason] ?? 'unknown';
}

/** What a lifecycle event says the state now is, and its details in words, before the details are re-read. */
const EVENT_STATE: Partial<Record<number, { state: number; details: readonly string[] }>> = {
  [LifecycleEvent.STARTED]: {
    state: DomainState.RUNNING,
    details: ['booted', 'migrated', 'restored', 'from snapshot', 'woken up'],
  },
  [LifecycleEvent.SUSPENDED]: {
    state: DomainState.PAUSED,
    details: [
      'paused by user',
      'migrating',
      'I/O error',
      'watchdog',
      'restored',
      'from snapshot',
      'API error',
      'post-copy',
      'post-copy failed',
    ],
  },
  [LifecycleEvent.RESUMED]: {
    state: DomainState.RUNNING,
    details: ['unpaused', 'migrated', 'from snapshot', 'post-copy'],
  },
  [LifecycleEvent.STOPPED]: {
    state: DomainState.SHUTOFF,
    details: ['shut down', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from snapshot'],
  },
  [LifecycleEvent.PMSUSPENDED]: { state: DomainState.PMSUSPENDED, details: ['memory', 'disk'] },
  [LifecycleEvent.CRASHED]: { state: DomainState.CRASHED, details: ['panicked', 'crashloaded'] },
};

/** The state and reason a lifecycle event implies, or undefined for events that change no state. */
export function impliedState(event: number, detail: number): { state: number; reason: string } | undefined {
  const implied = EVENT_STATE[event];
  return implied && { state: implied.state, reason: implied.details[detail] ?? 'unknown' };
}
