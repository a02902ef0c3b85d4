import type { RemoteError } from './protocol.js';

/** An error libvirt itself reported, with its code (virErrorNumber), domain (virErrorDomain) and text. */
export class LibvirtError extends Error {
  readonly code: number;
  readonly domain: number;
  readonly level: number;
  /** The guest the error is about, when libvirt named one. */
  readonly guest: string | undefined;

  constructor(
    e: Pick<RemoteError, 'code' | 'domain' | 'message' | 'level'> & { dom?: RemoteError['dom'] },
    readonly procedure?: string,
  ) {
    super(e.message ?? `libvirt error ${e.code}`);
    this.name = 'LibvirtError';
    this.code = e.code;
    this.domain = e.domain;
    this.level = e.level;
    this.guest = e.dom?.name;
  }
}

/** The connection to the daemon is gone (closed, reset, killed, or its keepalive went silent). */
export class ConnectionClosedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionClosedError';
  }
}

/** The peer broke the protocol (bad framing, unknown serial, undecodable payload). */
export class ProtocolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
  }
}

/** The daemon could not be reached (no socket, refused, timed out, TLS failed), with a hint for the person. */
export class TransportError extends Error {
  constructor(
    message: string,
    /** A hint for the person: what to do about it. */
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(hint ? `${message}; ${hint}` : message, options);
    this.name = 'TransportError';
  }
}

/** Refused, unsupported or failed authentication, with what to do about it. */
export class AuthError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
  }
}
