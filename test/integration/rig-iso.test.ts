/** The rig's installer ISO: an ISO 9660 image with its volume ID that boots the busybox guest from CD-ROM. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ISO_PVD_END, readIsoIdentifiers } from '../../common/iso9660.js';
import { TestRig } from '../rig/guests.js';
import { ensureInstallerIso, ISO_MARKER, ISO_VOLUME_ID } from '../rig/iso.js';
import { waitFor } from '../rig/wait.js';

describe('test rig: bootable installer ISO', () => {
  let rig: TestRig;
  const name = (): string => `${rig.prefix}iso-boot`;
  before(async () => {
    rig = await TestRig.start();
  });
  after(async () => {
    await rig.virshResult('destroy', name());
    await rig.virshResult('undefine', name());
    await rig?.cleanup();
  });

  it('is an ISO 9660 image with the rig volume ID, cached between builds', () => {
    const iso = ensureInstallerIso();
    assert.equal(ensureInstallerIso(), iso);
    const head = Buffer.alloc(ISO_PVD_END);
    const fd = openSync(iso, 'r');
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    assert.equal(readIsoIdentifiers(head)?.volumeId, ISO_VOLUME_ID);
  });

  it('boots from a CD-ROM under TCG and prints its marker on the serial port', async () => {
    const iso = ensureInstallerIso();
    const serial = join(rig.runDir, 'iso-boot.serial');
    writeFileSync(serial, '');
    const xml = `<domain type='qemu'><name>${name()}</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>
      <os><type arch='x86_64' machine='q35'>hvm</type><boot dev='cdrom'/></os><features><acpi/></features>
      <devices><disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='${iso}'/>
      <target dev='sda' bus='sata'/><readonly/></disk>
      <serial type='pty'><log file='${serial}' append='on'/><target port='0'/></serial>
      <graphics type='vnc' autoport='yes' listen='127.0.0.1'/><video><model type='vga'/></video></devices></domain>`;
    const xmlPath = join(rig.runDir, 'iso-boot.xml');
    writeFileSync(xmlPath, xml);
    await rig.virsh('define', xmlPath);
    await rig.virsh('start', name());
    await waitFor(
      'the ISO guest’s marker on its serial port',
      () => readFileSync(serial, 'utf8').includes(ISO_MARKER),
      120_000,
    );
  });
});
