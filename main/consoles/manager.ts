/**
 * Console channels: the screen (VNC bytes straight from QEMU) or the serial console (libvirt's
 * console stream) of one guest, as a Node Duplex the shells relay to the renderer. Each guest's
 * console of each kind has one reported state (connecting, connected, disconnected with the
 * reason) as API events, whatever the number of channels open to it: a viewer that opens a new
 * channel before its old one has finished closing stays "connected". Channels are closed cleanly
 * when their guest stops.
 */
import type { Duplex } from 'node:stream';
import { LifecycleEvent, type LibvirtStream } from '../libvirt/index.js';
import type { ConsoleKind, ConsoleState, GuestInfo, GuestRef } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { isRunning } from '../../common/guest-state.js';
import { toApiError } from '../hosts/api-error.js';
import type { Host } from '../hosts/host.js';
import type { HostManager } from '../hosts/manager.js';
import { ConsoleError, openVncChannel, readsIntoReader, type ChannelReader } from './endpoint.js';
import { RfbSecurityWatch, watchSecurity } from './rfb-security.js';
import { spiceEndpoint } from '../hosts/display-commands.js';
import { unreachableDisplayWhy } from './display-why.js';
import { paceSpiceKeys } from './spice-input-pacing.js';

export interface OpenOptions {
  /**
   * For a screen channel that is a plain socket: read into the reader's buffers instead of
   * emitting 'data' (see ChannelReader, readsIntoReader). Ignored by other channels.
   */
  reader?: ChannelReader;
}

interface OpenChannel {
  ref: GuestRef;
  kind: ConsoleKind;
  stream: Duplex;
  /** Why it ended, once known: the first error, or why we closed it. */
  reason?: string;
}

/** The channels of one guest's console of one kind, and what was last reported for it. */
interface ConsoleTally {
  ref: GuestRef;
  kind: ConsoleKind;
  connecting: number;
  connected: number;
  reported?: ConsoleState['status'];
  reason?: string;
}

/** Every kind of console channel. */
export const CONSOLE_KINDS: readonly ConsoleKind[] = ['vnc', 'spice', 'serial'];

const key = (ref: GuestRef, kind: ConsoleKind): string => `${kind}:${ref.uuid}@${ref.host}`;

/** What a channel that ended by itself says, when nothing more precise is known. */
const ENDED: Record<ConsoleKind, string> = {
  vnc: "the guest's display closed the connection",
  spice: "the guest's SPICE display closed the connection",
  serial: "the guest's serial console was closed",
};

function stateOf(t: ConsoleTally): ConsoleState {
  const status = t.reported!;
  return {
    host: t.ref.host,
    uuid: t.ref.uuid,
    kind: t.kind,
    status,
    ...(status !== 'connected' && status !== 'connecting' && t.reason ? { reason: t.reason } : {}),
  };
}

export class ConsoleManager {
  private readonly channels = new Set<OpenChannel>();
  private readonly tallies = new Map<string, ConsoleTally>();
  private readonly byStream = new WeakMap<Duplex, OpenChannel>();

  constructor(
    private readonly hosts: HostManager,
    /** Hears every change of a console's state (`states()` has the latest of each). */
    private readonly report: (state: ConsoleState) => void,
  ) {
    hosts.on('lifecycle', (l) => {
      if (l.event === LifecycleEvent.STOPPED || l.event === LifecycleEvent.UNDEFINED)
        this.closeGuest(l, 'the guest stopped');
    });
    hosts.on('guest-removed', (r) => {
      this.closeGuest(r, 'the guest was removed');
      for (const kind of CONSOLE_KINDS) this.tallies.delete(key(r, kind));
    });
  }

  /** The state last reported of every console opened so far, of guests that are still there. */
  states(): ConsoleState[] {
    return [...this.tallies.values()].flatMap((t) => (t.reported ? [stateOf(t)] : []));
  }

  /** Channels open now (for tests and diagnostics). */
  get openCount(): number {
    return this.channels.size;
  }

  private guest(ref: GuestRef): { host: Host; info: GuestInfo } {
    const host = this.hosts.get(ref.host);
    return { host, info: host.knownGuest(ref.uuid) };
  }

  /**
   * Opens a console channel. Fails with an ApiError, before anything connects, for an unknown
   * guest, one that is not running, or one without that kind of console.
   */
  async open(ref: GuestRef, kind: ConsoleKind, opts: OpenOptions = {}): Promise<Duplex> {
    const { host, info } = this.guest(ref);
    const where = { host: ref.host, guest: info.name };
    if (kind === 'vnc' && !info.hasVnc)
      throw new ApiError('unsupported', `${info.name} has no graphical display; use its serial console`, where);
    if (kind === 'spice' && !info.hasSpice)
      throw new ApiError('unsupported', `${info.name} has no SPICE display`, where);
    if (kind === 'serial' && !info.hasSerial)
      throw new ApiError('unsupported', `${info.name} has no serial console (it needs a pty serial port)`, where);
    if (!isRunning(info))
      throw new ApiError(
        'invalid-state',
        `${info.name} is not running (it is ${info.state}); start it to see its console`,
        where,
      );

    const tally = this.tally(ref, kind);
    tally.connecting++;
    this.update(ref, kind);
    let stream: Duplex;
    // A VNC display's security types can say it is one no viewer of ours opens (TLS, SASL).
    const refusal: { why?: string; stream?: Duplex } = {};
    const security =
      kind === 'vnc'
        ? watchSecurity(new RfbSecurityWatch(), (why) => {
            refusal.why = why;
            process.nextTick(() => refusal.stream?.destroy());
          })
        : undefined;
    const reader = security && opts.reader ? security.reader(opts.reader) : opts.reader;
    try {
      stream = kind === 'serial' ? await this.openSerial(host, ref) : await this.openScreen(host, ref, kind, reader);
    } catch (e) {
      const err =
        e instanceof ConsoleError
          ? new ApiError(
              e.code === 'unavailable' ? 'unsupported' : 'host-unavailable',
              `${info.name}'s console: ${e.message}`,
              where,
            )
          : toApiError(e, { ...where, action: `open the console of ${info.name}` });
      tally.connecting--;
      this.update(ref, kind, err.message, e instanceof ConsoleError && e.code === 'unavailable');
      throw err;
    }
    const ch: OpenChannel = { ref, kind, stream };
    refusal.stream = stream;
    if (security && !readsIntoReader(stream)) security.stream(stream);
    this.channels.add(ch);
    this.byStream.set(stream, ch);
    tally.connecting--;
    tally.connected++;
    this.update(ref, kind);
    stream.on('error', (e: Error) => {
      // A serial console has one viewer: opening it again (FORCE) cuts the older stream off,
      // which libvirt reports as an I/O failure.
      ch.reason ??=
        kind === 'serial' && tally.connecting > 0 ? 'another viewer took the serial console over' : e.message;
    });
    stream.once('end', () => {
      ch.reason ??= ENDED[kind];
    });
    stream.once('close', () => {
      this.channels.delete(ch);
      tally.connected--;
      this.update(ref, kind, refusal.why ?? ch.reason ?? ENDED[kind], !!refusal.why);
    });
    return stream;
  }

  /** Why a channel ended (or is ending), once known; undefined while it runs normally. */
  reasonOf(stream: Duplex): string | undefined {
    return this.byStream.get(stream)?.reason;
  }

  /** Closes one channel this manager opened, saying why (e.g. "the viewer closed it"). */
  closeChannel(stream: Duplex, why: string): void {
    const ch = this.byStream.get(stream);
    if (ch && this.channels.has(ch)) this.close(ch, why);
    else if (!stream.destroyed) stream.destroy();
  }

  private tally(ref: GuestRef, kind: ConsoleKind): ConsoleTally {
    const k = key(ref, kind);
    let t = this.tallies.get(k);
    if (!t) {
      t = { ref: { host: ref.host, uuid: ref.uuid }, kind, connecting: 0, connected: 0 };
      this.tallies.set(k, t);
    }
    return t;
  }

  /**
   * Reports the console's state from its channels: connected while any is, else connecting
   * while any opens, else disconnected with the reason of the one that ended last. A state that
   * has not changed is not reported again, except a disconnection, which always says why.
   */
  private update(ref: GuestRef, kind: ConsoleKind, reason?: string, unavailable = false): void {
    const t = this.tally(ref, kind);
    // Unavailable: the display can't be reached at all (why is in the reason), not a dropped link.
    const idle = unavailable ? 'unavailable' : 'disconnected';
    const status: ConsoleState['status'] = t.connected > 0 ? 'connected' : t.connecting > 0 ? 'connecting' : idle;
    if (status === t.reported && status !== 'disconnected') return;
    if (status === 'disconnected' && reason === undefined) return;
    t.reported = status;
    t.reason = status === 'disconnected' || status === 'unavailable' ? reason : undefined;
    this.report(stateOf(t));
  }

  /** A byte channel to the guest's VNC display, or one channel's worth of its SPICE display. */
  private async openScreen(host: Host, ref: GuestRef, kind: 'vnc' | 'spice', reader?: ChannelReader): Promise<Duplex> {
    const ep = kind === 'vnc' ? await host.vncEndpoint(ref.uuid) : await spiceEndpoint(host, ref.uuid);
    if (!ep) {
      const why = unreachableDisplayWhy(await host.libvirt().getXml(host.domain(ref.uuid)), kind);
      throw why ? new ConsoleError(why, 'unavailable') : new ConsoleError('the display is not listening yet');
    }
    const client = host.libvirt();
    const remote = client.uri.transport === 'tls' || client.uri.transport === 'tcp' ? client.uri.host : undefined;
    const channel = await openVncChannel(
      ep,
      { ...(client.sshLink ? { ssh: client.sshLink } : {}), ...(remote ? { remoteHost: remote } : {}) },
      undefined,
      reader,
    );
    return kind === 'spice' ? paceSpiceKeys(channel) : channel;
  }

  private async openSerial(host: Host, ref: GuestRef): Promise<LibvirtStream> {
    const client = host.libvirt();
    // FORCE: the newest viewer takes the console over, as `virsh console --force` does.
    return client.openConsole(host.domain(ref.uuid), { force: true });
  }

  private closeGuest(ref: GuestRef, why: string): void {
    for (const ch of [...this.channels]) {
      if (ch.ref.host === ref.host && ch.ref.uuid === ref.uuid) this.close(ch, why);
    }
    // A screen channel mostly ends before the event arrives (QEMU closes its socket as it
    // exits): now the reason is known for certain, say it.
    for (const kind of CONSOLE_KINDS) {
      const t = this.tallies.get(key(ref, kind));
      if (t && t.reported === 'disconnected' && t.reason === ENDED[kind] && t.connected === 0 && t.connecting === 0)
        this.update(ref, kind, why);
    }
  }

  closeAll(why = 'shutting down'): void {
    for (const ch of [...this.channels]) this.close(ch, why);
  }

  private close(ch: OpenChannel, why: string): void {
    ch.reason ??= why;
    ch.stream.destroy();
  }
}
