/**
 * The one procedure table of the wire client (remote_protocol.x): each procedure once, with its
 * number and its argument and return codecs. Calls are typed end to end from here. Adding a
 * procedure is one entry.
 */
import {
  array,
  charArray,
  int,
  intBool,
  optional,
  struct,
  uhyper,
  uhyperNumber,
  uint,
  voidCodec,
  type Codec,
  type CodecType,
} from './codec.js';
import {
  AUTH_TYPE_LIST_MAX,
  DOMAIN_LIST_MAX,
  DOMAIN_STATS_PARAMS_MAX,
  DOMAIN_STATS_RECORDS_MAX,
  SEND_KEY_MAX,
  SNAPSHOT_LIST_MAX,
  domain,
  nonnullString,
  optionalDomain,
  remoteString,
  snapshot,
  typedParams,
  uuid,
} from './protocol.js';
import { storageProcedures } from './procedures-storage.js';
import { migrationProcedures } from './procedures-migration.js';
import { deviceEventMessages, deviceProcedures } from './procedures-device.js';
import { networkProcedures } from './procedures-network.js';

export interface Procedure<A, R> {
  readonly proc: number;
  readonly args: Codec<A>;
  readonly ret: Codec<R>;
  /** Data follows on a stream with the call's serial: 'read' from the daemon, 'duplex' both ways. */
  readonly stream?: 'read' | 'duplex';
}

function p<A, R>(proc: number, args: Codec<A>, ret: Codec<R>, stream?: 'read' | 'duplex'): Procedure<A, R> {
  return { proc, args, ret, stream };
}

const domFlags = struct({ dom: domain, flags: uint });
const domOnly = struct({ dom: domain });
const snapFlags = struct({ snap: snapshot, flags: uint });
const domRet = struct({ dom: domain });

export const procedures = {
  connectOpen: p(1, struct({ name: remoteString, flags: uint }), voidCodec),
  connectClose: p(2, voidCodec, voidCodec),
  connectGetType: p(3, voidCodec, struct({ type: nonnullString })),
  connectGetVersion: p(4, voidCodec, struct({ hvVer: uhyperNumber })),
  nodeGetInfo: p(
    6,
    voidCodec,
    struct({
      model: charArray(32),
      memory: uhyperNumber,
      cpus: int,
      mhz: int,
      nodes: int,
      sockets: int,
      cores: int,
      threads: int,
    }),
  ),
  connectGetCapabilities: p(7, voidCodec, struct({ capabilities: nonnullString })),
  domainCreateXml: p(10, struct({ xml: nonnullString, flags: uint }), domRet),
  domainGetXmlDesc: p(14, domFlags, struct({ xml: nonnullString })),
  domainGetAutostart: p(15, domOnly, struct({ autostart: intBool })),
  domainGetInfo: p(
    16,
    domOnly,
    // unsigned char and unsigned short each take a full 4-byte word on the wire.
    struct({ state: uint, maxMem: uhyperNumber, memory: uhyperNumber, nrVirtCpu: uint, cpuTime: uhyper }),
  ),
  domainGetMaxMemory: p(17, domOnly, struct({ memory: uhyperNumber })),
  domainLookupById: p(22, struct({ id: int }), domRet),
  domainLookupByName: p(23, struct({ name: nonnullString }), domRet),
  domainLookupByUuid: p(24, struct({ uuid }), domRet),
  domainReboot: p(27, domFlags, voidCodec),
  domainResume: p(28, domOnly, voidCodec),
  domainSetAutostart: p(29, struct({ dom: domain, autostart: intBool }), voidCodec),
  domainSuspend: p(34, domOnly, voidCodec),
  connectGetHostname: p(59, voidCodec, struct({ hostname: nonnullString })),
  connectSupportsFeature: p(60, struct({ feature: int }), struct({ supported: intBool })),
  authList: p(66, voidCodec, struct({ types: array(int, AUTH_TYPE_LIST_MAX) })),
  authPolkit: p(70, voidCodec, struct({ complete: intBool })),
  connectGetUri: p(110, voidCodec, struct({ uri: nonnullString })),
  domainIsActive: p(150, domOnly, struct({ active: intBool })),
  domainIsPersistent: p(151, domOnly, struct({ persistent: intBool })),
  connectGetLibVersion: p(157, voidCodec, struct({ libVer: uhyperNumber })),
  domainManagedSave: p(182, domFlags, voidCodec),
  domainHasManagedSaveImage: p(183, domFlags, struct({ result: intBool })),
  domainManagedSaveRemove: p(184, domFlags, voidCodec),
  domainSnapshotCreateXml: p(185, struct({ dom: domain, xml: nonnullString, flags: uint }), struct({ snap: snapshot })),
  domainSnapshotGetXmlDesc: p(186, snapFlags, struct({ xml: nonnullString })),
  domainSnapshotLookupByName: p(
    189,
    struct({ dom: domain, name: nonnullString, flags: uint }),
    struct({ snap: snapshot }),
  ),
  domainHasCurrentSnapshot: p(190, domFlags, struct({ result: intBool })),
  domainSnapshotCurrent: p(191, domFlags, struct({ snap: snapshot })),
  domainRevertToSnapshot: p(192, snapFlags, voidCodec),
  domainSnapshotDelete: p(193, snapFlags, voidCodec),
  domainCreateWithFlags: p(196, domFlags, domRet),
  domainSetVcpusFlags: p(199, struct({ dom: domain, nvcpus: uint, flags: uint }), voidCodec),
  domainGetVcpusFlags: p(200, domFlags, struct({ num: int })),
  domainOpenConsole: p(201, struct({ dom: domain, devName: remoteString, flags: uint }), voidCodec, 'duplex'),
  domainSetMemoryFlags: p(204, struct({ dom: domain, memory: uhyperNumber, flags: uint }), voidCodec),
  domainScreenshot: p(211, struct({ dom: domain, screen: uint, flags: uint }), struct({ mime: remoteString }), 'read'),
  domainGetState: p(212, domFlags, struct({ state: int, reason: int })),
  domainSendKey: p(
    226,
    struct({ dom: domain, codeset: uint, holdtime: uint, keycodes: array(uint, SEND_KEY_MAX), flags: uint }),
    voidCodec,
  ),
  domainUndefineFlags: p(231, domFlags, voidCodec),
  domainDestroyFlags: p(234, domFlags, voidCodec),
  domainReset: p(245, domFlags, voidCodec),
  domainShutdownFlags: p(258, domFlags, voidCodec),
  connectListAllDomains: p(
    273,
    struct({ needResults: intBool, flags: uint }),
    struct({ domains: array(domain, DOMAIN_LIST_MAX), ret: uint }),
  ),
  domainListAllSnapshots: p(
    274,
    struct({ dom: domain, needResults: intBool, flags: uint }),
    struct({ snapshots: array(snapshot, SNAPSHOT_LIST_MAX), ret: int }),
  ),
  connectDomainEventCallbackRegisterAny: p(
    316,
    struct({ eventId: int, dom: optionalDomain }),
    struct({ callbackId: int }),
  ),
  connectDomainEventCallbackDeregisterAny: p(317, struct({ callbackId: int }), voidCodec),
  connectGetAllDomainStats: p(
    344,
    struct({ doms: array(domain, DOMAIN_LIST_MAX), stats: uint, flags: uint }),
    struct({
      records: array(struct({ dom: domain, params: typedParams(DOMAIN_STATS_PARAMS_MAX) }), DOMAIN_STATS_RECORDS_MAX),
    }),
  ),
  domainDefineXmlFlags: p(350, struct({ xml: nonnullString, flags: uint }), domRet),
  ...storageProcedures,
  ...migrationProcedures,
  ...deviceProcedures,
  ...networkProcedures,
} satisfies Record<string, Procedure<unknown, unknown>>;

export type ProcedureName = keyof typeof procedures;
export type ArgsOf<K extends ProcedureName> = CodecType<(typeof procedures)[K]['args']>;
export type RetOf<K extends ProcedureName> = CodecType<(typeof procedures)[K]['ret']>;

/** Procedure numbers back to names, for messages and errors. */
export const procedureNames: ReadonlyMap<number, ProcedureName> = new Map(
  (Object.entries(procedures) as [ProcedureName, Procedure<unknown, unknown>][]).map(([name, d]) => [d.proc, name]),
);

/** Events the daemon sends as MESSAGE packets (the callback variants, each starting with callbackID). */
export const eventMessages = {
  318: { eventId: 0, name: 'lifecycle', body: struct({ callbackId: int, dom: domain, event: int, detail: int }) },
  319: { eventId: 1, name: 'reboot', body: struct({ callbackId: int, dom: domain }) },
  323: {
    eventId: 5,
    name: 'graphics',
    body: struct({
      callbackId: int,
      dom: domain,
      phase: int,
      local: struct({ family: int, node: nonnullString, service: nonnullString }),
      remote: struct({ family: int, node: nonnullString, service: nonnullString }),
      authScheme: nonnullString,
      subject: array(struct({ type: nonnullString, name: nonnullString }), 20),
    }),
  },
  325: { eventId: 7, name: 'controlError', body: struct({ callbackId: int, dom: domain }) },
  331: { eventId: 13, name: 'balloonChange', body: struct({ callbackId: int, dom: domain, actual: uhyperNumber }) },
  333: { eventId: 15, name: 'deviceRemoved', body: struct({ callbackId: int, dom: domain, devAlias: nonnullString }) },
  354: { eventId: 19, name: 'deviceAdded', body: struct({ callbackId: int, dom: domain, devAlias: nonnullString }) },
  379: {
    eventId: 23,
    name: 'metadataChange',
    body: struct({ callbackId: int, dom: domain, type: int, nsuri: optional(nonnullString) }),
  },
  ...deviceEventMessages,
} as const;

export type EventMessages = typeof eventMessages;
export type EventProc = keyof EventMessages;
export type EventName = EventMessages[EventProc]['name'];
export type EventBody<N extends EventName> = CodecType<Extract<EventMessages[EventProc], { name: N }>['body']>;
