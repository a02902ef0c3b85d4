/** virtswitch's pure-TypeScript client of libvirt's RPC protocol. Knows nothing of the app. */
export { LibvirtClient, AuthError, type ClientOptions, type EventSubscription } from './client.js';
export {
  RpcConnection,
  type DomainEvent,
  type KeepaliveOptions,
  type KeepaliveCounters,
  type ConnectionEvents,
} from './connection.js';
export { LibvirtError, ConnectionClosedError, ProtocolError } from './errors.js';
export { LibvirtStream } from './stream.js';
export { parseUri, describeUri, UriError, type ParsedUri, type Transport } from './uri.js';
export { TransportError } from './transport.js';
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
export { storageProcedures, type StoragePoolRef, type StorageVolRef, type NetworkRef } from './procedures-storage.js';
export { uploadToVolume, downloadFromVolume, readVolumeHead, type UploadOptions } from './volume-transfer.js';
