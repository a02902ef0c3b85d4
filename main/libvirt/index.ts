/** virtswitch's pure-TypeScript client of libvirt's RPC protocol. Knows nothing of the app. */
export { LibvirtClient, type EventSubscription } from './client.js';
export type { ClientOptions } from './open.js';
export { RpcConnection, type DomainEvent, type ConnectionEvents } from './connection.js';
export type { KeepaliveOptions, KeepaliveCounters } from './keepalive.js';
export { LibvirtError, ConnectionClosedError, ProtocolError, TransportError, AuthError } from './errors.js';
export { LibvirtStream } from './stream.js';
export { parseUri, describeUri, pageUriProblem, UriError, type ParsedUri, type Transport } from './uri.js';
export { whenConnected, ConnectTimeoutError } from './socket-connect.js';
export { SshLink } from './ssh.js';
export {
  procedures,
  eventMessages,
  type ProcedureName,
  type ArgsOf,
  type RetOf,
  type EventName,
  type EventBody,
} from './procedures.js';
export { paramsToRecord, type DomainRef, type SnapshotRef, type TypedParam } from './protocol.js';
export * from './constants.js';
export { storageProcedures, type StoragePoolRef, type StorageVolRef } from './procedures-storage.js';
export {
  uploadToVolume,
  downloadFromVolume,
  readVolumeHead,
  byteCounter,
  type UploadOptions,
} from './volume-transfer.js';
export { MigrateFlags, MigrateParam, JobType, JobStatsFlags } from './procedures-migration.js';
export { migrateManaged, migrateParams, type ManagedMigrationHooks, type MigrateParamValue } from './migrate.js';
export {
  AgentLifecycleState,
  DeviceModifyFlags,
  HostnameFlags,
  InterfaceAddressesSource,
  NodeDeviceListFlags,
  SetTimeFlags,
} from './procedures-device.js';
export type { NetworkRef } from './procedures-network.js';
