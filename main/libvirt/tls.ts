/**
 * The qemu+tls:// transport: client certificates from libvirt's standard places, the TLS
 * handshake, then the one byte with which the daemon confirms that it accepts our certificate.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { TransportError } from './errors.js';
import { ConnectTimeoutError, whenConnected } from './socket-connect.js';
import type { OpenedTransport, TransportOptions } from './transport.js';
import type { ParsedUri } from './uri.js';

const LIBVIRTD_TLS_PORT = 16514;

/** Client certificate paths in libvirt's standard places (or under ?pkipath=). */
export function tlsCredentialPaths(uri: ParsedUri): { ca: string; cert: string; key: string } {
  const pki = uri.params.get('pkipath');
  if (pki) return { ca: join(pki, 'cacert.pem'), cert: join(pki, 'clientcert.pem'), key: join(pki, 'clientkey.pem') };
  const user = join(homedir(), '.pki', 'libvirt');
  if (process.getuid?.() !== 0 && existsSync(join(user, 'clientcert.pem'))) {
    return {
      ca: existsSync(join(user, 'cacert.pem')) ? join(user, 'cacert.pem') : '/etc/pki/CA/cacert.pem',
      cert: join(user, 'clientcert.pem'),
      key: join(user, 'clientkey.pem'),
    };
  }
  return {
    ca: '/etc/pki/CA/cacert.pem',
    cert: '/etc/pki/libvirt/clientcert.pem',
    key: '/etc/pki/libvirt/private/clientkey.pem',
  };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TransportError(
      `cannot read the TLS ${what} ${path}: ${(e as Error).message}`,
      'see https://libvirt.org/kbase/tlscerts.html, or use qemu+ssh:// instead',
      { cause: e },
    );
  }
}

/** Client certificate, key and CA, read now so that a missing file is named before connecting. */
function readCredentials(uri: ParsedUri): { ca: Buffer; cert: Buffer; key: Buffer } {
  const paths = tlsCredentialPaths(uri);
  return {
    ca: readPem(paths.ca, 'CA certificate'),
    cert: readPem(paths.cert, 'client certificate'),
    key: readPem(paths.key, 'client key'),
  };
}

export async function openTls(uri: ParsedUri, opts: TransportOptions): Promise<OpenedTransport> {
  const { ca, cert, key } = readCredentials(uri);
  const host = uri.host!;
  const port = uri.port ?? LIBVIRTD_TLS_PORT;
  const verify = uri.params.get('no_verify') !== '1';
  const s = tlsConnect({
    host,
    port,
    ca,
    cert,
    key,
    servername: isIP(host) ? undefined : host,
    rejectUnauthorized: verify,
  });
  const socket = await whenConnected(s, `${host}:${port}`, opts.connectTimeoutMs, 'secureConnect').catch((e: Error) => {
    throw e instanceof ConnectTimeoutError
      ? new TransportError(e.message)
      : new TransportError(`TLS connection to ${host}:${port} failed: ${e.message}`, undefined, { cause: e });
  });
  const ok = await confirmation(socket, `${host}:${port}`, opts.connectTimeoutMs).catch((e: unknown) => {
    socket.destroy();
    throw e;
  });
  if (ok !== 1) {
    socket.destroy();
    throw new TransportError(
      `${host}:${port} refused our client certificate (it answered ${ok}, not 1)`,
      'check the certificate and tls_allowed_dn_list on the host',
    );
  }
  return { stream: socket, endpoint: `${host}:${port}` };
}

/**
 * After its own checks of our certificate, the daemon sends one byte, 1, inside TLS. With TLS
 * 1.3 the server judges our certificate after our handshake is done, so a refusal shows up here,
 * as an alert (an 'error') or a close instead of that byte.
 */
function confirmation(socket: TLSSocket, where: string, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const refused =
      'the daemon may have refused our client certificate (check it, its CA and tls_allowed_dn_list on the host)';
    const done = (): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onReadable = (): void => {
      const b = socket.read(1) as Buffer | null;
      if (!b) return; // a TLS record with no application data yet
      done();
      resolve(b[0]!);
    };
    const onError = (e: Error): void => {
      done();
      reject(
        new TransportError(`TLS connection to ${where} failed after the handshake: ${e.message}`, refused, {
          cause: e,
        }),
      );
    };
    const onClose = (): void => {
      done();
      reject(new TransportError(`${where} closed the TLS connection before confirming it`, refused));
    };
    const timer = setTimeout(() => {
      done();
      socket.destroy();
      reject(new TransportError(`${where} sent no TLS confirmation within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('readable', onReadable);
    socket.on('error', onError);
    socket.on('close', onClose);
    onReadable();
  });
}
