/**
 * Constants and shared types of libvirt's RPC protocol (src/rpc/virnetprotocol.x,
 * src/remote/remote_protocol.x), checked against libvirt 9.0 on the wire.
 */
import {
  array,
  fixedOpaque,
  int,
  mapped,
  optional,
  string,
  struct,
  uhyper,
  hyper,
  uint,
  double,
  union,
  type Codec,
  type CodecType,
} from './codec.js';
import { XdrError } from './xdr.js';

export const REMOTE_PROGRAM = 0x20008086;
export const REMOTE_PROTOCOL_VERSION = 1;
export const KEEPALIVE_PROGRAM = 0x6b656570;
export const KEEPALIVE_VERSION = 1;
export const KEEPALIVE_PROC_PING = 1;
export const KEEPALIVE_PROC_PONG = 2;

export const enum MessageType {
  Call = 0,
  Reply = 1,
  Message = 2,
  Stream = 3,
  CallWithFds = 4,
  ReplyWithFds = 5,
  StreamHole = 6,
}

export const enum MessageStatus {
  Ok = 0,
  Error = 1,
  Continue = 2,
}

/** Largest packet after the length word (header + payload): 32 MiB since libvirt 3.4. */
export const MESSAGE_MAX = 33554432;
export const HEADER_SIZE = 24;
export const LENGTH_SIZE = 4;
/** The daemon's stream chunks are at most this; we send no larger ones either. */
export const STREAM_CHUNK_MAX = 262120;
export const STRING_MAX = 4194304;
export const DOMAIN_LIST_MAX = 16384;
export const SNAPSHOT_LIST_MAX = 16384;
export const AUTH_TYPE_LIST_MAX = 20;
export const SEND_KEY_MAX = 16;
export const DOMAIN_STATS_PARAMS_MAX = 262144;
export const DOMAIN_STATS_RECORDS_MAX = 16384;
export const TYPED_PARAMS_MAX = 64;

export interface Header {
  prog: number;
  vers: number;
  proc: number;
  type: number;
  serial: number;
  status: number;
}

export const nonnullString = string(STRING_MAX);
export const remoteString = optional(nonnullString);

function uuidToString(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function uuidToBytes(s: string): Buffer {
  const hex = s.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new XdrError(`not a UUID: ${JSON.stringify(s)}`);
  return Buffer.from(hex, 'hex');
}

/** `remote_uuid`: 16 raw bytes on the wire, the usual text form in JavaScript. */
export const uuid: Codec<string> = mapped(fixedOpaque(16), uuidToString, uuidToBytes);

/** `remote_nonnull_domain`: the server rebuilds its handle from these (the QEMU driver by UUID). */
export const domain = struct({ name: nonnullString, uuid, id: int });
export type DomainRef = CodecType<typeof domain>;
export const optionalDomain = optional(domain);

export const snapshot = struct({ name: nonnullString, dom: domain });
export type SnapshotRef = CodecType<typeof snapshot>;

const network = struct({ name: nonnullString, uuid });

/** `remote_error`: what a REPLY or STREAM with status ERROR carries. */
export const remoteError = struct({
  code: int,
  domain: int,
  message: remoteString,
  level: int,
  dom: optionalDomain,
  str1: remoteString,
  str2: remoteString,
  str3: remoteString,
  int1: int,
  int2: int,
  net: optional(network),
});
export type RemoteError = CodecType<typeof remoteError>;

export const enum TypedParamType {
  Int = 1,
  Uint = 2,
  Llong = 3,
  Ullong = 4,
  Double = 5,
  Boolean = 6,
  String = 7,
}

export type TypedParamValue =
  | { type: TypedParamType.Int | TypedParamType.Uint | TypedParamType.Double; value: number }
  | { type: TypedParamType.Llong | TypedParamType.Ullong; value: bigint }
  | { type: TypedParamType.Boolean; value: number }
  | { type: TypedParamType.String; value: string };

export const typedParamValue = union<TypedParamValue>({
  1: int,
  2: uint,
  3: hyper,
  4: uhyper,
  5: double,
  6: int,
  7: nonnullString,
});

export const typedParam = struct({ field: string(80), value: typedParamValue });
export type TypedParam = CodecType<typeof typedParam>;
export const typedParams = (max: number): Codec<TypedParam[]> => array(typedParam, max);

/** Typed parameters as a plain record: numbers, bigints for 64-bit values, strings. */
export function paramsToRecord(params: readonly TypedParam[]): Record<string, number | bigint | string | boolean> {
  const out: Record<string, number | bigint | string | boolean> = {};
  for (const p of params) out[p.field] = p.value.type === TypedParamType.Boolean ? p.value.value !== 0 : p.value.value;
  return out;
}
