/**
 * The checks every WebSocket handshake passes before any upgrade: a Host that names this server,
 * a same-origin (or no) Origin, and the secret; and the HTTP answer that refuses one.
 */
import { timingSafeEqual } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiErrorShape } from '../../common/contract.js';
import { isLoopback } from './args.js';

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

function tokenMatches(given: string | null, token: string): boolean {
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
}

/**
 * Whether a Host header names this server. On loopback only its loopback names do (a page on
 * another site that rebinds its DNS name to 127.0.0.1 is refused even before the secret is
 * checked); bound elsewhere, users reach it by any name or address, and the secret and the
 * same-origin check do the work.
 */
function hostAllowed(l: Listener, hostHeader: string): boolean {
  if (!isLoopback(l.host)) return hostHeader.length > 0;
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
  url: URL,
  token: string,
): { status: number; error: ApiErrorShape } | undefined {
  const hostHeader = (req.headers.host ?? '').toLowerCase();
  if (!hostAllowed(l, hostHeader)) return { status: 403, error: { code: 'access-denied', message: 'unknown Host' } };
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `${l.tls ? 'https' : 'http'}://${hostHeader}`)
    return { status: 403, error: { code: 'access-denied', message: 'foreign Origin' } };
  if (!tokenMatches(url.searchParams.get('token'), token))
    return { status: 401, error: { code: 'access-denied', message: 'missing or wrong secret' } };
  return undefined;
}
