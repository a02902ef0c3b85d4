/**
 * A host's panel of details: CPU, its virtualisation (and what to do when KVM is missing),
 * memory, versions and guests, as that host's libvirt tells them when the panel opens.
 */
import type { Bridge } from '../../../common/contract.js';
import type { HostDetails } from '../../../common/host-details.js';
import { showModal } from './dialogs.js';
import { formatBytes, h } from './dom.js';

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The rows of the panel: a label, the value in words, and a name tests and styles can find it by. */
export function hostDetailRows(d: HostDetails): [fact: string, label: string, value: string][] {
  const v = d.virtualization;
  const usedPct = d.memoryKiB ? Math.round(((d.memoryKiB - d.freeMemoryKiB) / d.memoryKiB) * 100) : 0;
  return [
    ['hostname', 'Host name', d.hostname],
    ['cpu-model', 'CPU', [d.cpuVendor, d.cpuModel].filter(Boolean).join(' ') + (d.mhz ? `, ${d.mhz} MHz` : '')],
    [
      'topology',
      'CPUs',
      `${plural(d.cpus, 'logical CPU')}: ${plural(d.sockets, 'socket')}, ${plural(d.cores, 'core')} per socket, ` +
        `${plural(d.threads, 'thread')} per core${d.numaNodes > 1 ? `, ${d.numaNodes} NUMA cells` : ''}`,
    ],
    ['hardware-virt', 'Hardware virtualization', v.cpu === 'none' ? 'none shown by the CPU' : v.cpu],
    ['kvm', 'KVM (/dev/kvm)', v.kvm ? 'usable' : 'not usable'],
    ['guests-run', 'Guests run with', v.summary],
    [
      'memory',
      'Memory',
      `${formatBytes(d.memoryKiB)} total, ${formatBytes(d.freeMemoryKiB)} free (${usedPct}% in use)`,
    ],
    ['libvirt', 'libvirt', d.libvirtVersion],
    ['hypervisor', 'Hypervisor', `${d.hypervisor} ${d.hypervisorVersion}`],
    ['guests', 'Guests', `${d.guestsRunning} active (running or paused), ${d.guestsDefined} defined`],
  ];
}

function render(d: HostDetails): HTMLElement[] {
  const list = h(
    'dl',
    { className: 'host-details', 'aria-label': 'Host details' },
    ...hostDetailRows(d).flatMap(([fact, label, value]) => [h('dt', {}, label), h('dd', { 'data-fact': fact }, value)]),
  );
  list.dataset.memoryKib = String(d.memoryKiB);
  list.dataset.freeKib = String(d.freeMemoryKiB);
  const v = d.virtualization;
  const fix = v.fix
    ? h(
        'div',
        { className: 'host-kvm-fix', role: 'note', 'aria-label': 'How to get KVM' },
        h('strong', {}, 'To get KVM: '),
        v.fix,
        v.why ? h('small', {}, `libvirt says: ${v.why}`) : null,
      )
    : null;
  return fix ? [list, fix] : [list];
}

export function hostDetailsDialog(bridge: Bridge, host: string, label: string): void {
  const body = h('div', { className: 'host-details-body' }, h('p', { className: 'muted' }, 'Asking the host…'));
  const refresh = h('button', { type: 'button' }, 'Refresh');
  const load = (): void => {
    refresh.disabled = true;
    bridge.invoke('host.details', { host }).then(
      (d) => {
        body.replaceChildren(...render(d));
        body.dataset.loaded = 'true';
        refresh.disabled = false;
      },
      (e: unknown) => {
        refresh.disabled = false;
        const why = e instanceof Error ? e.message : String(e);
        body.replaceChildren(h('p', { className: 'error-text', role: 'alert' }, `Could not read the details: ${why}`));
      },
    );
  };
  refresh.addEventListener('click', load);
  showModal({
    title: `Host details: ${label}`,
    testid: 'host-details',
    wide: true,
    body: [body, h('div', { className: 'buttons' }, refresh)],
  });
  load();
}
