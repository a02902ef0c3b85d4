/**
 * One libvirt host: its connection (connecting, connected, reconnecting with backoff, failed with
 * the reason), its hypervisor facts, its guests (GuestModel) and their stats (StatsSampler), and
 * the way commands reach its guests.
 */
import { EventEmitter } from 'node:events';
import {
  AuthError,
  DomainXmlFlags,
  LibvirtClient,
  LibvirtError,
  ErrorCode,
  UriError,
  type ClientOptions,
  type DomainRef,
} from '../libvirt/index.js';
import type { GuestInfo, GuestRef, GuestStats, HostFacts, HostInfo, HostStatus } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { HOST_RECONNECT } from '../../common/backoff.js';
import { toApiError } from './api-error.js';
import { ConnectLoop } from './connect-loop.js';
import { readHostFacts } from './facts.js';
import { parseDomainXml, type VncEndpoint } from './domain-xml.js';
import { syncClockAfterWake } from './guest-agent.js';
import { GuestModel, type GuestModelEvents } from './guest-model.js';
import { StatsSampler } from './stats-sampler.js';

export interface HostOptions {
  /** Passed to the libvirt client (timeouts, keepalive, transport overrides). */
  client?: ClientOptions;
  /** First and longest wait between reconnection attempts. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** How often stats are taken while someone watches. */
  statsIntervalMs?: number;
}

export interface HostEvents extends GuestModelEvents {
  host: [HostInfo];
  stats: [GuestStats[]];
  reboot: [GuestRef];
  /** The connection to the host is (back) up and the model is in sync. */
  ready: [];
  /** The guest agent set the guest's clock after a resume or a restore. */
  'clock-set': [GuestRef];
}

export class Host extends EventEmitter<HostEvents> {
  private client: LibvirtClient | undefined;
  private status: HostStatus = 'connecting';
  private error: string | undefined;
  private statsError: string | undefined;
  private retryAt: number | undefined;
  private facts: HostFacts | undefined;
  private closed = false;
  private everConnected = false;
  private readonly model: GuestModel;
  private readonly stats: StatsSampler;
  private readonly loop: ConnectLoop;

  constructor(
    /** The connection URI exactly as the user gave it; the host's id. */
    readonly uri: string,
    private readonly opts: HostOptions = {},
  ) {
    super();
    this.model = new GuestModel(
      uri,
      () => this.client,
      this,
      () => this.closed,
    );
    this.stats = new StatsSampler(
      {
        uri,
        client: () => this.client,
        guest: (uuid) => this.model.get(uuid),
        report: (s) => this.emit('stats', s),
        stale: (uuid) => void this.model.scheduleRefresh(uuid),
        failed: (why) => {
          this.statsError = why;
          this.emit('host', this.info());
        },
      },
      opts.statsIntervalMs,
    );
    this.on('guest-removed', (r) => this.stats.forget(r.uuid));
    this.on('lifecycle', (n) => syncClockAfterWake(this, n));
    this.loop = new ConnectLoop(
      {
        attempt: () => this.connectOnce(),
        isPermanent: (e) => e instanceof UriError || e instanceof AuthError,
        connected: () => {
          this.retryAt = undefined;
          this.setStatus('connected');
          this.stats.start();
          this.emit('ready');
        },
        failed: (e, retryAt) => {
          this.retryAt = retryAt;
          const reconnecting = this.everConnected && retryAt !== undefined;
          this.setStatus(reconnecting ? 'reconnecting' : 'failed', toApiError(e, { host: this.uri }).message);
        },
      },
      {
        initialMs: opts.backoffInitialMs ?? HOST_RECONNECT.initialMs,
        maxMs: opts.backoffMaxMs ?? HOST_RECONNECT.maxMs,
      },
    );
  }

  /** Starts connecting in the background; the `host` event reports progress. */
  start(): void {
    void this.loop.run();
  }

  info(): HostInfo {
    return {
      uri: this.uri,
      status: this.status,
      ...(this.error ? { error: this.error } : {}),
      ...(this.statsError && this.status === 'connected' ? { statsError: this.statsError } : {}),
      ...(this.retryAt !== undefined && this.status !== 'connected'
        ? { retryInMs: Math.max(0, this.retryAt - Date.now()) }
        : {}),
      ...(this.facts ? { facts: this.facts } : {}),
    };
  }

  guestList(): GuestInfo[] {
    return this.model.list();
  }

  guest(uuid: string): GuestInfo | undefined {
    return this.model.get(uuid);
  }

  /** A guest that must be known here: a no-such-guest error otherwise. */
  knownGuest(uuid: string): GuestInfo {
    return this.model.record(uuid).info;
  }

  get connected(): boolean {
    return this.status === 'connected' && !!this.client?.connected;
  }

  /** The live libvirt client, for the console layer. Throws host-unavailable when not connected. */
  libvirt(): LibvirtClient {
    if (!this.client || !this.client.connected) {
      throw new ApiError('host-unavailable', `${this.uri} is not connected${this.error ? ` (${this.error})` : ''}`, {
        host: this.uri,
      });
    }
    return this.client;
  }

  private setStatus(status: HostStatus, error?: string): void {
    this.status = status;
    this.error = error;
    this.emit('host', this.info());
  }

  /** Tries again now (after a failure), instead of waiting for the backoff. */
  retry(): void {
    if (this.closed || this.status === 'connected') return;
    this.loop.retry();
  }

  private async connectOnce(): Promise<void> {
    if (this.status !== 'connecting') this.emit('host', this.info());
    if (this.client) {
      await this.client.reconnect();
    } else {
      const client = await LibvirtClient.connect(this.uri, { connectTimeoutMs: 10_000, ...this.opts.client });
      if (this.closed) {
        await client.close();
        return;
      }
      client.on('disconnect', (err) => this.onDisconnect(err));
      // Subscribe before listing, so nothing that happens in between is missed; all at once
      // (one round trip to the daemon, not one each: the guests are listed that much sooner).
      const refresh = (b: { dom: DomainRef }): void => void this.model.scheduleRefresh(b.dom.uuid);
      const persistent = { persistent: true };
      await Promise.all([
        client.subscribe('lifecycle', (b) => this.model.onLifecycle(b.dom, b.event, b.detail), persistent),
        client.subscribe('reboot', (b) => this.emit('reboot', { host: this.uri, uuid: b.dom.uuid }), persistent),
        // Changes made by others (virsh setvcpus, change-media, a block job, the agent coming up).
        ...(
          [
            'deviceAdded',
            'deviceRemoved',
            'balloonChange',
            'metadataChange',
            'tunable',
            'trayChange',
            'blockJob',
            'agentLifecycle',
          ] as const
        ).map((name) => client.subscribe(name, refresh, persistent)),
      ]);
      this.client = client;
    }
    await Promise.all([this.loadFacts(), this.model.resync()]);
    this.everConnected = true;
  }

  private onDisconnect(err: Error): void {
    if (this.closed) return;
    this.stats.stop();
    this.setStatus('reconnecting', `connection lost: ${err.message}`);
    void this.loop.run();
  }

  private async loadFacts(): Promise<void> {
    this.facts = await readHostFacts(this.client!);
  }

  /** Re-reads one guest; refreshes of the same guest never overlap, and a burst coalesces. */
  scheduleRefresh(uuid: string): Promise<void> {
    return this.model.scheduleRefresh(uuid);
  }

  /** A guest a move of ours has just handed to this host: see GuestModel.arrived. */
  arrived(dom: DomainRef, as: GuestInfo): void {
    this.model.arrived(dom, as);
  }

  /** The domain handle of a known guest, for callers outside the model (consoles). */
  domain(uuid: string): DomainRef {
    return this.model.record(uuid).dom;
  }

  /**
   * The guest's VNC endpoint from its live XML, read fresh (the port changes on every start).
   * With `secure` the password is included, where the connection may read it.
   */
  async vncEndpoint(uuid: string, secure = true): Promise<VncEndpoint | undefined> {
    const c = this.libvirt();
    const dom = this.domain(uuid);
    let xml: string;
    try {
      xml = await c.getXml(dom, secure ? DomainXmlFlags.SECURE : 0);
    } catch (e) {
      if (secure && e instanceof LibvirtError && e.code === ErrorCode.OPERATION_DENIED) xml = await c.getXml(dom, 0);
      else throw toApiError(e, { host: this.uri, guest: dom.name });
    }
    return parseDomainXml(xml).vnc;
  }

  /**
   * Runs one command on a guest: a readable error on failure, the `busy` marker while a long
   * one runs, and the model re-read afterwards (events will have updated it already, mostly).
   */
  async act<T>(
    uuid: string,
    action: string,
    run: (c: LibvirtClient, dom: DomainRef, info: GuestInfo) => Promise<T>,
    busy?: string,
  ): Promise<T> {
    const rec = this.model.record(uuid);
    const c = this.libvirt();
    if (busy) this.model.setBusy(uuid, busy);
    try {
      return await run(c, rec.dom, rec.info);
    } catch (e) {
      throw toApiError(e, { host: this.uri, guest: rec.info.name, action: `${action} ${rec.info.name}` });
    } finally {
      if (busy) this.model.setBusy(uuid, undefined);
      await this.model.scheduleRefresh(uuid);
    }
  }

  /** Reads something of a guest (no busy marker, no re-read afterwards), with readable errors. */
  async read<T>(
    uuid: string,
    action: string,
    run: (c: LibvirtClient, dom: DomainRef, info: GuestInfo) => Promise<T>,
  ): Promise<T> {
    const rec = this.model.record(uuid);
    const c = this.libvirt();
    try {
      return await run(c, rec.dom, rec.info);
    } catch (e) {
      throw toApiError(e, { host: this.uri, guest: rec.info.name, action: `${action} ${rec.info.name}` });
    }
  }

  /** Calls libvirt for a host-level operation (define, test) with readable errors. */
  async withClient<T>(action: string, run: (c: LibvirtClient) => Promise<T>): Promise<T> {
    const c = this.libvirt();
    try {
      return await run(c);
    } catch (e) {
      throw toApiError(e, { host: this.uri, action });
    }
  }

  /** Stats are taken only while at least one watcher wants them; returns the stop function. */
  watchStats(): () => void {
    return this.stats.watch();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stats.stop();
    this.loop.close();
    await this.client?.close();
  }
}
