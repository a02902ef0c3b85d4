/**
 * "Move to host…" without the DOM: where a guest can go, how it moves, what the dialog sends, and
 * how a move's progress reads. Pure.
 */
import type { GuestInfo, HostInfo, MigrateOptions, MigrationProgress } from '../../../common/contract.js';

/** The hosts a guest can move to: connected, and not the one it is on. */
export function moveTargets(g: Pick<GuestInfo, 'host'>, hosts: readonly HostInfo[]): HostInfo[] {
  return hosts.filter((h) => h.status === 'connected' && h.uri !== g.host);
}

/** Live for a guest that runs, offline for one that is off; undefined when it can't move as it is. */
export function moveMode(g: Pick<GuestInfo, 'state'>): MigrateOptions['mode'] | undefined {
  if (g.state === 'running' || g.state === 'paused' || g.state === 'blocked') return 'live';
  if (g.state === 'shutoff') return 'offline';
  return undefined;
}

/** What the user filled in, as the dialog's fields hold it. */
export interface MoveForm {
  target: string;
  copyStorage: boolean;
  persistent: boolean;
  undefineSource: boolean;
  /** Empty for libvirt's default. */
  maxDowntimeMs: string;
  /** Empty for no limit. */
  bandwidthMiBs: string;
  postCopy: boolean;
  /** Empty to let the target's hostname say where the guest goes. */
  migrationAddress: string;
}

/** The dialog's starting values: the first target, both definition switches on. */
export function defaultMoveForm(targets: readonly HostInfo[]): MoveForm {
  return {
    target: targets[0]?.uri ?? '',
    copyStorage: false,
    persistent: true,
    undefineSource: true,
    maxDowntimeMs: '',
    bandwidthMiBs: '',
    postCopy: false,
    migrationAddress: '',
  };
}

/** A whole positive number from a field, undefined when empty; throws a sentence when it is not one. */
function positive(value: string, what: string): number | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a whole number above 0`);
  return n;
}

/** The options to send, or a sentence saying what is wrong with the form. */
export function moveOptions(g: Pick<GuestInfo, 'state'>, f: MoveForm): MigrateOptions {
  const mode = moveMode(g);
  if (!mode) throw new Error(`A guest that is ${g.state} can't move; start it or shut it down first`);
  if (!f.target) throw new Error('Pick the host to move it to');
  const live = mode === 'live';
  const o: MigrateOptions = {
    target: f.target,
    mode,
    copyStorage: live && f.copyStorage,
    persistent: f.persistent,
    undefineSource: f.undefineSource,
    postCopy: live && f.postCopy,
  };
  const downtime = live ? positive(f.maxDowntimeMs, 'The maximum downtime') : undefined;
  const bandwidth = live ? positive(f.bandwidthMiBs, 'The bandwidth limit') : undefined;
  const address = f.migrationAddress.trim();
  if (downtime !== undefined) o.maxDowntimeMs = downtime;
  if (bandwidth !== undefined) o.bandwidthMiBs = bandwidth;
  if (address && live) o.migrationAddress = address;
  return o;
}

export function formatSize(bytes: number): string {
  const mib = bytes / 1048576;
  if (mib < 1) return `${Math.round(bytes / 1024)} KiB`;
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${mib.toFixed(mib < 10 ? 1 : 0)} MiB`;
}

const PHASE_TEXT: Record<MigrationProgress['phase'], string> = {
  preparing: 'Preparing',
  copying: 'Copying memory',
  'post-copy': 'Running on the target, fetching the rest',
  done: 'Moved',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export interface ProgressView {
  /** 0–1, or undefined while nothing is known yet. */
  fraction: number | undefined;
  /** One line: the phase and how far. */
  headline: string;
  /** Label and value pairs for the details. */
  rows: [string, string][];
  /** The move has ended (done, failed or cancelled). */
  ended: boolean;
}

/**
 * Copying storage, libvirt copies the disks first (memory is not counted yet) and the memory once
 * they are in step; the headline names the stage and the bar shows that stage's part.
 */
function copyStage(m: MigrationProgress): { what: string; total: number; remaining: number } {
  if (m.diskTotal > 0 && m.memoryTotal === 0)
    return { what: 'Copying disks', total: m.diskTotal, remaining: m.diskRemaining };
  return { what: PHASE_TEXT[m.phase], total: m.memoryTotal, remaining: m.memoryRemaining };
}

/** How a move's progress reads for a person. */
export function progressView(m: MigrationProgress): ProgressView {
  const ended = m.phase === 'done' || m.phase === 'failed' || m.phase === 'cancelled';
  const stage = ended ? { what: PHASE_TEXT[m.phase], total: 0, remaining: 0 } : copyStage(m);
  let fraction = stage.total > 0 ? Math.min(1, Math.max(0, 1 - stage.remaining / stage.total)) : undefined;
  if (m.phase === 'done') fraction = 1;
  const pct = fraction === undefined ? '' : ` — ${Math.round(fraction * 100)}%`;
  const rows: [string, string][] = [];
  if (m.memoryTotal > 0) {
    rows.push(['Memory', `${formatSize(m.memoryProcessed)} sent, ${formatSize(m.memoryRemaining)} to go`]);
    rows.push(['Dirtied', `${Math.round(m.dirtyRate)} pages/s`]);
    rows.push(['Pass', String(m.iteration)]);
  }
  if (m.diskTotal > 0)
    rows.push(['Disks', `${formatSize(m.diskProcessed)} sent, ${formatSize(m.diskRemaining)} to go`]);
  if (m.downtimeMs > 0) rows.push([m.phase === 'done' ? 'Downtime' : 'Expected downtime', `${m.downtimeMs} ms`]);
  rows.push(['Time', `${(m.elapsedMs / 1000).toFixed(1)} s`]);
  return { fraction, headline: `${stage.what}${ended ? '' : pct}`, rows, ended };
}
