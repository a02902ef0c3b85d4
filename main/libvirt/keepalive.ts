/**
 * libvirt's keepalive protocol on one connection: answer the daemon's pings, ping it after a
 * silence, and declare it dead after too many silent intervals.
 */
import { encodePacket } from './packet.js';
import {
  KEEPALIVE_PROC_PING,
  KEEPALIVE_PROC_PONG,
  KEEPALIVE_PROGRAM,
  KEEPALIVE_VERSION,
  MessageStatus,
  MessageType,
} from './protocol.js';

export interface KeepaliveOptions {
  /** Silence after which we ping the daemon, in ms (libvirt's default is 5 s). */
  intervalMs: number;
  /** Unanswered intervals after which the peer counts as dead (libvirt's default is 5). */
  count: number;
}

/** Keepalive traffic so far, both ways (for diagnostics and tests). */
export interface KeepaliveCounters {
  pingsReceived: number;
  pongsSent: number;
  pingsSent: number;
  pongsReceived: number;
}

export interface KeepaliveLink {
  /** Queues a packet; false when the connection is closed (nothing was sent). */
  send(packet: Buffer): boolean;
  /** The peer has been silent for `silentMs`: too long. */
  dead(silentMs: number): void;
}

export class Keepalive {
  private lastReceived = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private readonly ka: KeepaliveCounters = { pingsReceived: 0, pongsSent: 0, pingsSent: 0, pongsReceived: 0 };

  constructor(private readonly link: KeepaliveLink) {}

  get counters(): Readonly<KeepaliveCounters> {
    return { ...this.ka };
  }

  /** Anything arrived from the peer: it is alive. */
  heard(): void {
    this.lastReceived = Date.now();
  }

  /**
   * Opts in: ping the daemon ourselves after `intervalMs` of silence; after `count` silent
   * intervals the peer is declared dead. (Its pings are answered either way.)
   */
  start(opts: KeepaliveOptions): void {
    this.stop();
    const { intervalMs, count } = opts;
    this.lastReceived = Date.now();
    this.timer = setInterval(() => {
      const silent = Date.now() - this.lastReceived;
      if (silent >= intervalMs * (count + 1)) this.link.dead(silent);
      else if (silent >= intervalMs) this.send(KEEPALIVE_PROC_PING);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A packet of the keepalive program arrived. */
  receive(proc: number): void {
    if (proc === KEEPALIVE_PROC_PING) {
      this.ka.pingsReceived++;
      this.send(KEEPALIVE_PROC_PONG);
    } else if (proc === KEEPALIVE_PROC_PONG) this.ka.pongsReceived++;
  }

  private send(proc: number): void {
    const packet = encodePacket({
      prog: KEEPALIVE_PROGRAM,
      vers: KEEPALIVE_VERSION,
      proc,
      type: MessageType.Message,
      serial: 0,
      status: MessageStatus.Ok,
    });
    if (!this.link.send(packet)) return;
    if (proc === KEEPALIVE_PROC_PING) this.ka.pingsSent++;
    else this.ka.pongsSent++;
  }
}
