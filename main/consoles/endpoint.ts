/**
 * Where a guest's screen is, and a byte channel to it. The endpoint always comes from the
 * guest's live XML, read fresh (its port changes on every start). Local hosts get a plain TCP or
 * unix socket; qemu+ssh:// hosts get an `ssh -W` forward over the host's one SSH connection; a
 * request always names a guest, never a host or port.
 */
import { BlockList, connect, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { whenConnected, type SshLink } from '../libvirt/index.js';
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

const LOOPBACK_NETS = new BlockList();
LOOPBACK_NETS.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_NETS.addAddress('::1', 'ipv6');

/**
 * Whether an address is this machine's loopback in any spelling: 127.x, ::1 written out in full
 * (0:0:0:0:0:0:0:1) and IPv4-mapped (::ffff:127.0.0.1) included; BlockList parses, a regex would not.
 */
export function isLoopbackAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return /^(.+\.)?localhost\.?$/i.test(host);
  return LOOPBACK_NETS.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Takes a socket channel's bytes into buffers it provides (Node's `onread`) instead of a fresh
 * Buffer per read. A relay that sends each read on at once can reuse one buffer, so that a busy
 * console costs the process no allocation, no garbage and no page faults per read. A channel
 * opened with a reader emits no 'data' (see `readsIntoReader`); 'end', 'close', pause() and
 * resume() work as usual. Channels that are no plain socket (ssh forwards, serial streams) ignore
 * the reader and emit 'data'.
 */
export interface ChannelReader {
  /** The buffer the next read goes into (the same one again, or a new one). */
  buffer(): Uint8Array;
  /** One read's bytes: a view of that buffer, valid only during the call. False pauses the channel. */
  take(bytes: Buffer): boolean;
}

const withReader = new WeakSet<Duplex>();

/** Whether a channel hands its bytes to the reader it was opened with instead of emitting 'data'. */
export function readsIntoReader(channel: Duplex): boolean {
  return withReader.has(channel);
}

export interface ChannelTarget {
  /** The host's SSH link when it is a qemu+ssh:// host. */
  ssh?: SshLink;
  /** The libvirt host's name or address for direct (non-SSH) remote connections. */
  remoteHost?: string;
}

/**
 * When a listener's accept queue is full, Linux refuses a unix-socket connection with EAGAIN and
 * drops a TCP SYN (the client sends it again only after a second). QEMU's VNC server listens with
 * a backlog of 1 and accepts from its main loop, busy under emulation: viewers that open together,
 * or one that reconnects at once, run into this. So EAGAIN is tried again after a short wait, and a
 * TCP attempt that has not connected yet is joined by fresh ones; the first to connect wins.
 */
const EAGAIN_RETRY_MS = 15;
/** When to start another attempt: soon on loopback, where connecting takes microseconds. */
const STALLED_TCP_RETRY_MS = { loopback: [50, 150, 400, 1000, 2000], remote: [300, 900, 2000] } as const;

function socketConnect(
  opts: { path: string } | { host: string; port: number },
  timeoutMs: number,
  label: string,
  reader?: ChannelReader,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const attempts = new Set<Socket>();
    const timers = new Set<NodeJS.Timeout>();
    let settled = false;
    const later = (ms: number, f: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        f();
      }, ms);
      timers.add(t);
    };
    const settle = (winner: Socket | undefined, err?: ConsoleError): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      for (const a of attempts) if (a !== winner) a.destroy();
      if (winner) resolve(winner);
      else reject(err);
    };
    let winner: Socket | undefined;
    const attempt = (): void => {
      if (settled) return;
      const s: Socket = reader
        ? connect({
            ...opts,
            onread: {
              buffer: () => reader.buffer(),
              // Only the attempt that won carries the channel's bytes.
              callback: (n, buf) => s === winner && reader.take(Buffer.from(buf.buffer, buf.byteOffset, n)),
            },
          })
        : connect(opts);
      attempts.add(s);
      // The deadline is the whole race's (below), not each attempt's.
      whenConnected(s, label).then(
        () => {
          if (settled) return;
          s.setNoDelay(true);
          winner = s;
          if (reader) withReader.add(s);
          settle(s);
        },
        (e: NodeJS.ErrnoException) => {
          attempts.delete(s);
          s.destroy();
          if (e.code === 'EAGAIN') later(EAGAIN_RETRY_MS, attempt);
          else if (e.code === 'ENOENT' && 'path' in opts)
            settle(undefined, new ConsoleError(`the display's socket ${opts.path} is missing`, 'unavailable'));
          else settle(undefined, new ConsoleError(`cannot connect to ${label}: ${e.message}`));
        },
      );
    };
    later(timeoutMs, () => settle(undefined, new ConsoleError(`timed out connecting to ${label}`)));
    attempt();
    if ('port' in opts)
      for (const ms of STALLED_TCP_RETRY_MS[isLoopbackAddress(opts.host) ? 'loopback' : 'remote'])
        if (ms < timeoutMs) later(ms, attempt);
  });
}

/**
 * Opens a byte channel to a VNC endpoint as seen from the host that runs the guest. With a
 * reader, a socket channel reads into the reader's buffers (see ChannelReader).
 */
export async function openVncChannel(
  ep: VncEndpoint,
  where: ChannelTarget,
  timeoutMs = 10_000,
  reader?: ChannelReader,
): Promise<Duplex> {
  if (where.ssh) {
    return ep.kind === 'unix'
      ? where.ssh.forward({ socket: ep.path })
      : where.ssh.forward({ host: ep.host, port: ep.port });
  }
  if (where.remoteHost) {
    if (ep.kind === 'unix')
      throw new ConsoleError(
        `the display listens on a unix socket on ${where.remoteHost}; connect to that host with qemu+ssh:// to reach it`,
        'unavailable',
      );
    if (isLoopbackAddress(ep.host))
      throw new ConsoleError(
        `the display listens on loopback only on ${where.remoteHost}; connect to that host with qemu+ssh:// to tunnel it`,
        'unavailable',
      );
    // The guest's definition names the port only: its address could point anywhere (another
    // machine, a service on our own side), so the host this connection reaches is dialled.
    const remote = where.remoteHost;
    return socketConnect({ host: remote, port: ep.port }, timeoutMs, `${remote}:${ep.port}`, reader);
  }
  return ep.kind === 'unix'
    ? socketConnect({ path: ep.path }, timeoutMs, ep.path, reader)
    : socketConnect({ host: ep.host, port: ep.port }, timeoutMs, `${ep.host}:${ep.port}`, reader);
}
