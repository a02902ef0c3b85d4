/**
 * A host's guests as the app sees them, kept current by libvirt's events — never by polling
 * state: the whole set re-read after every (re)connect, one guest re-read after each event about
 * it, and a lifecycle event's word taken at once while that re-read runs.
 */
import type { EventEmitter } from 'node:events';
import {
  ErrorCode,
  LibvirtError,
  LifecycleDetail,
  LifecycleEvent,
  ListDomainsFlags,
  StatsTypes,
  domainStateName,
  paramsToRecord,
  type DomainRef,
  type LibvirtClient,
} from '../libvirt/index.js';
import type { GuestInfo, GuestRef } from '../../common/contract.js';
import { noSuchGuest } from './api-error.js';
import { parseDomainXml, type DomainXmlFacts } from './domain-xml.js';
import { impliedState, reasonName } from './reasons.js';

export interface LifecycleNotice extends GuestRef {
  event: number;
  detail: number;
}

/** What the model tells: guests that appear or change, go away, and raw lifecycle events. */
export interface GuestModelEvents {
  guest: [GuestInfo];
  'guest-removed': [GuestRef];
  /** Raw lifecycle events, after the model took them (consoles follow these). */
  lifecycle: [LifecycleNotice];
}

export interface GuestRecord {
  dom: DomainRef;
  info: GuestInfo;
  xml: DomainXmlFacts | undefined;
}

/** What is read of a guest besides its XML. */
interface GuestFacts {
  state: number;
  reason: number;
  autostart: boolean;
  persistent: boolean;
  managedSave: boolean;
  snapshots: { count: number; current: string | undefined };
}

const isGone = (e: unknown): boolean => e instanceof LibvirtError && e.code === ErrorCode.NO_DOMAIN;

export class GuestModel {
  private readonly guests = new Map<string, GuestRecord>();
  private readonly refreshing = new Map<string, { again: boolean; done: Promise<void> }>();

  constructor(
    private readonly uri: string,
    private readonly client: () => LibvirtClient | undefined,
    private readonly events: Pick<EventEmitter<GuestModelEvents>, 'emit'>,
    private readonly closed: () => boolean,
  ) {}

  list(): GuestInfo[] {
    return [...this.guests.values()].map((g) => g.info);
  }

  get(uuid: string): GuestInfo | undefined {
    return this.guests.get(uuid)?.info;
  }

  /** The guest's record for a command; a clear error when it is unknown here. */
  record(uuid: string): GuestRecord {
    const rec = this.guests.get(uuid);
    if (!rec) throw noSuchGuest(this.uri, uuid);
    return rec;
  }

  /**
   * A guest one of our moves has just handed to this host, known at once as its source knew it and
   * in the state the move leaves it in, so the consoles follow it without waiting for this host's
   * events and a re-read over a slow link; the re-read comes after and corrects what differs.
   */
  arrived(dom: DomainRef, as: GuestInfo): void {
    const rec = this.guests.get(dom.uuid);
    const info: GuestInfo = {
      ...(rec?.info ?? as),
      host: this.uri,
      uuid: dom.uuid,
      name: dom.name,
      // A live move ends with the guest as it was: running, or still paused if it was paused.
      state: as.state === 'paused' ? 'paused' : 'running',
      reason: 'migrated',
    };
    this.guests.set(dom.uuid, { dom, info, xml: rec?.xml });
    this.events.emit('guest', info);
    void this.scheduleRefresh(dom.uuid);
  }

  /** Re-reads every guest: the whole model after a (re)connect. */
  async resync(): Promise<void> {
    const c = this.client()!;
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
          if (!isGone(e)) throw e;
          seen.delete(dom.uuid);
        }
      }),
    );
    for (const uuid of [...this.guests.keys()]) {
      if (!seen.has(uuid)) this.remove(uuid);
    }
  }

  private async snapshotSummary(dom: DomainRef): Promise<{ count: number; current: string | undefined }> {
    const c = this.client()!;
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

  private store(dom: DomainRef, xml: DomainXmlFacts, s: GuestFacts): void {
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
      hardware: xml.hardware,
    };
    this.guests.set(dom.uuid, { dom, info, xml });
    if (!prev || JSON.stringify(prev.info) !== JSON.stringify(info)) this.events.emit('guest', info);
  }

  private remove(uuid: string): void {
    if (!this.guests.delete(uuid)) return;
    this.events.emit('guest-removed', { host: this.uri, uuid });
  }

  onLifecycle(dom: DomainRef, event: number, detail: number): void {
    const rec = this.guests.get(dom.uuid);
    const implied = impliedState(event, detail);
    if (rec && implied) {
      // Take the event's word at once (that is what the user sees), then re-read the details.
      const info: GuestInfo = { ...rec.info, state: domainStateName(implied.state), reason: implied.reason };
      if (event === LifecycleEvent.STARTED && detail === LifecycleDetail.STARTED_RESTORED) info.managedSave = false;
      if (event === LifecycleEvent.STOPPED && detail === LifecycleDetail.STOPPED_SAVED) info.managedSave = true;
      rec.info = info;
      rec.dom = dom;
      this.events.emit('guest', info);
    }
    if (event === LifecycleEvent.UNDEFINED && rec && rec.info.state === 'shutoff') this.remove(dom.uuid);
    else void this.scheduleRefresh(dom.uuid);
    this.events.emit('lifecycle', { host: this.uri, uuid: dom.uuid, event, detail });
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
          await this.refresh(uuid).catch((e: unknown) => this.refreshFailed(uuid, e));
        } while (entry.again && !this.closed());
      } finally {
        this.refreshing.delete(uuid);
      }
    })();
    this.refreshing.set(uuid, entry);
    return entry.done;
  }

  private async refresh(uuid: string): Promise<void> {
    const c = this.client();
    if (!c || !c.connected) return;
    let dom: DomainRef;
    try {
      dom = await c.lookupByUuid(uuid);
    } catch (e) {
      if (isGone(e)) this.remove(uuid);
      else this.refreshFailed(uuid, e);
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
      if (isGone(e)) this.remove(uuid);
      else this.refreshFailed(uuid, e);
    }
  }

  /** A re-read that failed is told on the guest (its data is kept, marked as possibly stale), never dropped. */
  private refreshFailed(uuid: string, e: unknown): void {
    const rec = this.guests.get(uuid);
    if (!rec || this.closed()) return;
    const why = e instanceof Error ? e.message : String(e);
    const refreshError = `Couldn't re-read this guest (${why}); what is shown may be out of date`;
    if (rec.info.refreshError === refreshError) return;
    rec.info = { ...rec.info, refreshError };
    this.events.emit('guest', rec.info);
  }

  /** Marks a guest busy with a long operation (or no longer, with undefined). */
  setBusy(uuid: string, busy: string | undefined): void {
    const rec = this.guests.get(uuid);
    if (!rec) return;
    const info = { ...rec.info };
    if (busy) info.busy = busy;
    else delete info.busy;
    rec.info = info;
    this.events.emit('guest', info);
  }
}
