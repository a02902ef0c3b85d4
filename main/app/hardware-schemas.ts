/** Checks for the parameters of the hardware commands: both views, boot settings, USB passthrough. */
import { z } from 'zod';
import { BOOT_DEVICES } from '../../common/hardware-contract.js';

const usbId = z.string().regex(/^0x[0-9a-fA-F]{4}$/, 'a USB id such as 0x046d');
const usbNumber = z.number().int().min(1).max(999);

export function hardwareSchemas(host: z.ZodString, uuid: z.ZodString) {
  const guestRef = { host, uuid };
  const apply = { live: z.boolean(), config: z.boolean() };
  return {
    'guest.hardware': z.strictObject(guestRef),
    'guest.setBoot': z.strictObject({
      ...guestRef,
      devices: z.array(z.enum(BOOT_DEVICES)).max(BOOT_DEVICES.length),
      menu: z.boolean(),
    }),
    'host.usbDevices': z.strictObject({ host }),
    'guest.attachUsb': z.strictObject({
      ...guestRef,
      ...apply,
      device: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'a node device name such as usb_1_4'),
    }),
    'guest.detachUsb': z.strictObject({
      ...guestRef,
      ...apply,
      vendor: usbId,
      product: usbId,
      bus: usbNumber.optional(),
      device: usbNumber.optional(),
    }),
  };
}
