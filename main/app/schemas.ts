/**
 * Runtime schemas for every command's input (zod). The renderer is untrusted: nothing reaches
 * the hosts layer without passing here, in either shell.
 */
import * as z from 'zod';
import { networkSchemas } from './network-schemas.js';
import { hardwareSchemas } from './hardware-schemas.js';
import { HOTKEY_ACTIONS, type CommandName } from '../../common/contract.js';
import { validateHotkeys } from '../../common/hotkeys.js';
import { LINUX_KEYCODES } from '../../common/keycodes.js';
import { pageUriProblem } from '../libvirt/index.js';
import { storageSchemas } from './storage-schemas.js';

const host = z.string().min(1).max(2048);
const uuid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'not a UUID');
const guestRef = { host, uuid };
const ref = z.strictObject(guestRef);
const uri = z.string().trim().min(1).max(2048);
/** A URI from a window: no options that pick local files, sockets or what is trusted. */
const pageUri = uri.superRefine((v, ctx) => {
  const problem = pageUriProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const snapshotName = z
  .string()
  .trim()
  .min(1, 'a snapshot needs a name')
  .max(100)
  .regex(/^[^/\\\0<>]+$/, 'a snapshot name cannot contain / \\ < or >');
const scaling = z.enum(['fit', 'actual', 'resize']);
const apply = { live: z.boolean(), config: z.boolean() };
const diskTarget = z.string().regex(/^(vd|sd|hd|xvd)[a-z]{1,2}$/, 'a disk name such as vdb or sda');
const filePath = z
  .string()
  .max(4096)
  .regex(/^\/[^\0]*$/, 'an absolute path');
/** A guest in settings: its UUID, or `uuid@host` as older settings have it. */
const guestKey = z.string().min(36).max(2100);

const hotkeys = z
  .strictObject(
    Object.fromEntries(HOTKEY_ACTIONS.map((a) => [a, z.string().max(64)])) as Record<
      (typeof HOTKEY_ACTIONS)[number],
      z.ZodString
    >,
  )
  .superRefine((v, ctx) => {
    const problem = validateHotkeys(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const settingsSchema = z.strictObject({
  hotkeys,
  scanIntervalSec: z.number().int().min(1).max(600),
  defaultScaling: scaling,
  scaling: z.record(guestKey, scaling),
  order: z.array(guestKey).max(100_000),
  lastActive: guestKey.optional(),
  theme: z.enum(['system', 'light', 'dark']),
  guestClipboardToHost: z.boolean(),
  viewOnly: z.array(guestKey).max(100_000).optional(),
});

export const schemas = {
  'state.get': z.strictObject({}),
  'hosts.add': z.strictObject({ uri: pageUri }),
  'hosts.remove': z.strictObject({ host }),
  'hosts.test': z.strictObject({ uri: pageUri }),
  'hosts.retry': z.strictObject({ host }),
  'guest.start': ref,
  'guest.shutdown': ref,
  'guest.reboot': ref,
  'guest.reset': ref,
  'guest.poweroff': ref,
  'guest.pause': ref,
  'guest.resume': ref,
  'guest.save': ref,
  'guest.delete': z.strictObject({
    ...guestRef,
    force: z.boolean().optional(),
    removeManagedSave: z.boolean().optional(),
    removeSnapshots: z.boolean().optional(),
    removeNvram: z.boolean().optional(),
    removeDisks: z.array(z.string().min(1).max(4096)).max(64).optional(),
  }),
  'guest.setAutostart': z.strictObject({ ...guestRef, enabled: z.boolean() }),
  'guest.setMemory': z.strictObject({
    ...guestRef,
    memoryMiB: z
      .number()
      .int()
      .min(16)
      .max(16 * 1024 * 1024),
    live: z.boolean(),
    config: z.boolean(),
  }),
  'guest.setVcpus': z.strictObject({
    ...guestRef,
    vcpus: z.number().int().min(1).max(4096),
    live: z.boolean(),
    config: z.boolean(),
  }),
  'guest.snapshots': ref,
  'guest.snapshotCreate': z.strictObject({
    ...guestRef,
    name: snapshotName,
    description: z.string().max(10_000).optional(),
  }),
  'guest.snapshotRevert': z.strictObject({ ...guestRef, name: snapshotName }),
  'guest.snapshotDelete': z.strictObject({ ...guestRef, name: snapshotName }),
  'guest.screenshot': ref,
  'guest.vncPassword': ref,
  'guest.spicePassword': ref,
  'guest.sendKeys': z.strictObject({
    ...guestRef,
    keys: z
      .array(z.string().refine((k) => k in LINUX_KEYCODES, { message: 'unknown key' }))
      .min(1)
      .max(16),
  }),
  'guest.addVncDisplay': ref,
  'guest.restart': ref,
  'guest.migrate': z.strictObject({
    ...guestRef,
    target: host,
    mode: z.enum(['live', 'offline']),
    copyStorage: z.boolean(),
    persistent: z.boolean(),
    undefineSource: z.boolean(),
    maxDowntimeMs: z.number().int().min(1).max(3_600_000).optional(),
    bandwidthMiBs: z.number().int().min(1).max(1_000_000).optional(),
    postCopy: z.boolean(),
    migrationAddress: z
      .string()
      .max(255)
      .regex(/^[A-Za-z0-9.:[\]-]+$/, 'an address is a hostname or an IP address')
      .optional(),
  }),
  'guest.migrateCancel': ref,
  'guest.agentInfo': ref,
  'guest.xml': ref,
  'host.details': z.strictObject({ host }),
  ...networkSchemas(host),
  ...hardwareSchemas(host, uuid),
  'guest.defineXml': z.strictObject({ ...guestRef, xml: z.string().min(1).max(4_000_000) }),
  'guest.changeMedia': z.strictObject({ ...guestRef, ...apply, target: diskTarget, path: filePath.optional() }),
  'guest.attachDisk': z.strictObject({ ...guestRef, ...apply, path: filePath, format: z.enum(['raw', 'qcow2']) }),
  'guest.detachDisk': z.strictObject({ ...guestRef, ...apply, target: diskTarget }),
  'guest.attachNic': z.strictObject({
    ...guestRef,
    ...apply,
    kind: z.enum(['network', 'bridge']),
    source: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a network or bridge name'),
    model: z.enum(['virtio', 'e1000', 'e1000e', 'rtl8139']),
  }),
  'guest.detachNic': z.strictObject({
    ...guestRef,
    ...apply,
    mac: z.string().regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/),
  }),
  'stats.watch': z.strictObject({ on: z.boolean() }),
  'settings.update': settingsSchema.partial(),
  ...storageSchemas,
} satisfies Record<CommandName, z.ZodType>;

/** A console request: a guest and which of its consoles. Never a host or a port. */
export const consoleRequest = z.strictObject({ ...guestRef, kind: z.enum(['vnc', 'spice', 'serial']) });

/** One readable sentence from a zod failure: "memoryMiB: Too small: expected number to be >=16". */
export function describeIssues(e: z.ZodError): string {
  return e.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
