/**
 * A libvirt test-driver host with USB devices, for USB passthrough tests on a machine that has
 * none: one running guest ("usbguest") and three SanDisk sticks, two of them of the same make.
 * Opened through the running libvirtd as `test+unix:///PATH.xml`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const USB_GUEST_UUID = '7e5b0000-0000-4000-8000-00000000b5b0';

/** The host: one running guest, three USB sticks (two of one make, on bus 1 and bus 2). */
function usbHostXml(): string {
  const stick = (bus: number, dev: number, product = '0x5567', productName = 'Cruzer Blade'): string => `
  <device>
    <name>usb_${bus}_${dev}</name>
    <parent>computer</parent>
    <capability type='usb_device'>
      <bus>${bus}</bus>
      <device>${dev}</device>
      <product id='${product}'>${productName}</product>
      <vendor id='0x0781'>SanDisk Corp.</vendor>
    </capability>
  </device>`;
  return `<node>
  <domain type='test'>
    <name>usbguest</name>
    <uuid>${USB_GUEST_UUID}</uuid>
    <memory unit='MiB'>64</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <devices/>
  </domain>
  <device>
    <name>computer</name>
    <capability type='system'>
      <hardware><vendor>virtswitch test</vendor><uuid>7e5b0000-0000-4000-8000-00000000c0c0</uuid></hardware>
      <firmware/>
    </capability>
  </device>${stick(1, 4)}${stick(2, 7)}${stick(2, 9, '0x5581', 'Ultra')}
</node>
`;
}

/** Writes the host's file into `dir` and returns its URI. */
export function writeUsbTestHost(dir: string): string {
  const file = join(dir, 'usb-host.xml');
  writeFileSync(file, usbHostXml());
  return `test+unix://${file}`;
}
