/**
 * Moving a guest between two of the user's hosts: checks that can be made before anything moves
 * (target connected, not the same host, the guest's state fits the mode, no guest of that name or
 * UUID on the target, enough free memory there), libvirt's managed migration driven through both
 * connections, progress from the job's statistics, tuning while it runs (downtime, post-copy), a
 * cancel, and libvirt's failures in words. On any failure the guest is where it was.
 */
import {
  ErrorCode,
  JobStatsFlags,
  JobType,
  LibvirtError,
  MigrateFlags,
  MigrateParam,
  migrateManaged,
  migrateParams,
  paramsToRecord,
  type DomainRef,
  type LibvirtClient,
} from '../libvirt/index.js';
import type { GuestInfo, GuestRef, MigrateOptions, MigrationProgress } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { toApiError } from './api-error.js';
import type { Host } from './host.js';

const POLL_MS = 250;
/** Pre-copy passes after which a move that allows it switches to post-copy. */
const POSTCOPY_AFTER_ITERATION = 3;

/** Moves under way, by guest UUID: what a cancel needs. */
const moving = new Map<string, { client: LibvirtClient; dom: DomainRef }>();

export function isMoving(uuid: string): boolean {
  return moving.has(uuid);
}

function flagsFor(o: MigrateOptions): number {
  let f = o.mode === 'live' ? MigrateFlags.LIVE : MigrateFlags.OFFLINE;
  // Offline migration only ever writes the definition, so libvirt needs PERSIST_DEST with it.
  if (o.persistent || o.mode === 'offline') f |= MigrateFlags.PERSIST_DEST;
  if (o.undefineSource) f |= MigrateFlags.UNDEFINE_SOURCE;
  if (o.copyStorage && o.mode === 'live') f |= MigrateFlags.NON_SHARED_DISK;
  if (o.postCopy && o.mode === 'live') f |= MigrateFlags.POSTCOPY;
  return f;
}

function fail(code: ConstructorParameters<typeof ApiError>[0], g: GuestInfo, why: string): ApiError {
  return new ApiError(code, `Can't move ${g.name}: ${why}`, { host: g.host, guest: g.name });
}

/**
 * Whether the target already has a guest of this UUID or name, asked of its daemon: the model can
 * trail a move just made by another tool by a moment, and must neither refuse nor allow on that.
 */
async function definedOnTarget(dst: Host, g: GuestInfo): Promise<'uuid' | 'name' | undefined> {
  const found = (p: Promise<unknown>): Promise<boolean> =>
    p.then(
      () => true,
      (e: unknown) => {
        if (e instanceof LibvirtError && e.code === ErrorCode.NO_DOMAIN) return false;
        throw e;
      },
    );
  return dst.withClient('look for the guest on the target', async (c) => {
    if (await found(c.call('domainLookupByUuid', { uuid: g.uuid }))) return 'uuid';
    if (await found(c.call('domainLookupByName', { name: g.name }))) return 'name';
    return undefined;
  });
}

/** What can be known before anything moves; throws the first problem in words. */
async function precheck(src: Host, dst: Host, g: GuestInfo, o: MigrateOptions): Promise<void> {
  if (src.uri === dst.uri) throw fail('invalid-input', g, 'it is already on that host');
  if (!dst.connected) throw fail('host-unavailable', g, `the target host ${dst.uri} is not connected`);
  const running = ['running', 'paused', 'blocked'].includes(g.state);
  if (o.mode === 'live' && !running) throw fail('invalid-state', g, `it is ${g.state}; a stopped guest moves offline`);
  if (o.mode === 'offline' && g.state !== 'shutoff') {
    throw fail('invalid-state', g, `it is ${g.state}; a running guest moves live`);
  }
  const there = await definedOnTarget(dst, g);
  if (there === 'uuid') throw fail('conflict', g, `a guest with the same UUID is already defined on ${dst.uri}`);
  if (there === 'name') throw fail('conflict', g, `a guest named ${g.name} is already defined on ${dst.uri}`);
  if (o.mode === 'live') {
    const free = (await dst.withClient('read free memory', (c) => c.call('nodeGetFreeMemory', undefined))).freeMem;
    const need = g.memoryKiB * 1024;
    if (free < need) {
      const mib = (b: number): number => Math.floor(b / 1048576);
      throw fail(
        'out-of-range',
        g,
        `not enough memory on ${dst.uri}: it needs ${mib(need)} MiB, the target has ${mib(free)} MiB free`,
      );
    }
  }
}

/** libvirt's failure of a move, said for a person. */
export function moveError(e: unknown, g: GuestInfo, target: string): ApiError {
  const where = { host: g.host, guest: g.name, action: `move ${g.name} to ${target}` };
  if (!(e instanceof LibvirtError)) return toApiError(e, where);
  const m = e.message;
  const stays = `; it stays on ${g.host}`;
  if (e.code === ErrorCode.OPERATION_ABORTED || /cancel(l)?ed by client|migration.*(cancel|abort)/i.test(m)) {
    return fail('conflict', g, `the move was cancelled${stays}`);
  }
  if (e.code === ErrorCode.DOM_EXIST || /already exists/i.test(m)) {
    return fail('conflict', g, `a guest of that name or UUID is already defined on ${target} (${m})`);
  }
  // A target whose QEMU lacks the guest's CPU model (an older QEMU) refuses it while preparing.
  const model = /CPU model (\S+) is not supported by (?:the )?hypervisor/i.exec(m);
  if (model) {
    return fail(
      'unsupported',
      g,
      `${target} can't run its CPU: the QEMU there does not offer the CPU model ${model[1]} (${m}); give the guest a CPU model both hosts offer${stays}`,
    );
  }
  if (/cpu/i.test(m) && /incompatib|not compatible|missing|does ?n.t match|unsupported|not supported/i.test(m)) {
    return fail('unsupported', g, `the CPU of ${target} can't run this guest (${m})${stays}`);
  }
  if (e.code === ErrorCode.MIGRATE_UNSAFE && /shared storage/i.test(m)) {
    return fail(
      'invalid-state',
      g,
      `its disks are not on storage shared with ${target}, so they would be missing there (${m}); for hosts without shared storage choose "copy storage"${stays}`,
    );
  }
  if (/postcopy is not supported/i.test(m)) {
    return fail(
      'unsupported',
      g,
      `${target} cannot take a post-copy move: its QEMU may not use userfaultfd (sysctl vm.unprivileged_userfaultfd=1 allows it); move without post-copy (${m})${stays}`,
    );
  }
  if (/cannot access storage file|no such file or directory/i.test(m)) {
    return fail(
      'invalid-state',
      g,
      `a disk is missing on ${target} (${m}); for hosts without shared storage choose "copy storage"${stays}`,
    );
  }
  return toApiError(e, where);
}

type Stats = Record<string, number | bigint | string | boolean>;

function diskFigures(s: Stats): Stats {
  return { disk_total: s.disk_total ?? 0, disk_processed: s.disk_total ?? 0, disk_remaining: 0 };
}

function progressFrom(
  base: Pick<MigrationProgress, 'host' | 'uuid' | 'name' | 'target'>,
  stats: Record<string, number | bigint | string | boolean>,
  phase: MigrationProgress['phase'],
  started: number,
): MigrationProgress {
  const n = (k: string): number => Number(stats[k] ?? 0);
  return {
    ...base,
    phase,
    memoryTotal: n('memory_total'),
    memoryProcessed: n('memory_processed'),
    memoryRemaining: n('memory_remaining'),
    diskTotal: n('disk_total'),
    diskProcessed: n('disk_processed'),
    diskRemaining: n('disk_remaining'),
    dirtyRate: n('memory_dirty_rate'),
    iteration: n('memory_iteration'),
    downtimeMs: n('downtime'),
    elapsedMs: Date.now() - started,
  };
}

/** Polls the source's job while the guest is sent, reporting progress and tuning the job. */
function watchJob(
  c: LibvirtClient,
  dom: DomainRef,
  o: MigrateOptions,
  report: (stats: Stats, phase: MigrationProgress['phase']) => void,
): () => void {
  let stopped = false;
  let tuned = false;
  let postCopy = false;
  const tick = async (): Promise<void> => {
    while (!stopped) {
      try {
        const j = await c.call('domainGetJobStats', { dom, flags: 0 });
        if (stopped) return;
        const stats = paramsToRecord(j.params);
        // With "copy storage" the disks are copied first, before any memory is counted.
        if (j.type === JobType.UNBOUNDED && Number(stats.memory_total ?? 0) + Number(stats.disk_total ?? 0) > 0) {
          if (!tuned && o.maxDowntimeMs !== undefined) {
            tuned = true;
            await c.call('domainMigrateSetMaxDowntime', { dom, downtime: BigInt(o.maxDowntimeMs), flags: 0 });
          }
          if (o.postCopy && !postCopy && Number(stats.memory_iteration ?? 0) >= POSTCOPY_AFTER_ITERATION) {
            postCopy = true;
            await c.call('domainMigrateStartPostCopy', { dom, flags: 0 });
          }
          report(stats, postCopy ? 'post-copy' : 'copying');
        }
      } catch {
        // The job ends between two polls; the move's own outcome says how.
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };
  void tick();
  return () => (stopped = true);
}

/**
 * Moves the guest from `src` to `dst`. `emit` gets progress while it runs and the final phase.
 * Resolves with the guest's reference on the target.
 */
export async function migrateGuest(
  src: Host,
  dst: Host,
  uuid: string,
  o: MigrateOptions,
  emit: (p: MigrationProgress) => void,
): Promise<GuestRef> {
  const g = src.guest(uuid);
  if (!g) throw new ApiError('no-such-guest', `No guest ${uuid} on ${src.uri}`, { host: src.uri });
  if (moving.has(uuid)) throw fail('conflict', g, 'it is already moving');
  await precheck(src, dst, g, o);
  const started = Date.now();
  const base = { host: src.uri, uuid, name: g.name, target: dst.uri };
  let copied: Stats = {};
  const report = (stats: Stats, phase: MigrationProgress['phase']): void => {
    if (Number(stats.disk_total ?? 0) > 0) copied = stats;
    // The target's statistics of a finished move leave out the disks the source copied.
    const disks = phase === 'done' && !stats.disk_total && copied.disk_total ? diskFigures(copied) : {};
    emit(progressFrom(base, { ...stats, ...disks }, phase, started));
  };
  report({}, 'preparing');
  const c = src.libvirt();
  const dom = src.domain(uuid);
  const params = migrateParams({
    [MigrateParam.BANDWIDTH]: o.bandwidthMiBs,
    [MigrateParam.URI]: o.migrationAddress ? `tcp://${o.migrationAddress}` : undefined,
  });
  moving.set(uuid, { client: c, dom });
  let stop = (): void => undefined;
  try {
    const onTarget = await src.act(
      uuid,
      `move to ${dst.uri}`,
      () =>
        migrateManaged(c, dst.libvirt(), dom, flagsFor(o), params, {
          onPerform: () => (stop = watchJob(c, dom, o, report)),
          onFinished: (t) => o.mode === 'live' && dst.arrived(t, g),
        }).catch((e: unknown) => {
          throw moveError(e, g, dst.uri);
        }),
      `moving to ${dst.uri}`,
    );
    stop();
    const done = await dst.libvirt().call('domainGetJobStats', { dom: onTarget, flags: JobStatsFlags.COMPLETED });
    report(paramsToRecord(done.params), 'done');
    await dst.scheduleRefresh(uuid);
    return { host: dst.uri, uuid };
  } catch (e) {
    stop();
    const err = e instanceof ApiError ? e : moveError(e, g, dst.uri);
    emit({
      ...progressFrom(base, {}, /cancelled/.test(err.message) ? 'cancelled' : 'failed', started),
      error: err.message,
    });
    throw err;
  } finally {
    moving.delete(uuid);
  }
}

/** Cancels the guest's move: libvirt aborts the job and the guest keeps running on its source. */
export async function cancelMigration(src: Host, uuid: string): Promise<void> {
  const m = moving.get(uuid);
  const g = src.guest(uuid);
  if (!m) throw new ApiError('invalid-state', `${g?.name ?? uuid} is not moving`, { host: src.uri, guest: g?.name });
  try {
    await m.client.call('domainAbortJob', { dom: m.dom });
  } catch (e) {
    throw toApiError(e, { host: src.uri, guest: g?.name, action: `cancel the move of ${g?.name ?? uuid}` });
  }
}
