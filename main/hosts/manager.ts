/**
 * The user's libvirt hosts: the list (persisted in the config folder), one live Host each, and
 * their events merged into one stream for the app.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseUri, LibvirtClient, type ClientOptions } from '../libvirt/index.js';
import type { GuestInfo, GuestRef, GuestStats, HostFacts, HostInfo } from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import { toApiError } from './api-error.js';
import { Host, type HostOptions } from './host.js';
import type { LifecycleNotice } from './guest-model.js';
import { configDir, loadJson, saveJson } from '../platform/json-file.js';
import { readHostFacts } from './facts.js';
import { compareNames } from '../../common/order.js';

export interface ManagerEvents {
  host: [HostInfo];
  'host-removed': [string];
  guest: [GuestInfo];
  'guest-removed': [GuestRef];
  stats: [GuestStats[]];
  lifecycle: [LifecycleNotice];
  reboot: [GuestRef];
  ready: [string];
  /** Something the user should know that is not an error of a command (a corrupt config file). */
  problem: [string];
}

export interface ManagerOptions {
  /** Where hosts.json lives; default the XDG config folder. */
  configDir?: string;
  /** Hosts to use instead of the saved list (e.g. `--connect` on the command line); not saved. */
  uris?: string[];
  host?: HostOptions;
}

interface HostsFile {
  hosts: { uri: string }[];
}

/** Hosts at most: each is a live connection (and an ssh process), so a runaway list is refused. */
export const MAX_HOSTS = 64;

function validateHostsFile(raw: unknown): HostsFile {
  const r = raw as HostsFile;
  if (!r || !Array.isArray(r.hosts) || !r.hosts.every((h) => h && typeof h.uri === 'string'))
    throw new Error('expected {"hosts": [{"uri": "…"}]}');
  return { hosts: r.hosts.map((h) => ({ uri: h.uri })) };
}

/**
 * The host to use when the user has none: LIBVIRT_DEFAULT_URI, else the system daemon when its
 * socket is there, else the per-user session daemon.
 */
export function defaultUri(env: NodeJS.ProcessEnv = process.env, exists: (p: string) => boolean = existsSync): string {
  if (env.LIBVIRT_DEFAULT_URI) return env.LIBVIRT_DEFAULT_URI;
  if (['/run/libvirt/virtqemud-sock', '/run/libvirt/libvirt-sock'].some(exists)) return 'qemu:///system';
  return 'qemu:///session';
}

export class HostManager extends EventEmitter<ManagerEvents> {
  private readonly hosts = new Map<string, Host>();
  private readonly file: string;
  private readonly persist: boolean;
  /** Set when another virtswitch holds the config folder: why nothing can be saved. */
  private readOnly: string | undefined;

  constructor(private readonly opts: ManagerOptions = {}) {
    super();
    this.file = join(opts.configDir ?? configDir(), 'hosts.json');
    this.persist = !opts.uris;
  }

  /** Loads the list (or the default host) and starts connecting to every host. */
  start(): void {
    let uris = this.opts.uris;
    if (!uris) {
      const loaded = loadJson<HostsFile>(this.file, { hosts: [] }, validateHostsFile);
      if (loaded.problem) this.emit('problem', loaded.problem);
      uris = loaded.value.hosts.map((h) => h.uri);
    }
    if (uris.length === 0) uris = [defaultUri()];
    // One live host per URI: a repeated one would make a second connection nobody could remove.
    const unique = [...new Set(uris)];
    if (unique.length > MAX_HOSTS)
      this.emit('problem', `${unique.length} hosts are configured; only the first ${MAX_HOSTS} are used`);
    for (const uri of unique.slice(0, MAX_HOSTS)) this.open(uri);
  }

  private open(uri: string): Host {
    const host = new Host(uri, this.opts.host);
    this.hosts.set(uri, host);
    host.on('host', (i) => this.emit('host', i));
    host.on('guest', (g) => this.emit('guest', g));
    host.on('guest-removed', (r) => this.emit('guest-removed', r));
    host.on('stats', (s) => this.emit('stats', s));
    host.on('lifecycle', (l) => this.emit('lifecycle', l));
    host.on('reboot', (r) => this.emit('reboot', r));
    host.on('ready', () => this.emit('ready', uri));
    this.emit('host', host.info());
    host.start();
    return host;
  }

  /** From now on the list is not written (another virtswitch owns the folder); changes are refused, saying why. */
  setReadOnly(reason: string): void {
    this.readOnly = reason;
  }

  /** Writes the list as it is to be; the caller changes the live hosts only once this worked. */
  private save(uris: string[]): void {
    if (!this.persist) return;
    if (this.readOnly) throw new ApiError('conflict', this.readOnly);
    try {
      saveJson(this.file, { hosts: uris.map((uri) => ({ uri })) });
    } catch (e) {
      throw new ApiError('internal', `Can't save the host list to ${this.file}: ${(e as Error).message}`);
    }
  }

  /** Hosts in the order added. */
  list(): Host[] {
    return [...this.hosts.values()];
  }

  get(uri: string): Host {
    const h = this.hosts.get(uri);
    if (!h) throw new ApiError('no-such-host', `No host ${uri} is configured`, { host: uri });
    return h;
  }

  /** Every guest of every host: hosts in the order added, guests by name within a host. */
  guests(): GuestInfo[] {
    return this.list().flatMap((h) => h.guestList().sort((a, b) => compareNames(a.name, b.name)));
  }

  add(uri: string): HostInfo {
    try {
      parseUri(uri);
    } catch (e) {
      throw toApiError(e, { host: uri });
    }
    if (this.hosts.has(uri)) throw new ApiError('conflict', `${uri} is already in the list`, { host: uri });
    if (this.hosts.size >= MAX_HOSTS)
      throw new ApiError('conflict', `There are already ${MAX_HOSTS} hosts; remove one first`, { host: uri });
    this.save([...this.hosts.keys(), uri]);
    return this.open(uri).info();
  }

  async remove(uri: string): Promise<void> {
    const h = this.get(uri);
    this.save([...this.hosts.keys()].filter((u) => u !== uri));
    this.hosts.delete(uri);
    const guests = h.guestList();
    await h.close();
    for (const g of guests) this.emit('guest-removed', { host: uri, uuid: g.uuid });
    this.emit('host-removed', uri);
  }

  /** Connects once to a URI and reports its facts, without adding it. */
  static async test(uri: string, client?: ClientOptions): Promise<HostFacts> {
    let c: LibvirtClient | undefined;
    try {
      c = await LibvirtClient.connect(uri, { connectTimeoutMs: 10_000, keepalive: false, ...client });
      return await readHostFacts(c);
    } catch (e) {
      throw toApiError(e, { host: uri, action: `connect to ${uri}` });
    } finally {
      await c?.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((h) => h.close()));
  }
}
