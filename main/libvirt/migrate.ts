/**
 * Managed migration driven by the client across two connections, with the parameter-based v3
 * steps: begin (source) → prepare (target) → perform (source) → finish (target) → confirm
 * (source). Neither host needs credentials for the other; the client carries the cookies between
 * them. Every failure path tells both sides, so that the guest ends up running on exactly one host:
 * a failed prepare is confirmed as cancelled on the source; a failed or aborted perform is finished
 * as cancelled on the target (the source has already resumed the guest itself); a failed finish is
 * confirmed as cancelled, which resumes the guest on the source.
 */
import type { LibvirtClient } from './client.js';
import { DomainState } from './constants.js';
import { MigrateFlags, MigrateParam } from './procedures-migration.js';
import { TypedParamType, type DomainRef, type TypedParam } from './protocol.js';

/** VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION: the source refuses changes to the guest during the job. */
const FEATURE_CHANGE_PROTECTION = 7;
const NO_COOKIE: Buffer = Buffer.alloc(0);

export type MigrateParamValue = string | number | bigint;

/** Typed migration parameters from plain values: strings, and unsigned 64-bit numbers (bandwidth). */
export function migrateParams(values: Record<string, MigrateParamValue | undefined>): TypedParam[] {
  const out: TypedParam[] = [];
  for (const [field, v] of Object.entries(values)) {
    if (v === undefined) continue;
    if (typeof v === 'string') out.push({ field, value: { type: TypedParamType.String, value: v } });
    else out.push({ field, value: { type: TypedParamType.Ullong, value: BigInt(v) } });
  }
  return out;
}

function withParam(params: readonly TypedParam[], field: string, value: string): TypedParam[] {
  return [...params.filter((p) => p.field !== field), { field, value: { type: TypedParamType.String, value } }];
}

function hasParam(params: readonly TypedParam[], field: string): boolean {
  return params.some((p) => p.field === field);
}

export interface ManagedMigrationHooks {
  /** Called when the source starts sending the guest (the perform step), e.g. to poll job statistics. */
  onPerform?: () => void;
  /** Called when the target has taken the guest (the finish step; a live guest runs there now), before the source lets go. */
  onFinished?: (target: DomainRef) => void;
}

interface Sides {
  src: LibvirtClient;
  dst: LibvirtClient;
  dom: DomainRef;
}

/** Begin on the source, then prepare on the target; a refused prepare cancels the source's job. */
async function beginAndPrepare(
  s: Sides,
  params: TypedParam[],
  flags: number,
  protection: number,
): Promise<{ params: TypedParam[]; cookie: Buffer; destFlags: number; flags: number }> {
  const begun = await s.src.call('domainMigrateBegin3Params', { dom: s.dom, params, flags: flags | protection });
  const state = await s.src.call('domainGetState', { dom: s.dom, flags: 0 });
  if (state.state === DomainState.PAUSED) flags |= MigrateFlags.PAUSED;
  const destFlags = flags & ~(MigrateFlags.ABORT_ON_ERROR | MigrateFlags.AUTO_CONVERGE);
  let withXml = withParam(params, MigrateParam.DEST_XML, begun.xml);
  let prepared;
  try {
    prepared = await s.dst.call('domainMigratePrepare3Params', {
      params: withXml,
      cookieIn: begun.cookieOut,
      flags: destFlags,
    });
  } catch (e) {
    // Begin started a job on the source; only confirm (cancelled) ends it.
    if (protection) await confirmQuietly(s, withXml, NO_COOKIE, flags | protection, true);
    throw e;
  }
  if (prepared.uriOut) withXml = withParam(withXml, MigrateParam.URI, prepared.uriOut);
  return { params: withXml, cookie: prepared.cookieOut, destFlags, flags };
}

async function confirmQuietly(
  s: Sides,
  params: TypedParam[],
  cookieIn: Buffer,
  flags: number,
  cancelled: boolean,
): Promise<Error | undefined> {
  try {
    await s.src.call('domainMigrateConfirm3Params', {
      dom: s.dom,
      params,
      cookieIn,
      flags,
      cancelled: cancelled ? 1 : 0,
    });
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

/**
 * Moves a guest from `src` to `dst` (libvirt's managed, non-peer-to-peer migration). Resolves
 * with the guest's handle on the target; rejects with the first error libvirt reported, after
 * both hosts have been told how the migration ended.
 */
export async function migrateManaged(
  src: LibvirtClient,
  dst: LibvirtClient,
  dom: DomainRef,
  flags: number,
  params: TypedParam[] = [],
  hooks: ManagedMigrationHooks = {},
): Promise<DomainRef> {
  const s: Sides = { src, dst, dom };
  const protection = (await src.call('connectSupportsFeature', { feature: FEATURE_CHANGE_PROTECTION })).supported
    ? MigrateFlags.CHANGE_PROTECTION
    : 0;
  const prepared = await beginAndPrepare(s, params, flags, protection);
  let p = prepared.params;
  flags = prepared.flags;
  let cookie: Buffer = NO_COOKIE;
  let performError: Error | undefined;
  let sourceKnows = false;
  if (!(flags & MigrateFlags.OFFLINE)) {
    if (!hasParam(p, MigrateParam.URI)) {
      performError = new Error('the target host did not say where to send the guest (no migration URI)');
    } else {
      hooks.onPerform?.();
      try {
        const r = await src.call('domainMigratePerform3Params', {
          dom,
          dconnuri: null,
          params: p,
          cookieIn: prepared.cookie,
          flags: flags | protection,
        });
        cookie = r.cookieOut;
      } catch (e) {
        performError = e as Error;
        sourceKnows = true;
      }
    }
  }
  if (!hasParam(p, MigrateParam.DEST_NAME)) p = withParam(p, MigrateParam.DEST_NAME, dom.name);
  let target: DomainRef | undefined;
  let finishError: Error | undefined;
  try {
    const f = await dst.call('domainMigrateFinish3Params', {
      params: p,
      cookieIn: cookie,
      flags: prepared.destFlags,
      cancelled: performError ? 1 : 0,
    });
    target = f.dom;
    cookie = f.cookieOut;
    hooks.onFinished?.(target);
  } catch (e) {
    finishError = e as Error;
    cookie = NO_COOKIE;
  }
  // A failed perform has already put the guest back on the source; otherwise the source learns
  // here whether to drop its copy (finished) or resume it (cancelled).
  if (!sourceKnows) await confirmQuietly(s, p, cookie, flags | protection, target === undefined);
  if (performError) throw performError;
  if (finishError) throw finishError;
  if (!target) throw new Error('the target host did not take the guest');
  return target;
}
