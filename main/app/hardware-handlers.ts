/** The app's handlers for the hardware commands: both views of a guest, boot settings, USB passthrough. */
import type { CommandName, CommandParams, CommandResult } from '../../common/contract.js';
import type { HardwareCommands } from '../../common/hardware-contract.js';
import { setBoot } from '../hosts/boot.js';
import { hardwareView } from '../hosts/hardware-view.js';
import type { Host } from '../hosts/host.js';
import { attachUsb, detachUsb, listUsbDevices } from '../hosts/usb.js';

type Handlers = {
  [K in keyof HardwareCommands & CommandName]: (p: CommandParams<K>) => Promise<CommandResult<K>>;
};

export function hardwareHandlers(host: (p: { host: string }) => Host): Handlers {
  return {
    'guest.hardware': (p) => hardwareView(host(p), p.uuid),
    'guest.setBoot': (p) => setBoot(host(p), p.uuid, { devices: p.devices, menu: p.menu }),
    'host.usbDevices': (p) => listUsbDevices(host(p)),
    'guest.attachUsb': async (p) => {
      await attachUsb(host(p), p.uuid, p.device, p);
      return null;
    },
    'guest.detachUsb': async (p) => {
      const { vendor, product, bus, device } = p;
      await detachUsb(host(p), p.uuid, { vendor, product, ...(bus && device ? { bus, device } : {}) }, p);
      return null;
    },
  };
}
