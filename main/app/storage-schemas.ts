/**
 * Input schemas of the storage and guest-life commands. Names that reach libvirt and the host's
 * file system are held to a safe alphabet here, so a hostile name (a path, a quote, a control
 * character) never gets as far as a pool or an XML document.
 */
import * as z from 'zod';
import type { StorageCommands } from '../../common/storage-contract.js';

const host = z.string().min(1).max(2048);
const uuid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'not a UUID');
const safeName = (what: string, max: number): z.ZodString =>
  z
    .string()
    .trim()
    .min(1, `a ${what} needs a name`)
    .max(max, `a ${what} name has at most ${max} characters`)
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._+-]*$/,
      `a ${what} name may hold only letters, digits, dot, dash, underscore and plus, and starts with a letter or digit`,
    );
export const guestName = safeName('guest', 63);
const poolName = safeName('pool', 63);
const volumeName = safeName('volume', 128).refine((n) => !n.includes('..'), 'a volume name cannot contain ..');
const dirPath = z
  .string()
  .trim()
  .max(1024)
  .regex(/^\/[A-Za-z0-9._/+-]*$/, 'the folder must be an absolute path of letters, digits and . _ / + -')
  .refine((p) => !p.split('/').includes('..') && p !== '/', 'the folder cannot be / or contain ..');
const bytes = z
  .number()
  .int()
  .min(1)
  .max(2 ** 50);
const poolRef = { host, pool: poolName };
const volRef = { ...poolRef, name: volumeName };
/** A volume named by host, pool and name, as the shells' transfer channels receive it. */
export const volumeRef = z.strictObject(volRef);
const netSource = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'not a network or bridge name');

const newGuest = z.strictObject({
  host,
  name: guestName,
  osId: z.string().min(1).max(256),
  source: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('iso'), pool: poolName, volume: volumeName }),
    z.strictObject({ kind: z.literal('import'), pool: poolName, volume: volumeName }),
    z.strictObject({ kind: z.literal('network') }),
    z.strictObject({ kind: z.literal('none') }),
  ]),
  memoryMiB: z
    .number()
    .int()
    .min(64)
    .max(16 * 1024 * 1024),
  vcpus: z.number().int().min(1).max(4096),
  diskGiB: z
    .number()
    .min(0)
    .max(1024 * 1024),
  diskPool: poolName,
  network: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('network'), source: netSource }),
    z.strictObject({ kind: z.literal('bridge'), source: netSource }),
    z.strictObject({ kind: z.literal('none') }),
  ]),
  firmware: z.enum(['bios', 'uefi']).optional(),
  secureBoot: z.boolean().optional(),
  tpm: z.boolean().optional(),
  emulate: z.boolean().optional(),
  xml: z.string().min(1).max(1_000_000).optional(),
});

const isoText = (max: number): z.ZodString => z.string().max(max);

export const storageSchemas = {
  'storage.pools': z.strictObject({ host }),
  'storage.poolDefineDir': z.strictObject({ host, name: poolName, path: dirPath }),
  'storage.poolStart': z.strictObject(poolRef),
  'storage.poolStop': z.strictObject(poolRef),
  'storage.poolRefresh': z.strictObject(poolRef),
  'storage.poolAutostart': z.strictObject({ ...poolRef, enabled: z.boolean() }),
  'storage.volumes': z.strictObject(poolRef),
  'storage.volumeCreate': z.strictObject({ ...volRef, format: z.enum(['qcow2', 'raw']), capacity: bytes }),
  'storage.volumeResize': z.strictObject({ ...volRef, capacity: bytes }),
  'storage.volumeDelete': z.strictObject(volRef),
  'storage.uploadBegin': z.strictObject({
    ...volRef,
    size: bytes,
    role: z.enum(['iso', 'disk']),
    head: z.string().max(48 * 1024),
  }),
  'storage.uploadCancel': z.strictObject({ job: z.string().min(1).max(100) }),
  'storage.downloadCancel': z.strictObject({ job: z.string().min(1).max(100) }),
  'guests.osList': z.strictObject({ query: z.string().max(200).optional() }),
  'guests.detectOs': z.strictObject({
    systemId: isoText(32),
    volumeId: isoText(32),
    publisherId: isoText(128),
    applicationId: isoText(128),
  }),
  'guests.detectVolume': z.strictObject(volRef),
  'guests.newDefaults': z.strictObject({ host, osId: z.string().min(1).max(256), emulate: z.boolean().optional() }),
  'guests.previewXml': newGuest,
  'guests.create': newGuest,
  'guest.clone': z.strictObject({ host, uuid, name: guestName }),
  'guest.deletePlan': z.strictObject({ host, uuid }),
} satisfies Record<keyof StorageCommands, z.ZodType>;
