/**
 * Errors as the API reports them: a code for programs, a sentence a person can act on, and which
 * host and guest it concerns. libvirt's errors are translated here, once.
 */
import { ConnectionClosedError, ErrorCode, LibvirtError, TransportError, UriError, AuthError } from '../libvirt/index.js';
import type { ApiErrorCode, ApiErrorShape } from '../app/shared/contract.js';

export class ApiError extends Error implements ApiErrorShape {
  readonly code: ApiErrorCode;
  readonly host?: string;
  readonly guest?: string;

  constructor(code: ApiErrorCode, message: string, where: { host?: string; guest?: string } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    if (where.host !== undefined) this.host = where.host;
    if (where.guest !== undefined) this.guest = where.guest;
  }

  toJSON(): ApiErrorShape {
    return { code: this.code, message: this.message, ...(this.host !== undefined ? { host: this.host } : {}), ...(this.guest !== undefined ? { guest: this.guest } : {}) };
  }
}

/** libvirt's message without its generic prefix ("Requested operation is not valid: …"). */
function detail(message: string): string {
  return message.replace(/^(Requested operation is not valid|operation failed|internal error|invalid argument|unsupported configuration|Operation not supported|Timed out during operation): /i, '');
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
