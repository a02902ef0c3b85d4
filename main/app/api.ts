/**
 * The app's API surface: one contract of commands and events (common/contract.ts), every input
 * checked against its schema, every failure an ApiError a person can read. The shells (Electron,
 * serve) add nothing but transport: each connected window or page gets a session.
 */
import { EventEmitter } from 'node:events';
import type {
  AppEvent,
  AppState,
  CommandName,
  CommandParams,
  CommandResult,
  ConsoleKind,
  GuestRef,
  VolumeRef,
} from '../../common/contract.js';
import { ApiError } from '../../common/api-error.js';
import * as guest from '../hosts/guest-commands.js';
import { agentInfo } from '../hosts/guest-agent.js';
import * as hw from '../hosts/hardware.js';
import * as net from '../hosts/networks.js';
import { readHostDetails } from '../hosts/host-details.js';
import { defineGuestXml, guestXml } from '../hosts/guest-xml.js';
import * as display from '../hosts/display-commands.js';
import { cancelMigration, migrateGuest } from '../hosts/migration.js';
import { HostManager, type ManagerOptions } from '../hosts/manager.js';
import { ConsoleManager, type OpenOptions } from '../consoles/manager.js';
import type { Duplex, Writable } from 'node:stream';
import { consoleRequest, describeIssues, schemas } from './schemas.js';
import { volumeRef } from './storage-schemas.js';
import { SettingsStore } from './settings.js';
import { takeConfigLock, type ConfigLock } from '../platform/config-lock.js';
import { configDir } from '../platform/json-file.js';
import { Uploads } from './uploads.js';
import { Downloads, type DownloadStart } from './downloads.js';
import { downloadToFile, uploadFromFile } from './local-files.js';
import { deleteWithStorage, storageHandlers } from './storage-handlers.js';
import { hardwareHandlers } from './hardware-handlers.js';

export type AppOptions = ManagerOptions;

type Handlers = { [K in CommandName]: (p: CommandParams<K>, s: AppSession) => Promise<CommandResult<K>> };

export interface AppEvents {
  event: [AppEvent];
  /** Something to tell the user that no command asked for (a corrupt config file was set aside). */
  problem: [string];
}

export class App extends EventEmitter<AppEvents> {
  readonly hosts: HostManager;
  readonly settings: SettingsStore;
  readonly consoles: ConsoleManager;
  readonly uploads = new Uploads((job) => this.emit('event', { type: 'job', job }));
  readonly downloads = new Downloads((job) => this.emit('event', { type: 'job', job }));
  private readonly handlers: Handlers;
  private started = false;
  private lock: ConfigLock | undefined;

  constructor(readonly opts: AppOptions = {}) {
    super();
    this.hosts = new HostManager(opts);
    this.settings = new SettingsStore(opts.configDir);
    this.hosts.on('host', (host) => this.emit('event', { type: 'host', host }));
    this.hosts.on('host-removed', (uri) => this.emit('event', { type: 'host-removed', uri }));
    this.hosts.on('guest', (g) => this.emit('event', { type: 'guest', guest: g }));
    this.hosts.on('guest-removed', (r) => this.emit('event', { type: 'guest-removed', host: r.host, uuid: r.uuid }));
    this.hosts.on('stats', (stats) => this.emit('event', { type: 'stats', stats }));
    this.hosts.on('problem', (p) => this.emit('problem', p));
    this.settings.on('change', (settings) => this.emit('event', { type: 'settings', settings }));
    this.settings.on('problem', (p) => this.emit('problem', p));
    this.consoles = new ConsoleManager(this.hosts, (c) => this.emit('event', { type: 'console', console: c }));
    this.handlers = this.makeHandlers();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.takeLock();
    this.settings.load();
    this.hosts.start();
  }

  /**
   * Another live virtswitch holding the config folder makes this one read-only for hosts and
   * settings (it still shows and drives the guests): two writers would overwrite each other's files.
   */
  private takeLock(): void {
    this.lock = takeConfigLock(this.opts.configDir ?? configDir());
    if (this.lock.held) return;
    this.hosts.setReadOnly(this.lock.message);
    this.settings.setReadOnly(this.lock.message);
    this.emit('problem', this.lock.message);
  }

  state(): AppState {
    return {
      hosts: this.hosts.list().map((h) => h.info()),
      guests: this.hosts.guests(),
      consoles: this.consoles.states(),
      settings: this.settings.get(),
      ...(this.lock && !this.lock.held ? { configReadOnly: this.lock.message } : {}),
    };
  }

  /** One connected client (a window or a browser page). */
  session(): AppSession {
    return new AppSession(this);
  }

  /** @internal */
  run<K extends CommandName>(name: K, params: CommandParams<K>, s: AppSession): Promise<CommandResult<K>> {
    return this.handlers[name](params, s);
  }

  private makeHandlers(): Handlers {
    const H = (p: { host: string }) => this.hosts.get(p.host);
    const done = async (p: Promise<void>): Promise<null> => {
      await p;
      return null;
    };
    return {
      'state.get': async () => this.state(),
      'hosts.add': async (p) => this.hosts.add(p.uri),
      'hosts.remove': (p) => done(this.hosts.remove(p.host)),
      'hosts.test': (p) => HostManager.test(p.uri, this.opts.host?.client),
      'hosts.retry': async (p) => {
        H(p).retry();
        return null;
      },
      'guest.start': (p) => done(guest.start(H(p), p.uuid)),
      'guest.shutdown': (p) => done(guest.shutdown(H(p), p.uuid)),
      'guest.reboot': (p) => done(guest.reboot(H(p), p.uuid)),
      'guest.reset': (p) => done(guest.reset(H(p), p.uuid)),
      'guest.poweroff': (p) => done(guest.powerOff(H(p), p.uuid)),
      'guest.pause': (p) => done(guest.pause(H(p), p.uuid)),
      'guest.resume': (p) => done(guest.resume(H(p), p.uuid)),
      'guest.save': (p) => done(guest.save(H(p), p.uuid)),
      'guest.delete': (p) =>
        done(p.removeDisks?.length ? deleteWithStorage(H(p), p) : guest.deleteGuest(H(p), p.uuid, p)),
      'guest.setAutostart': (p) => done(guest.setAutostart(H(p), p.uuid, p.enabled)),
      'guest.setMemory': (p) => done(guest.setMemory(H(p), p.uuid, p.memoryMiB, p.live, p.config)),
      'guest.setVcpus': (p) => done(guest.setVcpus(H(p), p.uuid, p.vcpus, p.live, p.config)),
      'guest.snapshots': (p) => guest.listSnapshots(H(p), p.uuid),
      'guest.snapshotCreate': (p) => guest.createSnapshot(H(p), p.uuid, p.name, p.description ?? ''),
      'guest.snapshotRevert': (p) => done(guest.revertSnapshot(H(p), p.uuid, p.name)),
      'guest.snapshotDelete': (p) => done(guest.deleteSnapshot(H(p), p.uuid, p.name)),
      'guest.screenshot': (p) => guest.screenshot(H(p), p.uuid),
      'guest.vncPassword': (p) => guest.vncPassword(H(p), p.uuid),
      'guest.spicePassword': (p) => display.spicePassword(H(p), p.uuid),
      'guest.sendKeys': (p) => done(guest.sendKeys(H(p), p.uuid, p.keys)),
      'guest.addVncDisplay': (p) => display.addVncDisplay(H(p), p.uuid),
      'guest.restart': (p) => done(display.restart(H(p), p.uuid)),
      'guest.migrate': (p) =>
        migrateGuest(H(p), this.hosts.get(p.target), p.uuid, p, (m) =>
          this.emit('event', { type: 'migration', migration: m }),
        ),
      'guest.migrateCancel': (p) => done(cancelMigration(H(p), p.uuid)),
      'guest.agentInfo': (p) => agentInfo(H(p), p.uuid),
      'guest.xml': (p) => guestXml(H(p), p.uuid),
      'host.details': (p) => readHostDetails(H(p)),
      'network.list': (p) => net.listNetworks(H(p)),
      'network.create': (p) => done(net.createNetwork(H(p), p)),
      'network.start': (p) => done(net.networkAction(H(p), p.name, 'start')),
      'network.stop': (p) => done(net.networkAction(H(p), p.name, 'stop')),
      'network.setAutostart': (p) => done(net.networkAction(H(p), p.name, { autostart: p.enabled })),
      'network.delete': (p) => done(net.networkAction(H(p), p.name, 'delete')),
      'network.leases': (p) => net.networkLeases(H(p), p.name),
      'guest.defineXml': (p) => done(defineGuestXml(H(p), p.uuid, p.xml)),
      'guest.changeMedia': (p) => done(hw.changeMedia(H(p), p.uuid, p.target, p.path, p)),
      'guest.attachDisk': async (p) => ({ target: await hw.attachDisk(H(p), p.uuid, p.path, p.format, p) }),
      'guest.detachDisk': (p) => done(hw.detachDisk(H(p), p.uuid, p.target, p)),
      'guest.attachNic': (p) => done(hw.attachNic(H(p), p.uuid, p, p)),
      'guest.detachNic': (p) => done(hw.detachNic(H(p), p.uuid, p.mac, p)),
      ...hardwareHandlers(H),
      'stats.watch': async (p, s) => {
        s.watchStats(p.on);
        return null;
      },
      'settings.update': async (p) => this.settings.update(p),
      ...storageHandlers({
        hosts: this.hosts,
        uploads: this.uploads,
        downloads: this.downloads,
        emitJob: (job) => this.emit('event', { type: 'job', job }),
      }),
    };
  }

  async close(): Promise<void> {
    this.consoles.closeAll();
    await this.hosts.close();
    if (this.lock?.held) this.lock.release();
  }
}

function parseVolumeRef(ref: unknown): VolumeRef {
  const parsed = volumeRef.safeParse(ref ?? {});
  if (!parsed.success) throw new ApiError('invalid-input', `Bad volume: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export class AppSession {
  private stopStats: (() => void)[] | undefined;
  private closed = false;

  constructor(private readonly app: App) {}

  /**
   * Runs a command from an untrusted client: the name must be known and the parameters must pass
   * its schema. Resolves with the result; rejects only with ApiError.
   */
  async invoke(name: unknown, params: unknown): Promise<unknown> {
    if (typeof name !== 'string' || !Object.hasOwn(schemas, name)) {
      throw new ApiError('invalid-input', `Unknown command ${JSON.stringify(String(name)).slice(0, 80)}`);
    }
    const cmd = name as CommandName;
    const parsed = schemas[cmd].safeParse(params ?? {});
    if (!parsed.success) throw new ApiError('invalid-input', `Bad input for ${cmd}: ${describeIssues(parsed.error)}`);
    try {
      return await this.app.run(cmd, parsed.data as never, this);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError('internal', `${cmd} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Opens a guest's console for this client: the guest is named, never a host or port. `ref`
   * comes from an untrusted client and is validated like any command's input.
   */
  async openConsole(ref: unknown, kind: unknown, opts?: OpenOptions): Promise<Duplex> {
    const parsed = consoleRequest.safeParse({ ...(ref as object), kind });
    if (!parsed.success) throw new ApiError('invalid-input', `Bad console request: ${describeIssues(parsed.error)}`);
    const { host, uuid } = parsed.data;
    return this.app.consoles.open({ host, uuid } satisfies GuestRef, parsed.data.kind satisfies ConsoleKind, opts);
  }

  /** The writable end of an upload begun with storage.uploadBegin: the shell pours the file's bytes in. */
  openUpload(job: unknown): Writable {
    if (typeof job !== 'string' || job.length > 100) throw new ApiError('invalid-input', 'Bad upload request');
    return this.app.uploads.open(job);
  }

  /**
   * Uploads a file on this machine's disk (one the user picked in the desktop app) into a new
   * volume: `params` as for storage.uploadBegin, checked the same way, and the file must match them.
   */
  async uploadFile(params: unknown, path: unknown): Promise<{ job: string }> {
    const p = this.parse('storage.uploadBegin', params);
    if (typeof path !== 'string') throw new ApiError('invalid-input', 'Bad upload request: no file path');
    return { job: await uploadFromFile(this.app.uploads, this.app.hosts.get(p.host), p, path) };
  }

  /** Downloads a volume into a file on this machine's disk (one the user chose in a save dialog). */
  downloadToFile(ref: unknown, path: unknown): Promise<DownloadStart> {
    const p = parseVolumeRef(ref);
    if (typeof path !== 'string') throw new ApiError('invalid-input', 'Bad download request: no file path');
    return downloadToFile(this.app.downloads, this.app.hosts.get(p.host), p, path);
  }

  /** Pours a volume's bytes into `sink` (a shell's channel to the page) as a download job. */
  openDownload(ref: unknown, sink: Writable): Promise<DownloadStart> {
    const p = parseVolumeRef(ref);
    return this.app.downloads.begin(this.app.hosts.get(p.host), p, sink);
  }

  private parse<K extends CommandName>(cmd: K, params: unknown): CommandParams<K> {
    const parsed = schemas[cmd].safeParse(params ?? {});
    if (!parsed.success) throw new ApiError('invalid-input', `Bad input for ${cmd}: ${describeIssues(parsed.error)}`);
    return parsed.data as CommandParams<K>;
  }

  /** Closes a console channel saying why; the viewer is told that reason. */
  closeConsole(channel: Duplex, why: string): void {
    this.app.consoles.closeChannel(channel, why);
  }

  /** Why a console channel was closed by the app, when it was. */
  consoleCloseReason(channel: Duplex): string | undefined {
    return this.app.consoles.reasonOf(channel);
  }

  /** @internal stats are taken while any session watches. */
  watchStats(on: boolean): void {
    if (this.closed) return;
    if (on && !this.stopStats) this.stopStats = this.app.hosts.list().map((h) => h.watchStats());
    if (!on && this.stopStats) {
      for (const stop of this.stopStats) stop();
      this.stopStats = undefined;
    }
  }

  close(): void {
    this.watchStats(false);
    this.closed = true;
  }
}
