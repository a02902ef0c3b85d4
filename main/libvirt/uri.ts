/**
 * libvirt connection URIs as libvirt parses them: `driver[+transport]://[user@][host][:port]/path[?params]`.
 * A URI without a host is local (unix socket); with a host and no transport it means TLS.
 */

export type Transport = 'unix' | 'ssh' | 'tls' | 'tcp';

export interface ParsedUri {
  /** The URI exactly as the user gave it. */
  original: string;
  driver: string;
  transport: Transport;
  user: string | undefined;
  host: string | undefined;
  port: number | undefined;
  /** e.g. "/system", "/session", "/default" */
  path: string;
  /** Query parameters, those the client consumes included. */
  params: ReadonlyMap<string, string>;
  /** The URI the daemon is asked to open (CONNECT_OPEN): no transport, host or client-side params. */
  daemonUri: string;
  /** `/session` on a local or remote daemon: the per-user daemon rather than the system one. */
  session: boolean;
}

export class UriError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UriError';
  }
}

/** Parameters the client itself consumes; they are not passed on to the daemon. */
const CLIENT_PARAMS = new Set([
  'name',
  'command',
  'socket',
  'netcat',
  'keyfile',
  'no_verify',
  'no_tty',
  'pkipath',
  'proxy',
  'mode',
  'sshauth',
  'known_hosts',
  'known_hosts_verify',
  'tls_priority',
]);

const TRANSPORTS: Record<string, Transport> = { unix: 'unix', ssh: 'ssh', tls: 'tls', tcp: 'tcp' };

/** decodeURIComponent, but a malformed escape is the URI's fault: a UriError, not a URIError. */
function unescapeUri(s: string, input: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new UriError(`bad %-escape in ${JSON.stringify(input)}: ${JSON.stringify(s)}`);
  }
}

export function parseUri(input: string): ParsedUri {
  const original = input.trim();
  const m = /^([a-z][a-z0-9]*)(?:\+([a-z0-9]+))?:\/\/([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(original);
  if (!m)
    throw new UriError(
      `not a libvirt URI: ${JSON.stringify(input)} (expected e.g. qemu:///system or qemu+ssh://user@host/system)`,
    );
  const driver = m[1]!.toLowerCase();
  const transportName = m[2]?.toLowerCase();
  const authority = m[3] ?? '';
  const path = m[4] ?? '';
  const query = m[5] ?? '';

  let user: string | undefined;
  let hostPort = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    user = unescapeUri(authority.slice(0, at), input);
    hostPort = authority.slice(at + 1);
  }
  let host: string | undefined;
  let port: number | undefined;
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d+))?$/i.exec(hostPort);
  if (v6) {
    host = v6[1];
    port = v6[2] ? Number(v6[2]) : undefined;
  } else if (hostPort) {
    const hp = /^([a-z0-9._-]+)(?::(\d+))?$/i.exec(hostPort);
    if (!hp) throw new UriError(`bad host in ${JSON.stringify(input)}: ${JSON.stringify(hostPort)}`);
    host = hp[1];
    port = hp[2] ? Number(hp[2]) : undefined;
  }
  if (port !== undefined && (port < 1 || port > 65535)) throw new UriError(`bad port in ${JSON.stringify(input)}`);
  if (user !== undefined && !/^[a-z0-9._-]+$/i.test(user))
    throw new UriError(`bad user name in ${JSON.stringify(input)}`);

  let transport: Transport;
  if (transportName === undefined) transport = host ? 'tls' : 'unix';
  else {
    const t = TRANSPORTS[transportName];
    if (!t) {
      const hint =
        transportName === 'libssh' || transportName === 'libssh2'
          ? `; use ${driver}+ssh:// (your own OpenSSH) instead`
          : '';
      throw new UriError(`transport "${transportName}" is not supported${hint}`);
    }
    transport = t;
  }
  if ((transport === 'ssh' || transport === 'tls' || transport === 'tcp') && !host) {
    throw new UriError(`${driver}+${transport}:// needs a host, e.g. ${driver}+${transport}://host/system`);
  }
  if (transport === 'unix' && host) throw new UriError(`${driver}+unix:// takes no host`);

  const params = new Map<string, string>();
  for (const part of query.split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    const k = unescapeUri(eq < 0 ? part : part.slice(0, eq), input);
    const v = eq < 0 ? '' : unescapeUri(part.slice(eq + 1).replace(/\+/g, ' '), input);
    params.set(k, v);
  }
  const passOn = [...params].filter(([k]) => !CLIENT_PARAMS.has(k));
  const daemonUri =
    params.get('name') ??
    `${driver}://${path}${passOn.length ? `?${passOn.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : ''}`;
  return {
    original,
    driver,
    transport,
    user,
    host,
    port,
    path,
    params,
    daemonUri,
    session: path === '/session',
  };
}

/** The URI without its query (which may name key files), fit for messages and logs. */
export function describeUri(u: ParsedUri): string {
  return u.original.split('?')[0]!;
}

/**
 * Why a URI may not come from a window, or undefined when it may. A window (possibly a hostile
 * page) chooses only driver, transport, user, host, port and path: every query option either
 * changes what is trusted (no_verify, pkipath, known_hosts_verify), picks a local file or socket
 * (socket, keyfile, known_hosts), runs something (command, netcat, proxy) or lets ssh prompt
 * (no_tty). Those come only from the command line or a hand-edited hosts.json.
 */
export function pageUriProblem(input: string): string | undefined {
  let u: ParsedUri;
  try {
    u = parseUri(input);
  } catch (e) {
    return (e as Error).message;
  }
  if (u.params.size === 0) return undefined;
  const names = [...u.params.keys()].map((k) => JSON.stringify(k)).join(', ');
  return (
    `options (${names}) can't be set from the window: give the URI on the command line (--connect) ` +
    `or in hosts.json instead; here only transport, user, host, port and path`
  );
}
