/**
 * The public face of the wire client: open a libvirt URI, authenticate, call procedures, take
 * events, open streams, reconnect. Knows nothing of the app.
 */
import { EventEmitter } from 'node:events';
import { finished } from 'node:stream/promises';
import type { DomainEvent, RpcConnection } from './connection.js';
import type { KeepaliveCounters } from './keepalive.js';
import { ConnectionClosedError } from './errors.js';
import { openConnection, type ClientOptions } from './open.js';
import {
  eventMessages,
  type ArgsOf,
  type EventBody,
  type EventName,
  type ProcedureName,
  type RetOf,
} from './procedures.js';
import type { DomainRef } from './protocol.js';
import type { SshLink } from './ssh.js';
import { streamOpened, type LibvirtStream } from './stream.js';
import { describeUri, parseUri, type ParsedUri } from './uri.js';

/** Each event's virDomainEventID, from the one event table. */
const EVENT_IDS = Object.fromEntries(Object.values(eventMessages).map((e) => [e.name, e.eventId])) as Record<
  EventName,
  number
>;

interface Subscription {
  handler: (body: never) => void;
  persistent: boolean;
}

/**
 * One registration with the daemon per event kind and domain filter, shared by every local
 * subscription to it: libvirt refuses a second identical registration on one connection ("event
 * callback already tracked"), and its own client multiplexes the same way.
 */
interface Registration {
  key: string;
  name: EventName;
  dom: DomainRef | null;
  subs: Set<Subscription>;
  /** The connection the registration is (being) made on, and the daemon's id for it there. */
  conn: RpcConnection | undefined;
  callbackId: number | undefined;
  pending: Promise<void> | undefined;
}

/** What `subscribe` returns: call `remove()` to deregister. */
export interface EventSubscription {
  remove(): Promise<void>;
}

export interface ClientEvents {
  /** The connection dropped; `reconnect()` brings it back. */
  disconnect: [Error];
  /** A new connection is up after `reconnect()`; persistent subscriptions are registered again. */
  reconnect: [];
}

export class LibvirtClient extends EventEmitter<ClientEvents> {
  private conn: RpcConnection;
  private ssh: SshLink | undefined;
  private readonly registrations = new Map<string, Registration>();
  private readonly byCallback = new Map<number, Registration>();
  private closedByUser = false;
  /** Connections this client dropped itself (replaced by reconnect()): their close is not news. */
  private readonly retired = new WeakSet<RpcConnection>();

  private constructor(
    readonly uri: ParsedUri,
    private readonly opts: ClientOptions,
    opened: { conn: RpcConnection; ssh: SshLink | undefined },
  ) {
    super();
    this.conn = opened.conn;
    this.ssh = opened.ssh;
    this.attach(this.conn);
  }

  /** Opens a URI such as `qemu:///system` or `qemu+ssh://root@host/system`. */
  static async connect(uri: string | ParsedUri, opts: ClientOptions = {}): Promise<LibvirtClient> {
    const parsed = typeof uri === 'string' ? parseUri(uri) : uri;
    const opened = await openConnection(parsed, opts);
    return new LibvirtClient(parsed, opts, opened);
  }

  private attach(conn: RpcConnection): void {
    conn.on('event', (ev) => this.route(ev));
    conn.once('close', (err) => {
      // A connection replaced by reconnect() is not news.
      if (this.closedByUser || conn !== this.conn || this.retired.has(conn)) return;
      this.emit('disconnect', err);
    });
  }

  private route(ev: DomainEvent): void {
    const reg = this.byCallback.get(ev.body.callbackId);
    if (!reg || reg.name !== ev.name) return;
    for (const sub of [...reg.subs]) {
      try {
        (sub.handler as (b: unknown) => void)(ev.body);
      } catch (e) {
        // One handler's bug must not keep the event from the others: rethrown on its own tick.
        process.nextTick(() => {
          throw e;
        });
      }
    }
  }

  get connected(): boolean {
    return !this.conn.closed;
  }

  /** Keepalive traffic on the current connection so far (diagnostics). */
  get keepaliveCounters(): Readonly<KeepaliveCounters> {
    return this.conn.keepaliveCounters;
  }

  /** The SSH link of a qemu+ssh:// connection (for console forwards), else undefined. */
  get sshLink(): SshLink | undefined {
    return this.ssh;
  }

  /** Calls any procedure of the table, typed by its name. */
  call<K extends ProcedureName>(name: K, args: ArgsOf<K>): Promise<RetOf<K>> {
    return this.conn.call(name, args);
  }

  /** Calls a stream procedure; the reply and the stream both come back. */
  callStream<K extends ProcedureName>(
    name: K,
    args: ArgsOf<K>,
    opts: { holdConnection?: boolean } = {},
  ): { reply: Promise<RetOf<K>>; stream: LibvirtStream } {
    return this.conn.callStream(name, args, opts);
  }

  /**
   * Takes one kind of domain event, for one domain or all. Any number of subscriptions may take
   * the same kind; the daemon is asked once. With `persistent`, the subscription is registered
   * again on the new connection after `reconnect()`.
   */
  async subscribe<N extends EventName>(
    name: N,
    handler: (body: EventBody<N>) => void,
    opts: { dom?: DomainRef; persistent?: boolean } = {},
  ): Promise<EventSubscription> {
    const dom = opts.dom ?? null;
    const key = `${name}/${dom ? dom.uuid : '*'}`;
    let reg = this.registrations.get(key);
    if (!reg) {
      reg = { key, name, dom, subs: new Set(), conn: undefined, callbackId: undefined, pending: undefined };
      this.registrations.set(key, reg);
    }
    const sub: Subscription = { handler: handler as (b: never) => void, persistent: opts.persistent ?? false };
    reg.subs.add(sub);
    try {
      await this.ensureRegistered(reg);
    } catch (e) {
      await this.unsubscribe(reg, sub);
      throw e;
    }
    const r = reg;
    return { remove: () => this.unsubscribe(r, sub) };
  }

  private ensureRegistered(reg: Registration): Promise<void> {
    const conn = this.conn;
    if (reg.conn === conn && reg.callbackId !== undefined) return Promise.resolve();
    if (reg.conn === conn && reg.pending) return reg.pending;
    reg.conn = conn;
    reg.callbackId = undefined;
    const p = conn
      .call('connectDomainEventCallbackRegisterAny', { eventId: EVENT_IDS[reg.name], dom: reg.dom })
      .then(({ callbackId }) => {
        if (this.registrations.get(reg.key) !== reg) {
          // Every subscription went away while the daemon registered it: undo it there.
          if (!conn.closed) conn.call('connectDomainEventCallbackDeregisterAny', { callbackId }).catch(() => undefined);
          return;
        }
        if (reg.conn !== conn) return; // superseded by a reconnect
        reg.callbackId = callbackId;
        this.byCallback.set(callbackId, reg);
      })
      .finally(() => {
        if (reg.pending === p) reg.pending = undefined;
      });
    reg.pending = p;
    return p;
  }

  private async unsubscribe(reg: Registration, sub: Subscription): Promise<void> {
    if (!reg.subs.delete(sub) || reg.subs.size > 0) return;
    if (this.registrations.get(reg.key) === reg) this.registrations.delete(reg.key);
    const id = reg.callbackId;
    const conn = reg.conn;
    reg.callbackId = undefined;
    if (id === undefined) return; // never registered, or still registering (which then undoes itself)
    this.byCallback.delete(id);
    if (conn && !conn.closed) await conn.call('connectDomainEventCallbackDeregisterAny', { callbackId: id });
  }

  /**
   * Replaces a dropped connection with a new one to the same URI. Persistent subscriptions are
   * registered again; the others are dropped, since the daemon forgot them with the old connection.
   */
  async reconnect(): Promise<void> {
    if (this.closedByUser) throw new ConnectionClosedError(`${describeUri(this.uri)}: the client was closed`);
    this.retired.add(this.conn);
    this.conn.destroy('replaced by a new connection');
    this.ssh?.close();
    const opened = await openConnection(this.uri, this.opts);
    this.conn = opened.conn;
    this.ssh = opened.ssh;
    this.attach(this.conn);
    this.byCallback.clear();
    for (const reg of [...this.registrations.values()]) {
      for (const sub of [...reg.subs]) if (!sub.persistent) reg.subs.delete(sub);
      reg.conn = undefined;
      reg.callbackId = undefined;
      reg.pending = undefined;
      if (reg.subs.size === 0) this.registrations.delete(reg.key);
    }
    await Promise.all([...this.registrations.values()].map((reg) => this.ensureRegistered(reg)));
    this.emit('reconnect');
  }

  /** Closes politely (CONNECT_CLOSE), then drops the transport. */
  async close(): Promise<void> {
    if (this.closedByUser) return;
    this.closedByUser = true;
    if (this.connected) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.conn.call('connectClose', undefined).catch(() => undefined),
        new Promise((r) => {
          timer = setTimeout(r, 1000);
        }),
      ]);
      clearTimeout(timer);
    }
    this.conn.destroy('closed by the client');
    this.ssh?.close();
  }

  // Conveniences over the table for what every caller needs.

  listAllDomains(flags = 0): Promise<DomainRef[]> {
    return this.call('connectListAllDomains', { needResults: true, flags }).then((r) => r.domains);
  }

  lookupByUuid(uuid: string): Promise<DomainRef> {
    return this.call('domainLookupByUuid', { uuid }).then((r) => r.dom);
  }

  lookupByName(name: string): Promise<DomainRef> {
    return this.call('domainLookupByName', { name }).then((r) => r.dom);
  }

  getState(dom: DomainRef): Promise<{ state: number; reason: number }> {
    return this.call('domainGetState', { dom, flags: 0 });
  }

  getXml(dom: DomainRef, flags = 0): Promise<string> {
    return this.call('domainGetXmlDesc', { dom, flags }).then((r) => r.xml);
  }

  /** A screenshot of the guest's screen: the image bytes and their MIME type (PNG on QEMU ≥ 7.1). */
  async screenshot(dom: DomainRef, screen = 0): Promise<{ mime: string; data: Buffer }> {
    const { reply, stream } = this.callStream('domainScreenshot', { dom, screen, flags: 0 });
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    // Settles on the finish handshake, an error or a premature close, whichever comes first; it
    // is awaited even when the reply fails, so that its rejection is never left unhandled.
    const done = finished(stream);
    const [r, d] = await Promise.allSettled([reply, done]);
    if (r.status === 'rejected') throw r.reason;
    if (d.status === 'rejected') throw d.reason;
    return { mime: r.value.mime ?? 'application/octet-stream', data: Buffer.concat(chunks) };
  }

  /** The guest's console (its first serial port, or `devName` such as "serial0") as a byte stream. */
  async openConsole(dom: DomainRef, opts: { devName?: string; force?: boolean } = {}): Promise<LibvirtStream> {
    const { reply, stream } = this.callStream('domainOpenConsole', {
      dom,
      devName: opts.devName ?? null,
      flags: opts.force ? 1 : 0,
    });
    await streamOpened(reply, stream);
    return stream;
  }
}
