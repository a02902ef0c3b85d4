/**
 * Where a guest's screen is, and a byte channel to it. The endpoint always comes from the
 * guest's live XML, read fresh (its port changes on every start). Local hosts get a plain TCP or
 * unix socket; qemu+ssh:// hosts get an `ssh -W` forward over the host's one SSH connection; a
 * request always names a guest, never a host or port.
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SshLink } from '../libvirt/index.js';
import type { VncEndpoint } from '../hosts/domain-xml.js';

export class ConsoleError extends Error {
  constructor(
    message: string,
    readonly code: 'unavailable' | 'unreachable' = 'unreachable',
  ) {
    super(message);
    this.name = 'ConsoleError';
  }
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

export interface ChannelTarget {
  /** The host's SSH link when it is a qemu+ssh:// host. */
  ssh?: SshLink;
  /** The libvirt host's name or address for direct (non-SSH) remote connections. */
  remoteHost?: string;
}

function socketConnect(opts: { path: string } | { host: string; port: number }, timeoutMs: number, label: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(opts);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new ConsoleError(`timed out connecting to ${label}`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(new ConsoleError(`cannot connect to ${label}: ${e.message}`));
    });
  });
}

/** Opens a byte channel to a VNC endpoint as seen from the host that runs the guest. */
export async function openVncChannel(ep: VncEndpoint, where: ChannelTarget, timeoutMs = 10_000): Promise<Duplex> {
  if (where.ssh) {
    return ep.kind === 'unix' ? where.ssh.forward({ socket: ep.path }) : where.ssh.forward({ host: ep.host, port: ep.port });
  }
  if (where.remoteHost) {
    if (ep.kind === 'unix') throw new ConsoleError(`the display listens on a unix socket on ${where.remoteHost}; connect to that host with qemu+ssh:// to reach it`, 'unavailable');
    if (LOOPBACK.test(ep.host)) throw new ConsoleError(`the display listens on loopback only on ${where.remoteHost}; connect to that host with qemu+ssh:// to tunnel it`, 'unavailable');
    return socketConnect({ host: ep.host, port: ep.port }, timeoutMs, `${ep.host}:${ep.port}`);
  }
  return ep.kind === 'unix' ? socketConnect({ path: ep.path }, timeoutMs, ep.path) : socketConnect({ host: ep.host, port: ep.port }, timeoutMs, `${ep.host}:${ep.port}`);
}
