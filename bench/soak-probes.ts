/**
 * What the soak counts before and after: this process's file descriptors and sockets, its ssh
 * children, the VNC clients QEMU itself has (`info vnc` through the host's monitor), the
 * renderer's resident memory, and whether the app's model agrees with what virsh says.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { App } from '../main/app/api.js';
import type { TestGuest } from '../test/rig/guests.js';
import type { SecondHost } from '../test/rig/second-host.js';

export interface Leaks {
  fds: number;
  sockets: number;
  ssh: number;
  /** QEMU-side VNC clients, summed over the guests. */
  qemuVncClients: number;
}

function ownFds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed while listing (the listing's own descriptor among them)
    }
  }
  return out;
}

function childrenNamed(name: string): number {
  let n = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && stat.includes(`(${name})`)) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/** How many VNC clients QEMU has for one guest, from its monitor. */
export async function qemuVncClients(host: SecondHost, g: TestGuest): Promise<number> {
  const out = await host.virsh('qemu-monitor-command', g.uuid, '--hmp', 'info vnc');
  return out.split('\n').filter((l) => /^\s*Client:/.test(l)).length;
}

export async function countLeaks(host: SecondHost, guests: readonly TestGuest[]): Promise<Leaks> {
  const fds = ownFds();
  let qemu = 0;
  for (const g of guests) qemu += await qemuVncClients(host, g);
  return {
    fds: fds.length,
    sockets: fds.filter((f) => f.startsWith('socket:')).length,
    ssh: childrenNamed('ssh'),
    qemuVncClients: qemu,
  };
}

/** Every renderer process of the browser this process launched. */
function rendererPids(): number[] {
  const out: number[] = [];
  const walk = (pid: number): void => {
    let children: number[];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    } catch {
      return;
    }
    for (const c of children) {
      try {
        const cmd = readFileSync(`/proc/${c}/cmdline`, 'utf8');
        if (cmd.includes('--type=renderer') && !cmd.includes('--extension-process')) out.push(c);
      } catch {
        continue;
      }
      walk(c);
    }
  };
  walk(process.pid);
  return out;
}

export function rendererMemoryMb(): number {
  let kb = 0;
  for (const pid of rendererPids()) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += m ? Number(m[1]) : 0;
    } catch {
      // exited meanwhile
    }
  }
  return kb / 1024;
}

/** virsh's state words → libvirt's names, as the model keeps them. */
const VIRSH_STATE: Record<string, string> = { 'shut off': 'shutoff', 'in shutdown': 'shutdown' };

/** Where the app's model and virsh disagree about the host's guests (empty when they agree). */
export async function modelMismatches(app: App, uri: string, host: SecondHost): Promise<string[]> {
  const out: string[] = [];
  const listed = (await host.virsh('list', '--all', '--uuid'))
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  const model = app.hosts.get(uri).guestList();
  const known = new Set(model.map((g) => g.uuid));
  for (const u of listed) if (!known.has(u)) out.push(`${u}: listed by virsh, missing from the model`);
  for (const g of model) {
    if (!listed.includes(g.uuid)) {
      out.push(`${g.name}: in the model, not listed by virsh`);
      continue;
    }
    const st = (await host.virsh('domstate', g.uuid)).trim();
    if ((VIRSH_STATE[st] ?? st) !== g.state) out.push(`${g.name}: model says ${g.state}, virsh says ${st}`);
    const name = (await host.virsh('domname', g.uuid)).trim();
    if (name !== g.name) out.push(`${g.uuid}: model names it ${g.name}, virsh ${name}`);
    if (g.refreshError) out.push(`${g.name}: ${g.refreshError}`);
  }
  return out;
}
