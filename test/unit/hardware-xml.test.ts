/**
 * The XML the hardware commands send and read, without a host: the USB <hostdev> for a host
 * device, a host's USB node device, the boot order written into a definition, and a guest's two
 * definitions put side by side (what applies now, what at next boot).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostdevFor, parseUsbNodeDevice, usbHostdevXml } from '../../main/hosts/usb.js';
import { withBootSettings } from '../../main/hosts/boot.js';
import { mergeHardware } from '../../main/hosts/hardware-view.js';
import { parseDomainXml } from '../../main/hosts/domain-xml.js';
import { hardwareOf } from '../../main/hosts/domain-devices.js';
import { parseXml, node } from '../../main/hosts/xml.js';
import { schemas } from '../../main/app/schemas.js';
import type { GuestHardware } from '../../common/guest-devices.js';

const hardware = (devices: string, os = '<type>hvm</type>'): GuestHardware =>
  hardwareOf(node(parseXml(`<domain><os>${os}</os><devices>${devices}</devices></domain>`)['domain'])!);

describe('USB passthrough XML', () => {
  it('names the device by vendor and product, and by bus and device when given', () => {
    assert.equal(
      usbHostdevXml({ vendor: '0x0781', product: '0x5567' }),
      "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x0781'/><product id='0x5567'/></source></hostdev>",
    );
    assert.equal(
      usbHostdevXml({ vendor: '0x0781', product: '0x5567', bus: 1, device: 4 }),
      "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x0781'/><product id='0x5567'/><address bus='1' device='4'/></source></hostdev>",
    );
  });

  it('adds bus and device only when the host has two of the same make', () => {
    const stick = { name: 'usb_1_4', vendor: '0x0781', product: '0x5567', bus: 1, device: 4 };
    const other = { name: 'usb_2_9', vendor: '0x0781', product: '0x5581', bus: 2, device: 9 };
    assert.deepEqual(hostdevFor(stick, [stick, other]), { vendor: '0x0781', product: '0x5567' });
    const twin = { ...stick, name: 'usb_2_7', bus: 2, device: 7 };
    assert.deepEqual(hostdevFor(twin, [stick, other, twin]), {
      vendor: '0x0781',
      product: '0x5567',
      bus: 2,
      device: 7,
    });
  });

  it('reads what it sent back out of a domain definition', () => {
    const hw = hardware(usbHostdevXml({ vendor: '0x0781', product: '0x5567', bus: 1, device: 4 }));
    assert.deepEqual(hw.usb, [{ vendor: '0x0781', product: '0x5567', bus: 1, device: 4 }]);
    // A PCI host device is not a USB one.
    const pci = `<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>`;
    assert.deepEqual(hardware(pci).usb, []);
  });

  it('reads a USB node device as virsh nodedev-dumpxml prints it, and nothing else as one', () => {
    const xml = `<device>
  <name>usb_1_4</name>
  <path>/sys/devices/pci0000:00/0000:00:14.0/usb1/1-4</path>
  <parent>usb_usb1</parent>
  <driver><name>usb</name></driver>
  <capability type='usb_device'>
    <bus>1</bus>
    <device>4</device>
    <product id='0x5567'>Cruzer Blade</product>
    <vendor id='0x0781'>SanDisk Corp.</vendor>
  </capability>
</device>`;
    assert.deepEqual(parseUsbNodeDevice(xml), {
      name: 'usb_1_4',
      vendor: '0x0781',
      product: '0x5567',
      vendorName: 'SanDisk Corp.',
      productName: 'Cruzer Blade',
      bus: 1,
      device: 4,
    });
    const unnamed = xml.replace('>Cruzer Blade<', '><').replace('>SanDisk Corp.<', '><');
    assert.deepEqual(parseUsbNodeDevice(unnamed), {
      name: 'usb_1_4',
      vendor: '0x0781',
      product: '0x5567',
      bus: 1,
      device: 4,
    });
    const scsi = `<device><name>scsi_host1</name><capability type='scsi_host'><host>1</host></capability></device>`;
    assert.equal(parseUsbNodeDevice(scsi), undefined);
  });

  it('refuses ids and names that are not what they claim before any XML is built', () => {
    const ref = { host: 'qemu:///system', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', live: true, config: false };
    const detach = schemas['guest.detachUsb'];
    assert.ok(detach.safeParse({ ...ref, vendor: '0x0781', product: '0x5567' }).success);
    assert.ok(!detach.safeParse({ ...ref, vendor: "0x0781'/><evil", product: '0x5567' }).success);
    assert.ok(!detach.safeParse({ ...ref, vendor: '0x0781', product: '5567' }).success);
    const attach = schemas['guest.attachUsb'];
    assert.ok(attach.safeParse({ ...ref, device: 'usb_1_4' }).success);
    assert.ok(!attach.safeParse({ ...ref, device: "usb'/>" }).success);
    const boot = schemas['guest.setBoot'];
    assert.ok(boot.safeParse({ host: ref.host, uuid: ref.uuid, devices: ['cdrom', 'hd'], menu: true }).success);
    assert.ok(!boot.safeParse({ host: ref.host, uuid: ref.uuid, devices: ['usb'], menu: true }).success);
  });
});

describe('boot order and boot menu in a definition', () => {
  const domain = `<domain type='kvm'>
  <name>g</name>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
    <disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
  </devices>
</domain>
`;

  it('replaces the order and adds the menu inside <os>, touching nothing else', () => {
    const out = withBootSettings(domain, { devices: ['cdrom', 'hd'], menu: true });
    assert.equal(
      out,
      domain.replace(
        "    <boot dev='hd'/>\n",
        "    <boot dev='cdrom'/>\n    <boot dev='hd'/>\n    <bootmenu enable='yes'/>\n",
      ),
    );
    const hw = parseDomainXml(out).hardware;
    assert.deepEqual(hw.bootDevices, ['cdrom', 'hd']);
    assert.equal(hw.bootMenu, true);
    // And back: the menu off, one device.
    assert.equal(withBootSettings(out, { devices: ['hd'], menu: false }), domain);
  });

  it('takes the place of per-device boot order, which libvirt refuses beside it', () => {
    const perDevice = domain
      .replace("    <boot dev='hd'/>\n", '')
      .replace("<target dev='vda' bus='virtio'/>", "<target dev='vda' bus='virtio'/><boot order='1'/>");
    assert.equal(parseDomainXml(perDevice).hardware.disks[0]?.bootOrder, 1);
    const out = withBootSettings(perDevice, { devices: ['network'], menu: false });
    assert.doesNotMatch(out, /order=/);
    assert.match(out, /<boot dev=.network.\/>\n {2}<\/os>/);
    // Only the menu: the devices keep their own order.
    assert.match(withBootSettings(perDevice, { devices: [], menu: true }), /<boot order='1'\/>/);
  });

  it("keeps the boot menu's timeout when the menu is switched on or off", () => {
    const timed = domain.replace(
      "    <boot dev='hd'/>\n",
      "    <boot dev='hd'/>\n    <bootmenu enable='no' timeout='3000'/>\n",
    );
    const on = withBootSettings(timed, { devices: ['hd'], menu: true });
    assert.equal(on, timed.replace("enable='no'", "enable='yes'"));
    assert.equal(parseDomainXml(on).hardware.bootMenu, true);
    assert.equal(withBootSettings(on, { devices: ['hd'], menu: false }), timed);
    const noEnable = domain.replace("    <boot dev='hd'/>\n", "    <bootmenu timeout='500'/>\n");
    assert.match(withBootSettings(noEnable, { devices: [], menu: true }), /<bootmenu enable='yes' timeout='500'\/>/);
  });

  it('works on a definition written on one line', () => {
    const flat = "<domain><os><type>hvm</type><boot dev='hd'/></os><devices/></domain>";
    assert.equal(
      withBootSettings(flat, { devices: ['hd', 'cdrom'], menu: true }),
      "<domain><os><type>hvm</type><boot dev='hd'/><boot dev='cdrom'/><bootmenu enable='yes'/></os><devices/></domain>",
    );
    assert.throws(() => withBootSettings('<domain/>', { devices: [], menu: false }), /no <os>/);
  });
});

describe('what applies now and what at next boot', () => {
  const cd = (src?: string): string =>
    `<disk type='file' device='cdrom'>${src ? `<source file='${src}'/>` : ''}<target dev='sda' bus='scsi'/><readonly/></disk>`;
  const disk = (dev: string): string =>
    `<disk type='file' device='disk'><source file='/${dev}.img'/><target dev='${dev}' bus='virtio'/></disk>`;
  const nic = (mac: string): string =>
    `<interface type='network'><mac address='${mac}'/><source network='default'/><model type='virtio'/></interface>`;
  const usb = usbHostdevXml({ vendor: '0x0781', product: '0x5567' });

  it('marks devices of only one definition, and a CD whose medium differs', () => {
    const now = hardware(
      cd('/now.iso') + disk('vda') + disk('vdb') + nic('52:54:00:00:00:01') + usb,
      "<boot dev='hd'/>",
    );
    const next = hardware(
      cd() + disk('vda') + disk('vdc') + nic('52:54:00:00:00:02'),
      "<boot dev='cdrom'/><bootmenu enable='yes'/>",
    );
    const v = mergeHardware(now, next);
    assert.deepEqual(
      v.disks.map((d) => [d.target, d.place, d.nextSource]),
      [
        ['sda', 'both', ''],
        ['vda', 'both', undefined],
        ['vdb', 'now', undefined],
        ['vdc', 'next-boot', undefined],
      ],
    );
    assert.deepEqual(
      v.nics.map((n) => [n.mac, n.place]),
      [
        ['52:54:00:00:00:01', 'now'],
        ['52:54:00:00:00:02', 'next-boot'],
      ],
    );
    assert.deepEqual(v.usb, [{ vendor: '0x0781', product: '0x5567', place: 'now' }]);
    assert.deepEqual(v.boot, { devices: ['cdrom'], menu: true });
    assert.equal(v.bootChanged, true);
    assert.equal(v.running, true);
    assert.equal(v.persistent, true);
  });

  it('a guest that is off, and a transient one, have one view: everything in it is "both"', () => {
    const hw = hardware(disk('vda') + usb);
    const off = mergeHardware(undefined, hw);
    assert.deepEqual([off.running, off.persistent, off.bootChanged], [false, true, false]);
    assert.deepEqual([...off.disks.map((d) => d.place), ...off.usb.map((u) => u.place)], ['both', 'both']);
    const transient = mergeHardware(hw, undefined);
    assert.deepEqual([transient.running, transient.persistent], [true, false]);
    assert.deepEqual(
      transient.disks.map((d) => d.place),
      ['both'],
    );
  });
});
