/**
 * Waiting for a socket to connect, within a deadline: the one way the libvirt transports and the
 * console channels open their sockets.
 */
import type { Socket } from 'node:net';

/** The socket did not connect in time (it has been destroyed). */
export class ConnectTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(label: string) {
    super(`timed out connecting to ${label}`);
    this.name = 'ConnectTimeoutError';
  }
}

/**
 * Resolves with `socket` once it has connected (`secureConnect` for a TLS socket). Rejects with
 * its error, with a ConnectTimeoutError after `timeoutMs` (when given; the socket is destroyed
 * then), or with an ECONNABORTED error when someone else destroys it first. Its error listener
 * goes once it is connected: from then on its errors are for whoever reads it.
 */
export function whenConnected<S extends Socket>(
  socket: S,
  label: string,
  timeoutMs?: number,
  ready: 'connect' | 'secureConnect' = 'connect',
): Promise<S> {
  return new Promise((resolve, reject) => {
    // A socket that failed keeps the error listener (a no-op by then): a late error from it
    // must not surface as an unhandled 'error'.
    const done = (connected: boolean): void => {
      clearTimeout(timer);
      socket.off(ready, onReady);
      socket.off('close', onClose);
      if (connected) socket.off('error', onError);
    };
    const onReady = (): void => {
      done(true);
      resolve(socket);
    };
    const onError = (e: Error): void => {
      done(false);
      reject(e);
    };
    const onClose = (): void => {
      done(false);
      reject(
        Object.assign(new Error(`the connection to ${label} was closed before it was made`), { code: 'ECONNABORTED' }),
      );
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            done(false);
            socket.destroy();
            reject(new ConnectTimeoutError(label));
          }, timeoutMs);
    socket.once(ready, onReady);
    socket.on('error', onError);
    socket.once('close', onClose);
  });
}
