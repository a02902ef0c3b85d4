/**
 * Console channels: the screen (VNC bytes straight from QEMU) or the serial console (libvirt's
 * console stream) of one guest, as a Node Duplex the shells relay to the renderer. Each open
 * channel reports its state (connecting, connected, disconnected with the reason) as API events,
 * and is closed cleanly when its guest stops.
 */
import type { Duplex } from 'node:stream';
import { LifecycleEvent, type LibvirtStream } from '../libvirt/index.js';
import type { ConsoleKind, ConsoleState, GuestInfo, GuestRef } from '../app/shared/contract.js';
import { ApiError, toApiError } from '../hosts/api-error.js';
import type { Host } from '../hosts/host.js';
import type { HostManager } from '../hosts/manager.js';
import { ConsoleError, openVncChannel } from './endpoint.js';

const ACTIVE = new Set(['running', 'paused', 'blocked', 'shutdown', 'pmsuspended']);

interface OpenChannel {
  ref: GuestRef;
  kind: ConsoleKind;
  stream: Duplex;
  /** Why it ended, once known: the first error, or why we closed it. */
  reason?: string;
}

export class ConsoleManager {
  private readonly channels = new Set<OpenChannel>();

  constructor(
    private readonly hosts: HostManager,
    private readonly report: (state: ConsoleState) => void,
  ) {
    hosts.on('lifecycle', (l) => {
      if (l.event === LifecycleEvent.STOPPED || l.event === LifecycleEvent.UNDEFINED) this.closeGuest(l, 'the guest stopped');
    });
    hosts.on('guest-removed', (r) => this.closeGuest(r, 'the guest was removed'));
  }

  /** Channels open now (for tests and diagnostics). */
  get openCount(): number {
    return this.channels.size;
  }

  private guest(ref: GuestRef): { host: Host; info: GuestInfo } {
    const host = this.hosts.get(ref.host);
    const info = host.guest(ref.uuid);
    if (!info) throw new ApiError('no-such-guest', `No guest with UUID ${ref.uuid} on ${ref.host}`, { host: ref.host, guest: ref.uuid });
    return { host, info };
  }

  /**
   * Opens a console channel. Fails with an ApiError, before anything connects, for an unknown
   * guest, one that is not running, or one without that kind of console.
   */
  async open(ref: GuestRef, kind: ConsoleKind): Promise<Duplex> {
    const { host, info } = this.guest(ref);
    const where = { host: ref.host, guest: info.name };
    if (kind === 'vnc' && !info.hasVnc) throw new ApiError('unsupported', `${info.name} has no graphical display; use its serial console`, where);
    if (kind === 'serial' && !info.hasSerial) throw new ApiError('unsupported', `${info.name} has no serial console (it needs a pty serial port)`, where);
    if (!ACTIVE.has(info.state)) throw new ApiError('invalid-state', `${info.name} is not running (it is ${info.state}); start it to see its console`, where);

    const state = (status: ConsoleState['status'], reason?: string): void =>
      this.report({ host: ref.host, uuid: ref.uuid, kind, status, ...(reason ? { reason } : {}) });
    state('connecting');
    let stream: Duplex;
    try {
      stream = kind === 'vnc' ? await this.openVnc(host, ref) : await this.openSerial(host, ref);
    } catch (e) {
      const err = e instanceof ConsoleError ? new ApiError(e.code === 'unavailable' ? 'unsupported' : 'host-unavailable', `${info.name}'s console: ${e.message}`, where) : toApiError(e, { ...where, action: `open the console of ${info.name}` });
      state('disconnected', err.message);
      throw err;
    }
    const ch: OpenChannel = { ref, kind, stream };
    this.channels.add(ch);
    state('connected');
    stream.on('error', (e: Error) => {
      ch.reason ??= e.message;
    });
    stream.once('close', () => {
      this.channels.delete(ch);
      state('disconnected', ch.reason ?? 'closed');
    });
    return stream;
  }

  private async openVnc(host: Host, ref: GuestRef): Promise<Duplex> {
    const ep = await host.vncEndpoint(ref.uuid);
    if (!ep) throw new ConsoleError('the display is not listening yet', 'unreachable');
    const client = host.libvirt();
    const remote = client.uri.transport === 'tls' || client.uri.transport === 'tcp' ? client.uri.host : undefined;
    return openVncChannel(ep, { ...(client.sshLink ? { ssh: client.sshLink } : {}), ...(remote ? { remoteHost: remote } : {}) });
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
  }

  closeAll(why = 'shutting down'): void {
    for (const ch of [...this.channels]) this.close(ch, why);
  }

  private close(ch: OpenChannel, why: string): void {
    ch.reason ??= why;
    ch.stream.destroy();
  }
}
