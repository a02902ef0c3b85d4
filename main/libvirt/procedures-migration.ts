/**
 * Migration procedures of remote_protocol.x: the parameter-based v3 steps a managing client drives
 * across two connections (begin and perform and confirm on the source, prepare and finish on the
 * target), the job calls that watch, tune and cancel a running migration, and the free memory of a
 * host. Spread into the one procedure table in procedures.ts.
 */
import { int, opaque, struct, uhyper, uhyperNumber, uint, voidCodec } from './codec.js';
import { domain, nonnullString, remoteString, typedParams } from './protocol.js';
import type { Procedure } from './procedures.js';

/** REMOTE_MIGRATE_COOKIE_MAX: the opaque cookies the steps hand each other. */
export const MIGRATE_COOKIE_MAX = 4194304;
/** REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX */
export const MIGRATE_PARAM_LIST_MAX = 64;
/** REMOTE_DOMAIN_JOB_STATS_MAX */
export const JOB_STATS_MAX = 64;

const cookie = opaque(MIGRATE_COOKIE_MAX);
const params = typedParams(MIGRATE_PARAM_LIST_MAX);
const domOnly = struct({ dom: domain });
const domFlags = struct({ dom: domain, flags: uint });

function p<A, R>(proc: number, args: A, ret: R): { proc: number; args: A; ret: R } {
  return { proc, args, ret };
}

export const migrationProcedures = {
  nodeGetFreeMemory: p(102, voidCodec, struct({ freeMem: uhyperNumber })),
  domainAbortJob: p(164, domOnly, voidCodec),
  domainMigrateSetMaxDowntime: p(166, struct({ dom: domain, downtime: uhyper, flags: uint }), voidCodec),
  domainMigrateSetMaxSpeed: p(207, struct({ dom: domain, bandwidth: uhyper, flags: uint }), voidCodec),
  domainMigrateGetMaxSpeed: p(242, domFlags, struct({ bandwidth: uhyper })),
  domainGetJobStats: p(298, domFlags, struct({ type: int, params: typedParams(JOB_STATS_MAX) })),
  domainMigrateBegin3Params: p(
    302,
    struct({ dom: domain, params, flags: uint }),
    struct({ cookieOut: cookie, xml: nonnullString }),
  ),
  domainMigratePrepare3Params: p(
    303,
    struct({ params, cookieIn: cookie, flags: uint }),
    struct({ cookieOut: cookie, uriOut: remoteString }),
  ),
  domainMigratePerform3Params: p(
    305,
    struct({ dom: domain, dconnuri: remoteString, params, cookieIn: cookie, flags: uint }),
    struct({ cookieOut: cookie }),
  ),
  domainMigrateFinish3Params: p(
    306,
    struct({ params, cookieIn: cookie, flags: uint, cancelled: int }),
    struct({ dom: domain, cookieOut: cookie }),
  ),
  domainMigrateConfirm3Params: p(
    307,
    struct({ dom: domain, params, cookieIn: cookie, flags: uint, cancelled: int }),
    voidCodec,
  ),
  domainMigrateStartPostCopy: p(364, domFlags, voidCodec),
} satisfies Record<string, Procedure<unknown, unknown>>;

/** virDomainMigrateFlags */
export const MigrateFlags = {
  LIVE: 1,
  PEER2PEER: 2,
  TUNNELLED: 4,
  PERSIST_DEST: 8,
  UNDEFINE_SOURCE: 16,
  PAUSED: 32,
  NON_SHARED_DISK: 64,
  NON_SHARED_INC: 128,
  CHANGE_PROTECTION: 256,
  UNSAFE: 512,
  OFFLINE: 1024,
  COMPRESSED: 2048,
  ABORT_ON_ERROR: 4096,
  AUTO_CONVERGE: 8192,
  POSTCOPY: 32768,
} as const;

/** VIR_MIGRATE_PARAM_* names (libvirt-domain.h). */
export const MigrateParam = {
  URI: 'migrate_uri',
  DEST_NAME: 'destination_name',
  DEST_XML: 'destination_xml',
  PERSIST_XML: 'persistent_xml',
  BANDWIDTH: 'bandwidth',
  BANDWIDTH_POSTCOPY: 'bandwidth.postcopy',
  GRAPHICS_URI: 'graphics_uri',
  LISTEN_ADDRESS: 'listen_address',
  MIGRATE_DISKS: 'migrate_disks',
  DISKS_PORT: 'disks_port',
} as const;

/** virDomainJobType, the `type` of domainGetJobStats. */
export const JobType = { NONE: 0, BOUNDED: 1, UNBOUNDED: 2, COMPLETED: 3, FAILED: 4, CANCELLED: 5 } as const;
/** virDomainGetJobStatsFlags */
export const JobStatsFlags = { COMPLETED: 1, KEEP_COMPLETED: 2 } as const;
