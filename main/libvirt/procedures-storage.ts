/**
 * Storage pools and volumes and domain capabilities: procedures of
 * remote_protocol.x spread into the one table of procedures.ts. Numbers and layouts checked
 * against libvirt's remote_protocol.x and proven against libvirt 9.0 (test/integration/storage-*).
 */
import { array, int, intBool, struct, uhyperNumber, uint, voidCodec, type CodecType } from './codec.js';
import type { Procedure } from './procedures.js';
import { nonnullString, remoteString, uuid } from './protocol.js';

/** REMOTE_STORAGE_POOL_LIST_MAX, REMOTE_STORAGE_VOL_LIST_MAX (both 16384 since 1.2). */
const LIST_MAX = 16384;

/** `remote_nonnull_storage_pool`. */
export const storagePool = struct({ name: nonnullString, uuid });
export type StoragePoolRef = CodecType<typeof storagePool>;
/** `remote_nonnull_storage_vol`: the pool's name, the volume's name, and its key (its path for file pools). */
export const storageVol = struct({ pool: nonnullString, name: nonnullString, key: nonnullString });
export type StorageVolRef = CodecType<typeof storageVol>;

const poolOnly = struct({ pool: storagePool });
const poolFlags = struct({ pool: storagePool, flags: uint });
const poolRet = struct({ pool: storagePool });
const volOnly = struct({ vol: storageVol });
const volFlags = struct({ vol: storageVol, flags: uint });
const volRet = struct({ vol: storageVol });
const xmlFlags = struct({ xml: nonnullString, flags: uint });
const xmlRet = struct({ xml: nonnullString });
const transfer = struct({ vol: storageVol, offset: uhyperNumber, length: uhyperNumber, flags: uint });

const def = <A, R>(
  proc: number,
  args: Procedure<A, R>['args'],
  ret: Procedure<A, R>['ret'],
  stream?: Procedure<A, R>['stream'],
): Procedure<A, R> => ({ proc, args, ret, stream });

export const storageProcedures = {
  storagePoolCreateXml: def(76, xmlFlags, poolRet),
  storagePoolDefineXml: def(77, xmlFlags, poolRet),
  storagePoolCreate: def(78, poolFlags, voidCodec),
  storagePoolBuild: def(79, poolFlags, voidCodec),
  storagePoolDestroy: def(80, poolOnly, voidCodec),
  storagePoolDelete: def(81, poolFlags, voidCodec),
  storagePoolUndefine: def(82, poolOnly, voidCodec),
  storagePoolRefresh: def(83, poolFlags, voidCodec),
  storagePoolLookupByName: def(84, struct({ name: nonnullString }), poolRet),
  storagePoolLookupByUuid: def(85, struct({ uuid }), poolRet),
  storagePoolLookupByVolume: def(86, volOnly, poolRet),
  storagePoolGetInfo: def(
    87,
    poolOnly,
    // unsigned char state takes a full 4-byte word on the wire.
    struct({ state: uint, capacity: uhyperNumber, allocation: uhyperNumber, available: uhyperNumber }),
  ),
  storagePoolGetXmlDesc: def(88, poolFlags, xmlRet),
  storagePoolGetAutostart: def(89, poolOnly, struct({ autostart: intBool })),
  storagePoolSetAutostart: def(90, struct({ pool: storagePool, autostart: intBool }), voidCodec),
  storageVolCreateXml: def(93, struct({ pool: storagePool, xml: nonnullString, flags: uint }), volRet),
  storageVolDelete: def(94, volFlags, voidCodec),
  storageVolLookupByName: def(95, struct({ pool: storagePool, name: nonnullString }), volRet),
  storageVolLookupByKey: def(96, struct({ key: nonnullString }), volRet),
  storageVolLookupByPath: def(97, struct({ path: nonnullString }), volRet),
  // char type: one 4-byte word too.
  storageVolGetInfo: def(98, volOnly, struct({ type: int, capacity: uhyperNumber, allocation: uhyperNumber })),
  storageVolGetXmlDesc: def(99, volFlags, xmlRet),
  storageVolGetPath: def(100, volOnly, struct({ name: nonnullString })),
  storageVolCreateXmlFrom: def(
    125,
    struct({ pool: storagePool, xml: nonnullString, clonevol: storageVol, flags: uint }),
    volRet,
  ),
  storagePoolIsActive: def(154, poolOnly, struct({ active: intBool })),
  storagePoolIsPersistent: def(155, poolOnly, struct({ persistent: intBool })),
  /** Data goes to the daemon on the call's stream. */
  storageVolUpload: def(208, transfer, voidCodec, 'duplex'),
  storageVolDownload: def(209, transfer, voidCodec, 'read'),
  storageVolResize: def(260, struct({ vol: storageVol, capacity: uhyperNumber, flags: uint }), voidCodec),
  connectListAllStoragePools: def(
    281,
    struct({ needResults: intBool, flags: uint }),
    struct({ pools: array(storagePool, LIST_MAX), ret: uint }),
  ),
  storagePoolListAllVolumes: def(
    282,
    struct({ pool: storagePool, needResults: intBool, flags: uint }),
    struct({ vols: array(storageVol, LIST_MAX), ret: uint }),
  ),
  connectGetDomainCapabilities: def(
    342,
    struct({
      emulatorbin: remoteString,
      arch: remoteString,
      machine: remoteString,
      virttype: remoteString,
      flags: uint,
    }),
    struct({ capabilities: nonnullString }),
  ),
} satisfies Record<string, Procedure<unknown, unknown>>;
