/** A guest as the app reports one, for tests that need a few: each has a UUID of its own. */
import type { GuestInfo, GuestStateName } from '../../common/contract.js';

let made = 0;

export function guestInfo(
  host: string,
  name: string,
  state: GuestStateName = 'running',
  extra: Partial<GuestInfo> = {},
): GuestInfo {
  made++;
  return {
    host,
    uuid: `00000000-0000-4000-8000-${String(made).padStart(12, '0')}`,
    name,
    state,
    reason: '',
    vcpus: 1,
    maxVcpus: 1,
    memoryKiB: 262144,
    maxMemoryKiB: 262144,
    autostart: false,
    persistent: true,
    managedSave: false,
    hasVnc: true,
    hasSerial: true,
    snapshotCount: 0,
    ...extra,
  };
}
