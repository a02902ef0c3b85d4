/** WebSocket URLs of the serve shell for test clients, and how their secret is presented. */
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { ConsoleKind } from '../../common/contract.js';
import { wsProtocols } from '../../common/ws-secret.js';
import type { ServeShell } from '../../main/serve/server.js';
import { SYSTEM_URI } from '../rig/guests.js';

/**
 * A console's WebSocket URL for a test client. The secret rides in the fragment (`#token=`, as in
 * the page's own URL) only so that a call site holds one string: openWs and rawUpgrade move it
 * into the Sec-WebSocket-Protocol header, and a fragment is never sent on the wire.
 */
export function consoleUrl(
  shell: Pick<ServeShell, 'origin' | 'token'>,
  g: { uuid: string },
  kind: ConsoleKind | string = 'vnc',
  token: string | null = shell.token,
  host = SYSTEM_URI,
): string {
  const q = new URLSearchParams();
  q.set('host', host);
  q.set('uuid', g.uuid);
  q.set('kind', kind);
  return `${shell.origin.replace(/^http/, 'ws')}/console?${q.toString()}${secretFragment(token)}`;
}

export function apiUrl(shell: Pick<ServeShell, 'origin' | 'token'>, token: string | null = shell.token): string {
  return `${shell.origin.replace(/^http/, 'ws')}/api${secretFragment(token)}`;
}

function secretFragment(token: string | null): string {
  return token !== null ? `#token=${encodeURIComponent(token)}` : '';
}

/** A test URL split into what goes on the wire and the subprotocols that present its secret. */
export function withSecret(url: string): { url: string; protocols: string[] } {
  const hash = url.indexOf('#');
  if (hash < 0) return { url, protocols: [] };
  const token = new URLSearchParams(url.slice(hash + 1)).get('token');
  return { url: url.slice(0, hash), protocols: token !== null ? wsProtocols(token) : [] };
}

/** A port nobody listens on right now (for a public origin that must name it in advance). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
