import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { parseDomainCaps, type DomainCaps } from '../../main/guests/domcaps.js';
import { OsCatalog, type OsProfile } from '../../main/guests/os-catalog.js';
import { planGuest, type GuestChoices } from '../../main/guests/plan.js';
import { buildDomainXml } from '../../main/guests/domain-builder.js';

const fixture = (name: string): DomainCaps =>
  parseDomainCaps(readFileSync(new URL(`./fixtures/guests/${name}`, import.meta.url), 'utf8'));
const parse = (xml: string): Record<string, unknown> =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    isArray: (n) => ['disk', 'boot', 'feature', 'timer'].includes(n),
  }).parse(xml) as Record<string, unknown>;
type X = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const choices = (over: Partial<GuestChoices> = {}): GuestChoices => ({
  name: 'guest',
  memoryMiB: 2048,
  vcpus: 2,
  disk: { pool: 'default', volume: 'guest.qcow2', format: 'qcow2' },
  cdrom: { pool: 'isos', volume: 'installer.iso' },
  network: { kind: 'network', source: 'default' },
  ...over,
});

describe('domain capabilities (recorded from libvirt 9.0)', () => {
  it('reads firmware, Secure Boot, TPM and Hyper-V support', () => {
    const q35 = fixture('domcaps-qemu-q35.xml');
    assert.deepEqual(
      [q35.virtType, q35.machine, q35.efi, q35.secureBoot, q35.tpm2, q35.hyperv],
      ['qemu', 'pc-q35-7.2', true, true, true, true],
    );
    assert.ok(q35.diskBuses.includes('virtio') && q35.diskBuses.includes('sata'));
    const pc = fixture('domcaps-qemu-pc.xml');
    assert.deepEqual([pc.machine, pc.efi, pc.secureBoot], ['pc-i440fx-7.2', true, false]);
    const bare = fixture('domcaps-qemu-q35-no-ovmf-swtpm.xml');
    assert.deepEqual([bare.efi, bare.secureBoot, bare.tpm2], [false, false, false]);
    assert.equal(fixture('domcaps-kvm-q35.xml').virtType, 'kvm');
    assert.throws(() => parseDomainCaps('<capabilities/>'), /not a domainCapabilities/);
  });
});

describe('new guest XML', () => {
  let catalog: OsCatalog;
  let win11: OsProfile;
  let win10: OsProfile;
  let debian: OsProfile;
  before(async () => {
    catalog = await OsCatalog.load();
    win11 = catalog.get('http://microsoft.com/win/11')!;
    win10 = catalog.get('http://microsoft.com/win/10')!;
    debian = catalog.get('http://debian.org/debian/11')!;
  });

  it('Linux: virtio disk and NIC, serial console, guest-agent channel, UTC, by pool and volume', () => {
    const plan = planGuest(debian, fixture('domcaps-kvm-q35.xml'), choices());
    assert.deepEqual(plan.notices, []);
    const xml = buildDomainXml(plan);
    const d = parse(xml)['domain'] as X;
    assert.equal(d['@type'], 'kvm');
    assert.equal(d.os['@firmware'], undefined, 'Debian 11 in the database names no UEFI need: BIOS');
    assert.deepEqual(
      d.os.boot.map((b: X) => b['@dev']),
      ['cdrom', 'hd'],
    );
    const [disk, cd] = d.devices.disk as [X, X];
    assert.deepEqual(
      [disk.target['@bus'], disk.target['@dev'], disk.source['@pool'], disk.source['@volume']],
      ['virtio', 'vda', 'default', 'guest.qcow2'],
    );
    assert.deepEqual([cd['@device'], cd.target['@bus'], cd.source['@volume']], ['cdrom', 'sata', 'installer.iso']);
    assert.equal(d.devices.interface.model['@type'], 'virtio');
    assert.equal(d.devices.channel.target['@name'], 'org.qemu.guest_agent.0');
    assert.ok(d.devices.serial && d.devices.console);
    assert.equal(d.clock['@offset'], 'utc');
    assert.equal(d.features.hyperv, undefined);
    assert.ok(d.metadata['libosinfo:libosinfo'], 'the OS is recorded as virt-manager does');
    assert.doesNotMatch(xml, /\/usr\/share|OVMF|\.fd/, 'no firmware path');
  });

  it('Windows 11: UEFI with Secure Boot (SMM on), TPM 2.0, SATA + e1000e, Hyper-V, local time', () => {
    const plan = planGuest(win11, fixture('domcaps-kvm-q35.xml'), choices());
    const d = parse(buildDomainXml(plan))['domain'] as X;
    assert.equal(d.os['@firmware'], 'efi');
    const features = Object.fromEntries((d.os.firmware.feature as X[]).map((f) => [f['@name'], f['@enabled']]));
    assert.deepEqual(features, { 'secure-boot': 'yes', 'enrolled-keys': 'yes' });
    assert.equal(d.features.smm['@state'], 'on');
    assert.deepEqual(
      [d.devices.tpm['@model'], d.devices.tpm.backend['@type'], d.devices.tpm.backend['@version']],
      ['tpm-crb', 'emulator', '2.0'],
    );
    assert.equal(d.devices.disk[0].target['@bus'], 'sata');
    assert.equal(d.devices.interface.model['@type'], 'e1000e');
    assert.equal(d.features.hyperv.relaxed['@state'], 'on');
    assert.equal(d.clock['@offset'], 'localtime');
    assert.ok((d.clock.timer as X[]).some((t) => t['@name'] === 'hypervclock'));
    assert.equal(d.devices.channel, undefined, 'no guest-agent channel for Windows without drivers');
    assert.deepEqual(
      plan.notices.filter((n) => /ovmf|swtpm/.test(n)),
      [],
    );
  });

  it('Windows 11 on a host without ovmf and swtpm: says which packages to install, and does without', () => {
    const plan = planGuest(win11, fixture('domcaps-qemu-q35-no-ovmf-swtpm.xml'), choices());
    assert.ok(
      plan.notices.some((n) => /install the ovmf package/.test(n) && /cannot boot/.test(n)),
      plan.notices.join('\n'),
    );
    assert.ok(plan.notices.some((n) => /TPM 2\.0: install the swtpm package/.test(n)));
    assert.ok(plan.notices.some((n) => /emulated, and slow/.test(n)));
    const d = parse(buildDomainXml(plan))['domain'] as X;
    assert.equal(d.os['@firmware'], undefined);
    assert.equal(d.devices.tpm, undefined);
    assert.equal(d.features.hyperv, undefined, 'no enlightenments under emulation');
  });

  it('Windows 11 on an i440fx machine: UEFI, but Secure Boot needs q35 and the notice says so', () => {
    const plan = planGuest(win11, fixture('domcaps-qemu-pc.xml'), choices());
    assert.deepEqual([plan.firmware, plan.secureBoot, plan.tpm], ['uefi', false, true]);
    assert.ok(plan.notices.some((n) => /Secure Boot: install the ovmf package/.test(n)));
    const d = parse(buildDomainXml(plan))['domain'] as X;
    assert.equal(d.devices.tpm['@model'], 'tpm-tis');
  });

  it('Windows with a virtio-win ISO: virtio disk and NIC, the ISO as a second CD-ROM', () => {
    const virtioWin = { pool: 'isos', volume: 'virtio-win.iso' };
    const plan = planGuest(win10, fixture('domcaps-kvm-q35.xml'), choices({ virtioWin }));
    const d = parse(buildDomainXml(plan))['domain'] as X;
    const disks = d.devices.disk as [X, ...X[]];
    assert.equal(disks[0].target['@bus'], 'virtio');
    assert.deepEqual(
      disks.slice(1).map((x) => [x['@device'], x.source['@volume'], x.target['@dev']]),
      [
        ['cdrom', 'installer.iso', 'sda'],
        ['cdrom', 'virtio-win.iso', 'sdb'],
      ],
    );
    assert.equal(d.devices.interface.model['@type'], 'virtio');
    assert.equal(d.os['@firmware'], undefined, 'Windows 10 keeps BIOS unless asked');
  });

  it("the user's choices win; names and sources are escaped; no network, network boot, bridge", () => {
    const generic = catalog.generic('other');
    const plan = planGuest(generic, fixture('domcaps-qemu-q35.xml'), {
      ...choices({ name: `a'<b>&"c`, cdrom: undefined, networkBoot: true }),
      firmware: 'uefi',
      tpm: true,
      network: { kind: 'bridge', source: "br0'" },
    });
    const xml = buildDomainXml(plan);
    const d = parse(xml)['domain'] as X;
    assert.equal(d.name, `a'<b>&"c`);
    assert.deepEqual([d.os['@firmware'], d.devices.tpm['@model']], ['efi', 'tpm-crb']);
    assert.deepEqual(
      d.os.boot.map((b: X) => b['@dev']),
      ['network', 'hd'],
    );
    assert.equal(d.devices.interface['@type'], 'bridge');
    assert.equal(d.devices.interface.source['@bridge'], "br0'");
    assert.equal(d.metadata, undefined, 'generic OSes record no osinfo id');
    const none = parse(
      buildDomainXml(planGuest(generic, fixture('domcaps-qemu-q35.xml'), choices({ network: { kind: 'none' } }))),
    )['domain'] as X;
    assert.equal(none.devices.interface, undefined);
  });
});
