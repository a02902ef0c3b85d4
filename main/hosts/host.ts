/**
 * One libvirt host: its connection (connecting, connected, reconnecting with backoff, failed with
 * the reason), its hypervisor facts, and a live model of its guests kept current by libvirt's
 * events — never by polling state — and fully resynced after every reconnect.
 */
import { EventEmitter } from 'node:events';
import {
  AuthError,
  DomainXmlFlags,
  LibvirtClient,
  LibvirtError,
  ErrorCode,
  LifecycleEvent,
  ListDomainsFlags,
  StatsTypes,
  UriError,
  domainStateName,
  paramsToRecord,
  type ClientOptions,
  type DomainRef,
} from '../libvirt/index.js';
import type { GuestInfo, GuestRef, GuestStats, HostFacts, HostInfo, HostStatus } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { toApiError } from './api-error.js';
import { readHostFacts } from './facts.js';
import { parseDomainXml, type DomainXmlFacts, type VncEndpoint } from './domain-xml.js';
import { reasonName } from './reasons.js';

export interface HostOptions {
  /** Passed to the libvirt client (timeouts, keepalive, transport overrides). */
  client?: ClientOptions;
  /** First and longest wait between reconnection attempts. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** How often stats are taken while someone watches. */
  statsIntervalMs?: number;
}

export interface LifecycleNotice extends GuestRef {
  event: number;
  detail: number;
}

export interface HostEvents {
  host: [HostInfo];
  guest: [GuestInfo];
  'guest-removed': [GuestRef];
  stats: [GuestStats[]];
  /** Raw lifecycle events, after the model took them (consoles follow these). */
  lifecycle: [LifecycleNotice];
  reboot: [GuestRef];
  /** The connection to the host is (back) up and the model is in sync. */
  ready: [];
}

interface GuestRecord {
  dom: DomainRef;
  info: GuestInfo;
  xml: DomainXmlFacts | undefined;
}

/** What a lifecycle event says the state now is, before the details are re-read. */
const EVENT_STATE: Partial<Record<number, { state: number; reasons: readonly string[] }>> = {
  [LifecycleEvent.STARTED]: { state: 1, reasons: ['booted', 'migrated', 'restored', 'from snapshot', 'woken up'] },
  [LifecycleEvent.SUSPENDED]: {
    state: 3,
    reasons: [
      'paused by user',
      'migrating',
      'I/O error',
      'watchdog',
      'restored',
      'from snapshot',
      'API error',
      'post-copy',
      'post-copy failed',
    ],
  },
  [LifecycleEvent.RESUMED]: { state: 1, reasons: ['unpaused', 'migrated', 'from snapshot', 'post-copy'] },
  [LifecycleEvent.STOPPED]: {
    state: 5,
    reasons: ['shut down', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from snapshot'],
  },
  [LifecycleEvent.PMSUSPENDED]: { state: 7, reasons: ['memory', 'disk'] },
  [LifecycleEvent.CRASHED]: { state: 6, reasons: ['panicked', 'crashloaded'] },
};

const STATS_WANTED =
  StatsTypes.STATE |
  StatsTypes.CPU_TOTAL |
  StatsTypes.BALLOON |
  StatsTypes.VCPU |
  StatsTypes.INTERFACE |
  StatsTypes.BLOCK;

export class Host extends EventEmitter<HostEvents> {
  private client: LibvirtClient | undefined;
  private status: HostStatus = 'connecting';
  private error: string | undefined;
  private retryAt: number | undefined;
  private facts: HostFacts | undefined;
  private readonly guests = new Map<string, GuestRecord>();
  private readonly refreshing = new Map<string, { again: boolean; done: Promise<void> }>();
  private closed = false;
  private everConnected = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private statsWatchers = 0;
  private statsTimer: NodeJS.Timeout | undefined;
  private lastStats = new Map<string, { at: number; cpu: bigint; rd: number; wr: number; rx: number; tx: number }>();
  private loopActive = false;

  constructor(
    /** The connection URI exactly as the user gave it; the host's id. */
    readonly uri: string,
    private readonly opts: HostOptions = {},
  ) {
    super();
  }

  /** Starts connecting in the background; the `host` event reports progress. */
  start(): void {
    void this.connectLoop();
  }

  info(): HostInfo {
    return {
      uri: this.uri,
      status: this.status,
      ...(this.error ? { error: this.error } : {}),
      ...(this.retryAt !== undefined && this.status !== 'connected'
        ? { retryInMs: Math.max(0, this.retryAt - Date.now()) }
        : {}),
      ...(this.facts ? { facts: this.facts } : {}),
    };
  }

  guestList(): GuestInfo[] {
    return [...this.guests.values()].map((g) => g.info);
  }

  guest(uuid: string): GuestInfo | undefined {
    return this.guests.get(uuid)?.info;
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

  private async connectLoop(): Promise<void> {
    if (this.loopActive || this.closed) return;
    this.loopActive = true;
    try {
      await this.connectUntilReady();
    } finally {
      this.loopActive = false;
    }
  }

  private async connectUntilReady(): Promise<void> {
    let delay = this.opts.backoffInitialMs ?? 1000;
    const maxDelay = this.opts.backoffMaxMs ?? 30_000;
    while (!this.closed) {
      try {
        await this.connectOnce();
        delay = this.opts.backoffInitialMs ?? 1000;
        this.retryAt = undefined;
        this.setStatus('connected');
        this.startStatsTimer();
        this.emit('ready');
        return;
      } catch (e) {
        if (this.closed) return;
        const err = toApiError(e, { host: this.uri });
        const permanent = e instanceof UriError || e instanceof AuthError;
        this.retryAt = permanent ? undefined : Date.now() + delay;
        this.setStatus(this.everConnected && !permanent ? 'reconnecting' : 'failed', err.message);
        if (permanent) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.retryTimer = setTimeout(resolve, delay);
        });
        this.wake = undefined;
        delay = Math.min(maxDelay, delay * 2);
      }
    }
  }

  /** Tries again now (after a failure), instead of waiting for the backoff. */
  retry(): void {
    if (this.closed || this.status === 'connected') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.wake) this.wake();
    else void this.connectLoop();
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
      // Subscribe before listing, so nothing that happens in between is missed.
      await client.subscribe('lifecycle', (b) => this.onLifecycle(b.dom, b.event, b.detail), { persistent: true });
      await client.subscribe('reboot', (b) => this.onReboot(b.dom), { persistent: true });
      await client.subscribe('deviceAdded', (b) => this.scheduleRefresh(b.dom.uuid), { persistent: true });
      await client.subscribe('deviceRemoved', (b) => this.scheduleRefresh(b.dom.uuid), { persistent: true });
      await client.subscribe('balloonChange', (b) => this.scheduleRefresh(b.dom.uuid), { persistent: true });
      await client.subscribe('metadataChange', (b) => this.scheduleRefresh(b.dom.uuid), { persistent: true });
      this.client = client;
    }
    await Promise.all([this.loadFacts(), this.resync()]);
    this.everConnected = true;
  }

  private onDisconnect(err: Error): void {
    if (this.closed) return;
    this.stopStatsTimer();
    this.setStatus('reconnecting', `connection lost: ${err.message}`);
    void this.connectLoop();
  }

  private async loadFacts(): Promise<void> {
    this.facts = await readHostFacts(this.client!);
  }

  /** Re-reads every guest: the whole model after a (re)connect. */
  private async resync(): Promise<void> {
    const c = this.client!;
    const uuids = (flags: number): Promise<Set<string>> =>
      c.listAllDomains(flags).then((ds) => new Set(ds.map((d) => d.uuid)));
    const [doms, persistent, autostart, managedSave, withSnapshots, stats] = await Promise.all([
      c.listAllDomains(),
      uuids(ListDomainsFlags.PERSISTENT),
      uuids(ListDomainsFlags.AUTOSTART),
      uuids(ListDomainsFlags.MANAGEDSAVE),
      uuids(ListDomainsFlags.HAS_SNAPSHOT),
      c.call('connectGetAllDomainStats', { doms: [], stats: StatsTypes.STATE, flags: 0 }),
    ]);
    const states = new Map(stats.records.map((r) => [r.dom.uuid, paramsToRecord(r.params)]));
    const seen = new Set<string>();
    await Promise.all(
      doms.map(async (dom) => {
        seen.add(dom.uuid);
        const st = states.get(dom.uuid);
        const state = typeof st?.['state.state'] === 'number' ? st['state.state'] : undefined;
        const reason = typeof st?.['state.reason'] === 'number' ? st['state.reason'] : 0;
        try {
          const [xmlText, snaps] = await Promise.all([
            c.getXml(dom),
            withSnapshots.has(dom.uuid) ? this.snapshotSummary(dom) : Promise.resolve({ count: 0, current: undefined }),
          ]);
          const s = state ?? (await c.getState(dom)).state;
          this.store(dom, parseDomainXml(xmlText), {
            state: s,
            reason,
            autostart: autostart.has(dom.uuid),
            persistent: persistent.has(dom.uuid),
            managedSave: managedSave.has(dom.uuid),
            snapshots: snaps,
          });
        } catch (e) {
          // It vanished between the list and the read: the next event (or none) settles it.
          if (!(e instanceof LibvirtError && e.code === ErrorCode.NO_DOMAIN)) throw e;
          seen.delete(dom.uuid);
        }
      }),
    );
    for (const uuid of [...this.guests.keys()]) {
      if (!seen.has(uuid)) this.remove(uuid);
    }
  }

  private async snapshotSummary(dom: DomainRef): Promise<{ count: number; current: string | undefined }> {
    const c = this.client!;
    const [list, current] = await Promise.all([
      c.call('domainListAllSnapshots', { dom, needResults: false, flags: 0 }),
      c
        .call('domainHasCurrentSnapshot', { dom, flags: 0 })
        .then((r) =>
          r.result ? c.call('domainSnapshotCurrent', { dom, flags: 0 }).then((s) => s.snap.name) : undefined,
        ),
    ]);
    return { count: Math.max(0, list.ret), current };
  }

  private store(
    dom: DomainRef,
    xml: DomainXmlFacts,
    s: {
      state: number;
      reason: number;
      autostart: boolean;
      persistent: boolean;
      managedSave: boolean;
      snapshots: { count: number; current: string | undefined };
    },
  ): void {
    const prev = this.guests.get(dom.uuid);
    const info: GuestInfo = {
      host: this.uri,
      uuid: dom.uuid,
      name: dom.name,
      state: domainStateName(s.state),
      reason: reasonName(s.state, s.reason),
      vcpus: xml.vcpus,
      maxVcpus: xml.maxVcpus,
      memoryKiB: xml.memoryKiB,
      maxMemoryKiB: xml.maxMemoryKiB,
      autostart: s.autostart,
      persistent: s.persistent,
      managedSave: s.managedSave,
      hasVnc: xml.hasVnc,
      hasSpice: xml.hasSpice,
      hasSerial: xml.hasSerial,
      ...(xml.os ? { os: xml.os } : {}),
      snapshotCount: s.snapshots.count,
      ...(s.snapshots.current ? { currentSnapshot: s.snapshots.current } : {}),
      ...(prev?.info.busy ? { busy: prev.info.busy } : {}),
    };
    this.guests.set(dom.uuid, { dom, info, xml });
    if (!prev || JSON.stringify(prev.info) !== JSON.stringify(info)) this.emit('guest', info);
  }

  private remove(uuid: string): void {
    if (!this.guests.delete(uuid)) return;
    this.lastStats.delete(uuid);
    this.emit('guest-removed', { host: this.uri, uuid });
  }

  private onLifecycle(dom: DomainRef, event: number, detail: number): void {
    const rec = this.guests.get(dom.uuid);
    const implied = EVENT_STATE[event];
    if (rec && implied) {
      // Take the event's word at once (that is what the user sees), then re-read the details.
      const info: GuestInfo = {
        ...rec.info,
        state: domainStateName(implied.state),
        reason: implied.reasons[detail] ?? 'unknown',
      };
      if (event === LifecycleEvent.STARTED && detail === 2) info.managedSave = false;
      if (event === LifecycleEvent.STOPPED && detail === 4) info.managedSave = true;
      rec.info = info;
      rec.dom = dom;
      this.emit('guest', info);
    }
    if (event === LifecycleEvent.UNDEFINED && rec && rec.info.state === 'shutoff') this.remove(dom.uuid);
    else this.scheduleRefresh(dom.uuid);
    this.emit('lifecycle', { host: this.uri, uuid: dom.uuid, event, detail });
  }

  private onReboot(dom: DomainRef): void {
    this.emit('reboot', { host: this.uri, uuid: dom.uuid });
  }

  /** Re-reads one guest; refreshes of the same guest never overlap, and a burst coalesces. */
  scheduleRefresh(uuid: string): Promise<void> {
    const running = this.refreshing.get(uuid);
    if (running) {
      running.again = true;
      return running.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          await this.refresh(uuid).catch(() => undefined);
        } while (entry.again && !this.closed);
      } finally {
        this.refreshing.delete(uuid);
      }
    })();
    this.refreshing.set(uuid, entry);
    return entry.done;
  }

  private async refresh(uuid: string): Promise<void> {
    const c = this.client;
    if (!c || !c.connected) return;
    let dom: DomainRef;
    try {
      dom = await c.lookupByUuid(uuid);
    } catch (e) {
      if (e instanceof LibvirtError && e.code === ErrorCode.NO_DOMAIN) this.remove(uuid);
      return;
    }
    try {
      const [st, xmlText, autostart, persistent, managedSave, hasSnap] = await Promise.all([
        c.getState(dom),
        c.getXml(dom),
        c.call('domainGetAutostart', { dom }).then((r) => r.autostart),
        c.call('domainIsPersistent', { dom }).then((r) => r.persistent),
        c.call('domainHasManagedSaveImage', { dom, flags: 0 }).then((r) => r.result),
        c.call('domainListAllSnapshots', { dom, needResults: false, flags: 0 }).then((r) => r.ret > 0),
      ]);
      const snapshots = hasSnap ? await this.snapshotSummary(dom) : { count: 0, current: undefined };
      this.store(dom, parseDomainXml(xmlText), {
        state: st.state,
        reason: st.reason,
        autostart,
        persistent,
        managedSave,
        snapshots,
      });
    } catch (e) {
      if (e instanceof LibvirtError && e.code === ErrorCode.NO_DOMAIN) this.remove(uuid);
    }
  }

  /** The guest's record for a command; a clear error when it is unknown here. */
  private record(uuid: string): GuestRecord {
    const rec = this.guests.get(uuid);
    if (!rec)
      throw new ApiError('no-such-guest', `No guest with UUID ${uuid} on ${this.uri}`, { host: this.uri, guest: uuid });
    return rec;
  }

  /** The domain handle of a known guest, for callers outside the model (consoles). */
  domain(uuid: string): DomainRef {
    return this.record(uuid).dom;
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
    const rec = this.record(uuid);
    const c = this.libvirt();
    if (busy) this.setBusy(uuid, busy);
    try {
      return await run(c, rec.dom, rec.info);
    } catch (e) {
      throw toApiError(e, { host: this.uri, guest: rec.info.name, action: `${action} ${rec.info.name}` });
    } finally {
      if (busy) this.setBusy(uuid, undefined);
      await this.scheduleRefresh(uuid);
    }
  }

  private setBusy(uuid: string, busy: string | undefined): void {
    const rec = this.guests.get(uuid);
    if (!rec) return;
    const info = { ...rec.info };
    if (busy) info.busy = busy;
    else delete info.busy;
    rec.info = info;
    this.emit('guest', info);
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
    this.statsWatchers++;
    if (this.statsWatchers === 1) this.startStatsTimer();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.statsWatchers--;
      if (this.statsWatchers === 0) this.stopStatsTimer();
    };
  }

  private startStatsTimer(): void {
    if (this.statsTimer || this.statsWatchers === 0) return;
    const tick = (): void => {
      void this.sampleStats().catch(() => undefined);
    };
    tick();
    this.statsTimer = setInterval(tick, this.opts.statsIntervalMs ?? 2000);
    this.statsTimer.unref();
  }

  private stopStatsTimer(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = undefined;
  }

  private async sampleStats(): Promise<void> {
    const c = this.client;
    if (!c?.connected) return;
    const r = await c.call('connectGetAllDomainStats', {
      doms: [],
      stats: STATS_WANTED,
      flags: ListDomainsFlags.ACTIVE,
    });
    const now = Date.now();
    const out: GuestStats[] = [];
    const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0);
    for (const rec of r.records) {
      const p = paramsToRecord(rec.params);
      const cpu = typeof p['cpu.time'] === 'bigint' ? p['cpu.time'] : 0n;
      const vcpus = Math.max(1, num(p['vcpu.current']) || this.guests.get(rec.dom.uuid)?.info.vcpus || 1);
      let rd = 0;
      let wr = 0;
      let rx = 0;
      let tx = 0;
      for (const [k, v] of Object.entries(p)) {
        if (/^block\.\d+\.rd\.bytes$/.test(k)) rd += num(v);
        else if (/^block\.\d+\.wr\.bytes$/.test(k)) wr += num(v);
        else if (/^net\.\d+\.rx\.bytes$/.test(k)) rx += num(v);
        else if (/^net\.\d+\.tx\.bytes$/.test(k)) tx += num(v);
      }
      const prev = this.lastStats.get(rec.dom.uuid);
      this.lastStats.set(rec.dom.uuid, { at: now, cpu, rd, wr, rx, tx });
      if (!prev) continue;
      const dt = Math.max(1, now - prev.at);
      const rate = (a: number, b: number): number => Math.max(0, ((a - b) * 1000) / dt);
      const memoryKiB = num(p['balloon.current']) || this.guests.get(rec.dom.uuid)?.info.memoryKiB || 0;
      const available = num(p['balloon.available']);
      const unused = num(p['balloon.unused']);
      const used = available && unused ? available - unused : num(p['balloon.rss']) || memoryKiB;
      out.push({
        host: this.uri,
        uuid: rec.dom.uuid,
        at: now,
        cpuPercent: Math.min(100, Math.max(0, (Number(cpu - prev.cpu) / (dt * 1e6 * vcpus)) * 100)),
        memoryUsedKiB: Math.min(used, memoryKiB || used),
        memoryKiB,
        diskReadBps: rate(rd, prev.rd),
        diskWriteBps: rate(wr, prev.wr),
        netRxBps: rate(rx, prev.rx),
        netTxBps: rate(tx, prev.tx),
      });
    }
    if (out.length) this.emit('stats', out);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopStatsTimer();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wake?.();
    await this.client?.close();
  }
}
