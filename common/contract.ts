/**
 * The app's one API contract: commands, events and the data they carry. Both shells (Electron and serve)
 * expose exactly this, and the renderer depends on nothing else. Pure types and constants: no Node, no DOM.
 */
import type { DeleteOptions, JobInfo, StorageCommands } from './storage-contract.js';
export type * from './storage-contract.js';
import type { DeviceApply, GuestAgentInfo, GuestHardware } from './guest-devices.js';
import type { GuestXmlCommands } from './guest-xml.js';
import type { NetworkCommands } from './network-contract.js';
import type { HardwareCommands } from './hardware-contract.js';
import type { HostDetailsCommands } from './host-details.js';
import { DEFAULT_HOTKEYS, type HotkeyAction } from './hotkey-actions.js';

/** libvirt's own words for a guest's state. */
export type GuestStateName =
  'running' | 'blocked' | 'paused' | 'shutdown' | 'shutoff' | 'crashed' | 'pmsuspended' | 'nostate';

/** Names one guest: the host it lives on (its connection URI as the user gave it) and its UUID. */
export interface GuestRef {
  host: string;
  uuid: string;
}

/** A key for one host's instance of a guest; the UI and settings know a guest by its UUID alone. */
export function guestKey(ref: GuestRef): string {
  return `${ref.uuid}@${ref.host}`;
}

export function parseGuestKey(key: string): GuestRef {
  return { uuid: key.slice(0, 36), host: key.slice(37) };
}

export type HostStatus = 'connecting' | 'connected' | 'reconnecting' | 'failed';

export interface HostFacts {
  hostname: string;
  /** e.g. "9.0.0" */ libvirtVersion: string;
  /** e.g. "QEMU" */
  hypervisor: string;
  /** e.g. "7.2.22" */
  hypervisorVersion: string;
  cpus: number;
  cpuModel: string;
  memoryKiB: number;
  /** The host CPU has VT-x or AMD-V. */
  hardwareVirt: boolean;
  /** libvirt can run KVM guests here (/dev/kvm usable). */
  kvm: boolean;
}

export interface HostInfo {
  /** The connection URI exactly as the user gave it; also the host's id. */
  uri: string;
  status: HostStatus;
  /** Why it is failed or reconnecting, in words. */
  error?: string;
  /** While connected: the last round of guest statistics failed, in words. Cleared by the next good round. */
  statsError?: string;
  /** When reconnecting: ms until the next attempt. */
  retryInMs?: number;
  facts?: HostFacts;
}

export interface GuestInfo extends GuestRef {
  name: string;
  state: GuestStateName;
  /** Why it is in that state, in words ("booted", "destroyed", "saved", …). */
  reason: string;
  vcpus: number;
  maxVcpus: number;
  memoryKiB: number;
  maxMemoryKiB: number;
  autostart: boolean;
  persistent: boolean;
  /** A managed save image exists: Start restores it. */
  managedSave: boolean;
  hasVnc: boolean;
  /** A SPICE display (virt-manager's default for new guests). */
  hasSpice: boolean;
  hasSerial: boolean;
  /** From the libosinfo metadata, when present, e.g. "http://debian.org/debian/12". */
  os?: string;
  snapshotCount: number;
  currentSnapshot?: string;
  /** A long operation under way, in words ("saving", "reverting to snap1"). */
  busy?: string;
  /** The last re-read of this guest failed, in words: what is shown may be out of date. Cleared by the next good one. */
  refreshError?: string;
  /** Its hardware as the live definition says (the running guest's, else the persistent one). */
  hardware?: GuestHardware;
}

export interface SnapshotInfo {
  name: string;
  description: string;
  /** ms since the epoch */
  createdAt: number;
  /** The guest's state when it was taken. */
  state: string;
  current: boolean;
  parent?: string;
}

export interface GuestStats extends GuestRef {
  /** ms since the epoch */
  at: number;
  /** 0–100 × vCPUs is folded to 0–100 of the guest's whole allotment. */
  cpuPercent: number;
  memoryUsedKiB: number;
  memoryKiB: number;
  diskReadBps: number;
  diskWriteBps: number;
  netRxBps: number;
  netTxBps: number;
}

/** A guest's screen over VNC, its serial console, or one channel of its SPICE display (a SPICE client opens several). */
export type ConsoleKind = 'vnc' | 'spice' | 'serial';
export type ConsoleStatus = 'connecting' | 'connected' | 'disconnected' | 'unavailable';

export interface ConsoleState extends GuestRef {
  kind: ConsoleKind;
  status: ConsoleStatus;
  reason?: string;
}

export type Scaling = 'fit' | 'actual' | 'resize';
export type Theme = 'system' | 'light' | 'dark';

export { HOTKEY_ACTIONS, DEFAULT_HOTKEYS, type HotkeyAction } from './hotkey-actions.js';

export interface Settings {
  /** Each action's binding: "Ctrl+Alt+Digit1" (KeyboardEvent.code names), or "ScrollLock*2" for a double tap. */
  hotkeys: Record<HotkeyAction, string>;
  /** Auto-scan dwell per guest, in seconds. */
  scanIntervalSec: number;
  defaultScaling: Scaling;
  /** Per-guest scaling, by UUID (older settings: by `uuid@host`). */
  scaling: Record<string, Scaling>;
  /** The user's switcher order, as UUIDs (older settings: `uuid@host`); guests not listed follow in the default order. */
  order: string[];
  /** The guest that last owned the keyboard, by UUID (older settings: `uuid@host`). */
  lastActive?: string;
  theme: Theme;
  /** A guest's clipboard goes to this computer's at once; off: a hint offers a one-click copy instead. */
  guestClipboardToHost: boolean;
  /** Guests (by UUID) whose console shows but takes no input. */
  viewOnly?: string[];
}

export const DEFAULT_SETTINGS: Settings = {
  hotkeys: { ...DEFAULT_HOTKEYS },
  scanIntervalSec: 5,
  defaultScaling: 'fit',
  scaling: {},
  order: [],
  theme: 'system',
  guestClipboardToHost: false,
};

/** What the app is: sent whole on subscribe, then kept current by events. */
export interface AppState {
  hosts: HostInfo[];
  guests: GuestInfo[];
  consoles: ConsoleState[];
  settings: Settings;
  /** Another virtswitch holds the config folder: why hosts and settings are read-only here. */
  configReadOnly?: string;
}

/** How to move a guest to another host ("Move to host…"). */
export interface MigrateOptions {
  /** The host to move it to (its URI, as in the host list). */
  target: string;
  /** Live: a running guest keeps running. Offline: a stopped guest's definition moves. */
  mode: 'live' | 'offline';
  /** For hosts without shared storage: libvirt copies the disks during the move. */
  copyStorage: boolean;
  /** Keep the definition on the target (default on). */
  persistent: boolean;
  /** Remove the definition from the source (default on). */
  undefineSource: boolean;
  /** Longest pause allowed at the switch-over, in ms. */
  maxDowntimeMs?: number;
  /** Bandwidth limit in MiB/s. */
  bandwidthMiBs?: number;
  /** Switch to post-copy when pre-copy does not converge. */
  postCopy: boolean;
  /** The address the source sends the guest to, when the target's own hostname does not reach it. */
  migrationAddress?: string;
}

/** A move under way or just ended, from the migration job's statistics. */
export interface MigrationProgress extends GuestRef {
  name: string;
  target: string;
  phase: 'preparing' | 'copying' | 'post-copy' | 'done' | 'failed' | 'cancelled';
  memoryTotal: number;
  memoryProcessed: number;
  memoryRemaining: number;
  diskTotal: number;
  diskProcessed: number;
  diskRemaining: number;
  /** Pages dirtied per second. */
  dirtyRate: number;
  iteration: number;
  /** While copying: the expected pause at the switch-over; once done: the actual pause (ms). */
  downtimeMs: number;
  elapsedMs: number;
  /** When failed, in words. */
  error?: string;
}

/** Every command: its parameters and its result. */
export interface Commands
  extends StorageCommands, GuestXmlCommands, NetworkCommands, HardwareCommands, HostDetailsCommands {
  'state.get': { params: Record<string, never>; result: AppState };
  'hosts.add': { params: { uri: string }; result: HostInfo };
  'hosts.remove': { params: { host: string }; result: null };
  'hosts.test': { params: { uri: string }; result: HostFacts };
  'hosts.retry': { params: { host: string }; result: null };
  'guest.start': { params: GuestRef; result: null };
  'guest.shutdown': { params: GuestRef; result: null };
  'guest.reboot': { params: GuestRef; result: null };
  'guest.reset': { params: GuestRef; result: null };
  'guest.poweroff': { params: GuestRef; result: null };
  'guest.pause': { params: GuestRef; result: null };
  'guest.resume': { params: GuestRef; result: null };
  'guest.save': { params: GuestRef; result: null };
  'guest.delete': { params: GuestRef & DeleteOptions; result: null };
  'guest.setAutostart': { params: GuestRef & { enabled: boolean }; result: null };
  'guest.setMemory': { params: GuestRef & { memoryMiB: number; live: boolean; config: boolean }; result: null };
  'guest.setVcpus': { params: GuestRef & { vcpus: number; live: boolean; config: boolean }; result: null };
  'guest.snapshots': { params: GuestRef; result: SnapshotInfo[] };
  'guest.snapshotCreate': { params: GuestRef & { name: string; description?: string }; result: SnapshotInfo };
  'guest.snapshotRevert': { params: GuestRef & { name: string }; result: null };
  'guest.snapshotDelete': { params: GuestRef & { name: string }; result: null };
  'guest.screenshot': { params: GuestRef; result: { mime: string; base64: string } };
  /** The guest's VNC password, when its display has one and this connection may read it. */
  'guest.vncPassword': { params: GuestRef; result: { password: string | null } };
  /** The guest's SPICE password, likewise. */
  'guest.spicePassword': { params: GuestRef; result: { password: string | null } };
  /** Presses the keys together and releases them (KeyboardEvent.code names, e.g. ControlLeft, AltLeft, Delete). */
  'guest.sendKeys': { params: GuestRef & { keys: string[] }; result: null };
  /** Adds a VNC display (loopback) beside the guest's SPICE one, persistently; a running guest gets it at next start. */
  'guest.addVncDisplay': { params: GuestRef; result: { added: boolean; appliesAtNextStart: boolean } };
  /** Shuts the guest down cleanly and starts it again (a new QEMU: a changed definition applies). */
  'guest.restart': { params: GuestRef; result: null };
  /** Moves the guest to another host; resolves with its reference there. */
  'guest.migrate': { params: GuestRef & MigrateOptions; result: GuestRef };
  /** Cancels a move under way: the guest keeps running on its source. */
  'guest.migrateCancel': { params: GuestRef; result: null };
  /** Hostname, addresses and file systems from the guest agent (addresses from DHCP leases without one). */
  'guest.agentInfo': { params: GuestRef; result: GuestAgentInfo };
  /** Inserts a medium (path) into a CD drive, or ejects it (no path); live now, config at next boot. */
  'guest.changeMedia': { params: GuestRef & DeviceApply & { target: string; path?: string }; result: null };
  'guest.attachDisk': {
    params: GuestRef & DeviceApply & { path: string; format: 'raw' | 'qcow2' };
    result: { target: string };
  };
  'guest.detachDisk': { params: GuestRef & DeviceApply & { target: string }; result: null };
  'guest.attachNic': {
    params: GuestRef & DeviceApply & { kind: 'network' | 'bridge'; source: string; model: string };
    result: null;
  };
  'guest.detachNic': { params: GuestRef & DeviceApply & { mac: string }; result: null };
  'stats.watch': { params: { on: boolean }; result: null };
  'settings.update': { params: Partial<Settings>; result: Settings };
}

export type CommandName = keyof Commands;
export type CommandParams<K extends CommandName> = Commands[K]['params'];
export type CommandResult<K extends CommandName> = Commands[K]['result'];

export type AppEvent =
  | { type: 'host'; host: HostInfo }
  | { type: 'host-removed'; uri: string }
  | { type: 'guest'; guest: GuestInfo }
  | { type: 'guest-removed'; host: string; uuid: string }
  | { type: 'stats'; stats: GuestStats[] }
  | { type: 'console'; console: ConsoleState }
  | { type: 'settings'; settings: Settings }
  | { type: 'migration'; migration: MigrationProgress }
  | { type: 'job'; job: JobInfo };

export type ApiErrorCode =
  | 'invalid-input'
  | 'no-such-host'
  | 'no-such-guest'
  | 'no-such-snapshot'
  | 'invalid-state'
  | 'out-of-range'
  | 'host-unavailable'
  | 'access-denied'
  | 'unsupported'
  | 'conflict'
  | 'libvirt'
  | 'internal';

/** Every failure a command can end in: a code for programs, a sentence for people. */
export interface ApiErrorShape {
  code: ApiErrorCode;
  message: string;
  host?: string;
  guest?: string;
}

/** The WebSocket-shaped byte channel noVNC and xterm.js read a console from. */
export interface ConsoleChannel {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  send(data: ArrayBuffer | ArrayBufferView | string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: ArrayBuffer | string }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string; wasClean?: boolean }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** A VM action the user can ask for from a toolbar, a menu, the tray or a shortcut. */
export const GUEST_ACTIONS = [
  'start',
  'shutdown',
  'reboot',
  'reset',
  'poweroff',
  'pause',
  'resume',
  'save',
  'snapshot',
  'delete',
] as const;
export type GuestAction = (typeof GUEST_ACTIONS)[number];

/** What the desktop shell's menu or tray asks the renderer to do. */
export type MenuCommand =
  | { kind: 'guest-action'; action: GuestAction; guest?: GuestRef }
  | { kind: 'switch'; guest: GuestRef }
  | { kind: 'hotkey'; action: HotkeyAction }
  | { kind: 'open'; panel: 'settings' | 'snapshots' | 'resources' | 'send-keys' | 'hosts' | 'move' }
  | { kind: 'new-guest' };

/** How the app was started (the desktop shell's command line, in the manner of virt-viewer). */
export interface LaunchOptions {
  /** Open straight onto the guest of this name (or UUID). */
  domain?: string;
  fullscreen: boolean;
  /** Fullscreen, minimal chrome, no leaving it. */
  kiosk: boolean;
}

/** What the renderer talks to; the Electron preload and the serve shell's page each provide one. */
export interface Bridge {
  readonly kind: 'electron' | 'browser';
  invoke<K extends CommandName>(command: K, params: CommandParams<K>): Promise<CommandResult<K>>;
  /** Calls back with the whole state first, then with every event. Returns an unsubscribe. */
  subscribe(onState: (state: AppState) => void, onEvent: (event: AppEvent) => void): () => void;
  /** The console of one guest, as a WebSocket-shaped byte channel (noVNC and xterm.js take it). */
  openConsole(ref: GuestRef, kind: ConsoleKind): ConsoleChannel;
  launchOptions(): Promise<LaunchOptions>;
  /** Calls back when the link to the app drops (with why) and when it is back; never on the desktop. Unsubscribes. */
  onConnectionChange(cb: (connected: boolean, why?: string) => void): () => void;
  /** Desktop only: hotkeys the main process caught before the page could see them. */
  onHotkey?(cb: (action: HotkeyAction) => void): () => void;
  /** Desktop only: picks from the application menu and the tray. */
  onMenuCommand?(cb: (command: MenuCommand) => void): () => void;
  /** Desktop only: which guest owns the keyboard now (the shell turns menu shortcuts off while one does). */
  setActiveGuest?(ref: GuestRef | null, consoleFocused: boolean): void;
  /** Desktop only: off while the page records a new hotkey, so the keys reach the field. */
  captureHotkeys?(on: boolean): void;
}
