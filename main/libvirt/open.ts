/**
 * Opening a connection to a libvirt daemon: the transport, then within one deadline the
 * authentication, keepalive and CONNECT_OPEN; a failure becomes one sentence a person can act on.
 */
import { AuthType, ConnectFlags, DrvFeature } from './constants.js';
import { RpcConnection } from './connection.js';
import type { KeepaliveOptions } from './keepalive.js';
import { AuthError, ConnectionClosedError, LibvirtError, TransportError } from './errors.js';
import type { SshLink } from './ssh.js';
import { openTransport, type TransportOptions } from './transport.js';
import { describeUri, type ParsedUri } from './uri.js';

export interface ClientOptions extends Partial<TransportOptions> {
  /** Whole open (transport, auth, CONNECT_OPEN), in ms. Default 10 s. */
  connectTimeoutMs?: number;
  /** Keepalive; `false` turns it off. Default: ping after 5 s of silence, give up after 5 more. */
  keepalive?: KeepaliveOptions | false;
  readOnly?: boolean;
}

/** Opens the transport and a connection on it that the daemon has opened for `uri`'s driver. */
export async function openConnection(
  uri: ParsedUri,
  opts: ClientOptions,
): Promise<{ conn: RpcConnection; ssh: SshLink | undefined }> {
  const timeoutMs = opts.connectTimeoutMs ?? 10_000;
  const label = describeUri(uri);
  const transport = await openTransport(uri, { ...opts, connectTimeoutMs: timeoutMs });
  const conn = new RpcConnection(transport.stream, label);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new TransportError(
          `connecting to ${label} timed out after ${timeoutMs} ms`,
          uri.transport === 'ssh' ? 'check that the host is reachable and accepts your SSH key' : undefined,
        ),
      );
      conn.destroy('connect timeout');
    }, timeoutMs);
  });
  try {
    await Promise.race([handshake(conn, uri, opts), timeout]);
    return { conn, ssh: transport.ssh };
  } catch (e) {
    conn.destroy('open failed');
    transport.ssh?.close();
    throw explain(e, uri, transport.endpoint);
  } finally {
    clearTimeout(timer);
  }
}

async function handshake(conn: RpcConnection, uri: ParsedUri, opts: ClientOptions): Promise<void> {
  // AUTH_LIST must come first: for root under polkit it is what authenticates the client.
  const { types } = await conn.call('authList', undefined);
  if (!types.includes(AuthType.NONE)) {
    if (types.includes(AuthType.POLKIT)) {
      try {
        await conn.call('authPolkit', undefined);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new AuthError(
          `libvirt at ${describeUri(uri)} refused access for this user (${why}); add the user to the libvirt group (sudo usermod -aG libvirt $USER, then log in again) or run as root`,
          { cause: e },
        );
      }
    } else if (types.includes(AuthType.SASL)) {
      throw new AuthError(
        `libvirt at ${describeUri(uri)} asks for SASL authentication, which virtswitch does not support; use qemu+ssh:// or qemu+tls:// with client certificates`,
      );
    } else {
      throw new AuthError(
        `libvirt at ${describeUri(uri)} offers no authentication virtswitch knows (${types.join(', ')})`,
      );
    }
  }
  if (opts.keepalive !== false) {
    const { supported } = await conn.call('connectSupportsFeature', { feature: DrvFeature.PROGRAM_KEEPALIVE });
    if (supported) conn.startKeepalive(opts.keepalive ?? { intervalMs: 5000, count: 5 });
  }
  await conn.call('connectOpen', { name: uri.daemonUri, flags: opts.readOnly ? ConnectFlags.RO : 0 });
}

/** Turns low-level failures into one sentence a person can act on. */
function explain(e: unknown, uri: ParsedUri, endpoint: string): Error {
  if (e instanceof AuthError || e instanceof TransportError) return e;
  if (e instanceof LibvirtError) {
    const err = new LibvirtError({
      code: e.code,
      domain: e.domain,
      level: e.level,
      message: `cannot open ${describeUri(uri)}: ${e.message}`,
    });
    return err;
  }
  if (e instanceof ConnectionClosedError) {
    const cause = e.cause instanceof Error ? e.cause.message : e.message;
    return new TransportError(
      `cannot open ${describeUri(uri)} via ${endpoint}: ${cause}`,
      uri.transport === 'ssh'
        ? 'check that you can `ssh` to the host without a password prompt and that libvirt runs there'
        : undefined,
      { cause: e },
    );
  }
  return e instanceof Error ? e : new Error(String(e));
}
