/**
 * The contract's part for storage and the guests' whole life: pools, volumes, uploads, the OS
 * database, new guests, clones, deletion with storage. Pure types, like the rest of the contract.
 */
import type { GuestRef } from './contract.js';
import type { IsoIdentifiers } from './iso9660.js';

export interface DeleteOptions {
  /** Power the guest off first if it runs. */
  force?: boolean;
  removeManagedSave?: boolean;
  removeSnapshots?: boolean;
  removeNvram?: boolean;
  /** Paths of the guest's disks to remove with it (a disk another guest uses is never removed). */
  removeDisks?: string[];
}

declare module './contract.js' {
  interface Bridge {
    /**
     * Uploads a local file into a new volume (checked and made by storage.uploadBegin), reporting
     * the job's progress; aborting the signal cancels it and the partial volume is removed.
     */
    uploadVolume?(params: UploadParams, file: Blob, onJob: (job: JobInfo) => void, signal?: AbortSignal): Promise<void>;
    /**
     * Downloads a volume to a file on the user's machine (the browser's downloads, or a file
     * chosen in a save dialog), reporting progress; aborting the signal cancels it. Resolves
     * false when the user declined to choose a file.
     */
    downloadVolume?(ref: VolumeRef, onJob: (job: JobInfo) => void, signal?: AbortSignal): Promise<boolean>;
  }
}

export type PoolState = 'inactive' | 'building' | 'running' | 'degraded' | 'inaccessible';

export interface PoolInfo {
  host: string;
  name: string;
  uuid: string;
  state: PoolState;
  /** Bytes. */
  capacity: number;
  allocation: number;
  available: number;
  autostart: boolean;
  persistent: boolean;
  /** dir, logical, netfs, … */
  type: string;
  /** The pool's target path, where it has one. */
  path?: string;
}

export interface VolumeInfo {
  host: string;
  pool: string;
  name: string;
  /** The volume's key; for file-based pools its path. */
  key: string;
  path: string;
  /** qcow2, raw, iso, … */
  format: string;
  capacity: number;
  allocation: number;
  /** Guests whose disks use this volume, by name. */
  usedBy: string[];
}

export interface PoolRef {
  host: string;
  pool: string;
}
export interface VolumeRef extends PoolRef {
  name: string;
}

export type UploadRole = 'iso' | 'disk';

export interface UploadParams extends VolumeRef {
  /** The file's size in bytes. */
  size: number;
  /** An installer ISO (must be an ISO 9660 image) or a disk image. */
  role: UploadRole;
  /** The file's first bytes (up to 34 KiB), base64: checked before anything is made. */
  head: string;
}

/** A long operation (upload, clone, creation) and how far it got. */
export interface JobInfo {
  id: string;
  kind: 'upload' | 'download' | 'clone' | 'create';
  host: string;
  /** In words: "Uploading debian.iso to default". */
  label: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** Bytes (or steps) done and in all. */
  done: number;
  total: number;
  /** Bytes per second over the last few seconds, for transfers. */
  rate?: number;
  error?: string;
}

export interface OsChoice {
  id: string;
  name: string;
  kind: 'linux' | 'windows' | 'other';
  memoryMiB: number;
  vcpus: number;
  diskGiB: number;
}

export type InstallSource =
  | { kind: 'iso'; pool: string; volume: string }
  | { kind: 'import'; pool: string; volume: string }
  | { kind: 'network' }
  | { kind: 'none' };

export interface NewGuestRequest {
  host: string;
  name: string;
  osId: string;
  source: InstallSource;
  memoryMiB: number;
  vcpus: number;
  /** A new qcow2 disk of this size in `diskPool` (ignored when importing an existing image). */
  diskGiB: number;
  diskPool: string;
  network: { kind: 'network' | 'bridge'; source: string } | { kind: 'none' };
  firmware?: 'bios' | 'uefi';
  secureBoot?: boolean;
  tpm?: boolean;
  /** Emulate even where KVM works (slower; what tests use on nested hosts). */
  emulate?: boolean;
  /** "Customize before install": this XML instead of the generated one. */
  xml?: string;
}

/** What the new-guest dialog starts from on a host, for an OS. */
export interface NewGuestDefaults {
  os: OsChoice;
  firmware: 'bios' | 'uefi';
  secureBoot: boolean;
  tpm: boolean;
  /** KVM works on this host. */
  kvm: boolean;
  pools: PoolInfo[];
  networks: string[];
  /** A virtio-win ISO found in a pool, for Windows guests. */
  virtioWin?: { pool: string; volume: string };
  notices: string[];
  /** A free name for the guest. */
  name: string;
}

export interface DiskPlan {
  /** The guest's device name, e.g. vda. */
  target: string;
  device: 'disk' | 'cdrom';
  path: string;
  pool?: string;
  volume?: string;
  /** Other guests using the same file: then it is never removed. */
  sharedWith: string[];
}

export interface DeletePlan {
  disks: DiskPlan[];
  nvram: boolean;
  snapshots: number;
  managedSave: boolean;
}

export interface StorageCommands {
  'storage.pools': { params: { host: string }; result: PoolInfo[] };
  'storage.poolDefineDir': { params: { host: string; name: string; path: string }; result: PoolInfo };
  'storage.poolStart': { params: PoolRef; result: null };
  'storage.poolStop': { params: PoolRef; result: null };
  'storage.poolRefresh': { params: PoolRef; result: null };
  'storage.poolAutostart': { params: PoolRef & { enabled: boolean }; result: null };
  'storage.volumes': { params: PoolRef; result: VolumeInfo[] };
  'storage.volumeCreate': { params: VolumeRef & { format: 'qcow2' | 'raw'; capacity: number }; result: VolumeInfo };
  /** Grows a volume to `capacity` bytes (never shrinks it; the pool must have room for the growth). */
  'storage.volumeResize': { params: VolumeRef & { capacity: number }; result: null };
  'storage.volumeDelete': { params: VolumeRef; result: null };
  /** Checks and makes the volume an upload goes into; the bytes follow on the shell's upload channel. */
  'storage.uploadBegin': { params: UploadParams; result: { job: string } };
  'storage.uploadCancel': { params: { job: string }; result: null };
  /** Cancels a download a shell began (the desktop's save to a file). */
  'storage.downloadCancel': { params: { job: string }; result: null };
  'guests.osList': { params: { query?: string }; result: OsChoice[] };
  /** OSes whose installer media carry these identifiers, best first. */
  'guests.detectOs': { params: IsoIdentifiers; result: OsChoice[] };
  /** The same, reading the identifiers from an ISO volume in a pool. */
  'guests.detectVolume': { params: VolumeRef; result: OsChoice[] };
  'guests.newDefaults': { params: { host: string; osId: string; emulate?: boolean }; result: NewGuestDefaults };
  'guests.previewXml': { params: NewGuestRequest; result: { xml: string; notices: string[] } };
  'guests.create': { params: NewGuestRequest; result: GuestRef & { name: string; notices: string[] } };
  'guest.clone': { params: GuestRef & { name: string }; result: GuestRef & { name: string } };
  'guest.deletePlan': { params: GuestRef; result: DeletePlan };
}
