/**
 * The checks every WebSocket handshake passes before any upgrade: a Host that names this server,
 * a same-origin (or no) Origin, and the secret; and the HTTP answer that refuses one.
 */
import { timingSafeEqual } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiErrorShape } from '../../common/contract.js';
import { secretFromProtocols } from '../../common/ws-secret.js';
import { isLoopback } from './args.js';
import type { SecretBackoff } from './guard.js';

/** A refused handshake's socket is closed after its answer, or after this long at the latest. */
const REFUSE_LINGER_MS = 5_000;

/** The HTTP status that refuses a handshake for each of the API's error codes. */
export const STATUS_FOR: Record<string, number> = {
  'invalid-input': 400,
  'access-denied': 403,
  'no-such-host': 404,
  'no-such-guest': 404,
  'invalid-state': 409,
  unsupported: 422,
  'host-unavailable': 503,
};

function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Answers a WebSocket handshake with an HTTP error and a JSON body, never a 101. */
export function refuse(socket: Duplex, status: number, error: ApiErrorShape): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${JSON.stringify({ error })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
  // The client closes its side on our answer; one that never does is cut off.
  const timer = setTimeout(() => socket.destroy(), REFUSE_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

export interface Listener {
  /** The address the server was asked to listen on. */
  host: string;
  tls: boolean;
  /** The port it listens on (known once it does). */
  port(): number;
  /**
   * The origin users open the page at (`https://vs.example.org`), required off loopback: then
   * Host and Origin must both name it (a DNS-rebinding page sends a Host of its own name).
   */
  publicOrigin?: string;
}

/**
 * Whether a Host header names this server. On loopback only its loopback names do (a page on
 * another site that rebinds its DNS name to 127.0.0.1 is refused even before the secret is
 * checked); bound elsewhere, only the public origin's host does.
 */
function hostAllowed(l: Listener, hostHeader: string): boolean {
  if (l.publicOrigin !== undefined) {
    const u = new URL(l.publicOrigin);
    const defaultPort = u.protocol === 'https:' ? '443' : '80';
    return hostHeader === u.host || (u.port === '' && hostHeader === `${u.host}:${defaultPort}`);
  }
  if (!isLoopback(l.host)) return false;
  const names = new Set([l.host, '127.0.0.1', 'localhost', '::1']);
  const port = l.port();
  // A browser leaves the port out of Host when it is the scheme's own.
  const ports = port === (l.tls ? 443 : 80) ? [`:${port}`, ''] : [`:${port}`];
  return [...names].some((n) => ports.some((p) => hostHeader === `${n.includes(':') ? `[${n}]` : n}${p}`));
}

/** Why a handshake is refused (with its status), or undefined when it may go on. */
export function handshakeRefusal(
  l: Listener,
  req: IncomingMessage,
  token: string,
  backoff?: SecretBackoff,
): { status: number; error: ApiErrorShape } | undefined {
  const hostHeader = (req.headers.host ?? '').toLowerCase();
  if (!hostAllowed(l, hostHeader)) return { status: 403, error: { code: 'access-denied', message: 'unknown Host' } };
  const origin = req.headers.origin;
  const expected = l.publicOrigin ?? `${l.tls ? 'https' : 'http'}://${hostHeader}`;
  if (origin !== undefined && origin.toLowerCase() !== expected)
    return { status: 403, error: { code: 'access-denied', message: 'foreign Origin' } };
  // Only the header counts: a secret in the URL would end up in some proxy's access log.
  const address = req.socket.remoteAddress ?? '';
  const wait = backoff?.waitMs(address) ?? 0;
  if (wait > 0)
    return {
      status: 429,
      error: { code: 'access-denied', message: `too many wrong secrets; try again in ${Math.ceil(wait / 1000)} s` },
    };
  if (!tokenMatches(secretFromProtocols(req.headers['sec-websocket-protocol']), token)) {
    backoff?.failed(address);
    return { status: 401, error: { code: 'access-denied', message: 'missing or wrong secret' } };
  }
  backoff?.succeeded(address);
  return undefined;
}
