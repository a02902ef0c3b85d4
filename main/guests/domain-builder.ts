/**
 * A new guest's domain XML from its plan. Storage is referenced by pool and volume (`type='volume'`),
 * never by path, and UEFI firmware is left to libvirt's auto-selection (`<os firmware='efi'>`), so
 * the same XML works on any host, local or remote.
 */
import type { GuestPlan, VolumeRef } from './plan.js';

export const LIBOSINFO_NS = 'http://libosinfo.org/xmlns/libvirt/domain/1.0';

export function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function volumeSource(v: VolumeRef): string {
  return `<source pool='${xmlEscape(v.pool)}' volume='${xmlEscape(v.volume)}'/>`;
}

function osSection(p: GuestPlan): string {
  const boot = p.networkBoot ? ['network', 'hd'] : p.cdrom ? ['cdrom', 'hd'] : ['hd'];
  const type = `<type arch='${xmlEscape(p.arch)}' machine='${xmlEscape(p.machine)}'>hvm</type>`;
  const boots = boot.map((d) => `<boot dev='${d}'/>`).join('');
  if (p.firmware === 'bios') return `<os>${type}${boots}</os>`;
  const sb = p.secureBoot
    ? `<feature enabled='yes' name='secure-boot'/><feature enabled='yes' name='enrolled-keys'/>`
    : `<feature enabled='no' name='secure-boot'/>`;
  return `<os firmware='efi'>${type}<firmware>${sb}</firmware>${boots}</os>`;
}

function featuresSection(p: GuestPlan): string {
  const hyperv = p.hyperv
    ? `<hyperv mode='custom'><relaxed state='on'/><vapic state='on'/><spinlocks state='on' retries='8191'/>` +
      `<vpindex state='on'/><runtime state='on'/><synic state='on'/><stimer state='on'/><reset state='on'/>` +
      `<frequencies state='on'/></hyperv>`
    : '';
  // Secure Boot firmware needs System Management Mode.
  const smm = p.secureBoot ? `<smm state='on'/>` : '';
  return `<features><acpi/><apic/>${hyperv}${smm}</features>`;
}

function clockSection(p: GuestPlan): string {
  const hv = p.hyperv ? `<timer name='hypervclock' present='yes'/>` : '';
  return (
    `<clock offset='${p.localtime ? 'localtime' : 'utc'}'><timer name='rtc' tickpolicy='catchup'/>` +
    `<timer name='pit' tickpolicy='delay'/><timer name='hpet' present='no'/>${hv}</clock>`
  );
}

function diskSection(p: GuestPlan): string {
  const out: string[] = [];
  let sata = 0;
  const sataDev = (): string => `sd${String.fromCharCode(97 + sata++)}`;
  if (p.disk) {
    const target = p.diskBus === 'virtio' ? 'vda' : sataDev();
    out.push(
      `<disk type='volume' device='disk'><driver name='qemu' type='${xmlEscape(p.disk.format)}' discard='unmap'/>` +
        `${volumeSource(p.disk)}<target dev='${target}' bus='${p.diskBus}'/></disk>`,
    );
  }
  for (const iso of [p.cdrom, p.os.kind === 'windows' ? p.virtioWin : undefined]) {
    if (!iso) continue;
    out.push(
      `<disk type='volume' device='cdrom'><driver name='qemu' type='raw'/>${volumeSource(iso)}` +
        `<target dev='${sataDev()}' bus='sata'/><readonly/></disk>`,
    );
  }
  return out.join('');
}

function deviceSection(p: GuestPlan): string {
  const parts = [diskSection(p)];
  if (p.network.kind !== 'none') {
    const src = p.network.kind === 'network' ? 'network' : 'bridge';
    parts.push(
      `<interface type='${src}'><source ${src}='${xmlEscape(p.network.source)}'/><model type='${p.nicModel}'/></interface>`,
    );
  }
  parts.push(`<controller type='usb' model='qemu-xhci'/><input type='tablet' bus='usb'/>`);
  parts.push(
    `<graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>`,
  );
  parts.push(`<video><model type='${p.video}'/></video>`);
  // Every guest gets a serial port: the serial console is how a user reaches one without graphics.
  parts.push(
    `<serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console>`,
  );
  if (p.linuxExtras) {
    parts.push(
      `<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>` +
        `<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng><memballoon model='virtio'/>`,
    );
  }
  if (p.tpm) {
    const model = /q35/.test(p.machine) ? 'tpm-crb' : 'tpm-tis';
    parts.push(`<tpm model='${model}'><backend type='emulator' version='2.0'/></tpm>`);
  }
  return `<devices>${parts.join('')}</devices>`;
}

/** The domain XML of the plan, ready for DOMAIN_DEFINE_XML_FLAGS (libvirt assigns UUID and MACs). */
export function buildDomainXml(p: GuestPlan): string {
  const osMeta = p.os.id.startsWith('generic-')
    ? ''
    : `<metadata><libosinfo:libosinfo xmlns:libosinfo='${LIBOSINFO_NS}'><libosinfo:os id='${xmlEscape(p.os.id)}'/></libosinfo:libosinfo></metadata>`;
  return [
    `<domain type='${xmlEscape(p.virtType)}'>`,
    `<name>${xmlEscape(p.name)}</name>`,
    osMeta,
    `<memory unit='MiB'>${Math.round(p.memoryMiB)}</memory>`,
    `<vcpu>${Math.round(p.vcpus)}</vcpu>`,
    osSection(p),
    featuresSection(p),
    // The host's own CPU model under KVM; QEMU's default model under emulation.
    p.virtType === 'kvm' ? `<cpu mode='host-passthrough'/>` : '',
    clockSection(p),
    `<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>`,
    deviceSection(p),
    `</domain>`,
  ].join('\n');
}
