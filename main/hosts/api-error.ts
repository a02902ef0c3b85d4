/**
 * libvirt's errors translated into the API's (ApiError), here, once.
 */
import {
  ConnectionClosedError,
  ErrorCode,
  LibvirtError,
  TransportError,
  UriError,
  AuthError,
} from '../libvirt/index.js';
import { ApiError } from '../../common/api-error.js';

/** libvirt's message without its generic prefix ("Requested operation is not valid: …"). */
function detail(message: string): string {
  return message.replace(
    /^(Requested operation is not valid|operation failed|internal error|invalid argument|unsupported configuration|Operation not supported|Timed out during operation): /i,
    '',
  );
}

/**
 * Translates any failure of a libvirt call into an ApiError. `action` completes the sentence
 * "Can't … ", e.g. "shut down web1".
 */
export function toApiError(e: unknown, where: { host: string; guest?: string; action?: string }): ApiError {
  if (e instanceof ApiError) return e;
  const can = (why: string): string => (where.action ? `Can't ${where.action}: ${why}` : why);
  if (e instanceof LibvirtError) {
    const d = detail(e.message);
    switch (e.code) {
      case ErrorCode.NO_DOMAIN:
        return new ApiError('no-such-guest', can(`the guest no longer exists on ${where.host}`), where);
      case ErrorCode.NO_DOMAIN_SNAPSHOT:
        return new ApiError('no-such-snapshot', can(d), where);
      case ErrorCode.OPERATION_INVALID:
        return new ApiError('invalid-state', can(d), where);
      case ErrorCode.INVALID_ARG:
      case ErrorCode.XML_ERROR:
      case ErrorCode.XML_DETAIL:
        return new ApiError('invalid-input', can(d), where);
      case ErrorCode.OPERATION_DENIED:
      case ErrorCode.AUTH_FAILED:
      case ErrorCode.AUTH_CANCELLED:
      case ErrorCode.AUTH_UNAVAILABLE:
        return new ApiError('access-denied', can(d), where);
      case ErrorCode.NO_SUPPORT:
      case ErrorCode.OPERATION_UNSUPPORTED:
      case ErrorCode.CONFIG_UNSUPPORTED:
      case ErrorCode.ARGUMENT_UNSUPPORTED:
        return new ApiError('unsupported', can(d), where);
      case ErrorCode.RESOURCE_BUSY:
      case ErrorCode.OPERATION_TIMEOUT:
        return new ApiError('conflict', can(`${d} (another operation on this guest is still running)`), where);
      case ErrorCode.DOM_EXIST:
        return new ApiError('conflict', can(d), where);
      default:
        return new ApiError('libvirt', can(d), where);
    }
  }
  if (e instanceof ConnectionClosedError || e instanceof TransportError) {
    return new ApiError('host-unavailable', can(`${where.host} is not connected (${e.message})`), where);
  }
  if (e instanceof AuthError) return new ApiError('access-denied', e.message, where);
  if (e instanceof UriError) return new ApiError('invalid-input', e.message, where);
  return new ApiError('internal', can(e instanceof Error ? e.message : String(e)), where);
}

/** A guest this host's model does not know (never was, or is gone). */
export function noSuchGuest(host: string, uuid: string): ApiError {
  return new ApiError('no-such-guest', `No guest with UUID ${uuid} on ${host}`, { host, guest: uuid });
}
