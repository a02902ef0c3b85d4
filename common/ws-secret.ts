/**
 * How a browser page presents the serve shell's secret on a WebSocket: in the
 * `Sec-WebSocket-Protocol` header, never in the URL (reverse proxies log URLs). The page offers
 * two subprotocols, `virtswitch` and `virtswitch.secret.<secret>`; the server answers with
 * `virtswitch` alone, so the secret is never echoed back.
 */
export const WS_PROTOCOL = 'virtswitch';
const SECRET_PREFIX = 'virtswitch.secret.';

/** The subprotocols a client offers to present `secret` (a base64url string). */
export function wsProtocols(secret: string): string[] {
  return [WS_PROTOCOL, `${SECRET_PREFIX}${secret}`];
}

/** The secret a handshake's `Sec-WebSocket-Protocol` header presents, if any. */
export function secretFromProtocols(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const p of header.split(',')) {
    const v = p.trim();
    if (v.startsWith(SECRET_PREFIX)) return v.slice(SECRET_PREFIX.length);
  }
  return undefined;
}
