import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RigError } from './errors.js';
import { run, runSync, type ExecResult } from './exec.js';
import { ensureGuestImage, rigCacheDir, type GuestImage } from './image.js';
import { ensureLibvirtd } from './libvirtd.js';

export const SYSTEM_URI = 'qemu:///system';

/** Every test guest's name starts with this, then the owning process id and a dash. */
export const NAME_PREFIX = 'vst';
const OWNED = /^vst(\d+)-/;

export interface GuestOptions {
  /** Suffix of the domain name; the rig adds its own prefix. May hold any characters. */
  name: string;
  /**
   * 'vnc' listens on 127.0.0.1 TCP, 'vnc-unix' on a unix socket, 'vnc-none' nowhere (listen type='none'),
   * 'none' has no graphics; 'spice'
   * is a SPICE-only guest as virt-manager makes them (SPICE on 127.0.0.1, QXL video, the agent
   * channel), 'spice-unix' the same listening on a unix socket.
   */
  graphics?: 'vnc' | 'vnc-unix' | 'vnc-none' | 'spice' | 'spice-unix' | 'none';
  /** Ask QEMU for its own VNC-over-WebSocket listener too. */
  websocket?: boolean;
  /** The display's password (VNC or SPICE; for VNC at most 8 characters count). */
  vncPassword?: string;
  /** Attach a small qcow2 disk, so internal snapshots can be taken. */
  disk?: boolean;
  /** Attach this existing qcow2 file as the disk instead (e.g. a volume in a pool). */
  diskPath?: string;
  memoryMiB?: number;
  maxMemoryMiB?: number;
  vcpus?: number;
  maxVcpus?: number;
  /** Start it right after defining (default true). */
  start?: boolean;
  /** A CD-ROM drive (sda on virtio-scsi), empty or with this file inserted. */
  cdrom?: true | string;
  /** The virtio-serial channel QEMU's guest agent talks on (the guest image starts qemu-ga on it). */
  agent?: boolean;
  /** A network card on this libvirt network (virtio). */
  network?: string;
  /** A named CPU model (custom mode, no fallback) instead of QEMU's default CPU. */
  cpuModel?: string;
}

export interface TestGuest {
  /** The full libvirt domain name, prefix included. */
  name: string;
  uuid: string;
  /** The file the guest's serial port is logged to (appended across restarts). */
  serialPath: string;
  options: GuestOptions;
}

function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** The domain XML of a test guest: TCG, 256 MiB, VGA, serial as a pty logged to a file. */
export function testDomainXml(
  g: { name: string; uuid: string; serialPath: string; diskPath?: string; vncSocket?: string },
  o: GuestOptions,
  image: GuestImage,
): string {
  const mem = o.memoryMiB ?? 256;
  const maxMem = Math.max(o.maxMemoryMiB ?? mem, mem);
  const vcpus = o.vcpus ?? 1;
  const maxVcpus = Math.max(o.maxVcpus ?? vcpus, vcpus);
  const nameB64 = Buffer.from(g.name).toString('base64');
  const graphics = o.graphics ?? 'vnc';
  const ws = `${o.websocket ? " websocket='-1'" : ''}${o.vncPassword !== undefined ? ` passwd='${xmlEscape(o.vncPassword)}'` : ''}`;
  const spiceListen =
    graphics === 'spice-unix' ? `<listen type='socket'/>` : `<listen type='address' address='127.0.0.1'/>`;
  const spice = `<graphics type='spice'${graphics === 'spice' ? " autoport='yes' listen='127.0.0.1'" : ''}${o.vncPassword !== undefined ? ` passwd='${xmlEscape(o.vncPassword)}'` : ''}>${spiceListen}</graphics><video><model type='qxl'/></video><channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>`;
  const gfx =
    graphics === 'spice' || graphics === 'spice-unix'
      ? spice
      : graphics === 'none'
        ? ''
        : graphics === 'vnc-none'
          ? `<graphics type='vnc'><listen type='none'/></graphics><video><model type='vga'/></video>`
          : graphics === 'vnc-unix'
            ? // Without a path libvirt makes the socket in the guest's own folder, where QEMU (user
              // libvirt-qemu) may create it; the rig's run folder belongs to root.
              `<graphics type='vnc'><listen type='socket'${g.vncSocket ? ` socket='${xmlEscape(g.vncSocket)}'` : ''}/></graphics><video><model type='vga'/></video>`
            : `<graphics type='vnc' autoport='yes' listen='127.0.0.1'${ws}><listen type='address' address='127.0.0.1'/></graphics><video><model type='vga'/></video>`;
  const disk = g.diskPath
    ? `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${xmlEscape(g.diskPath)}'/><target dev='vda' bus='virtio'/></disk>`
    : '';
  const cdrom = o.cdrom
    ? `<controller type='scsi' model='virtio-scsi'/><disk type='file' device='cdrom'><driver name='qemu' type='raw'/>${o.cdrom === true ? '' : `<source file='${xmlEscape(o.cdrom)}'/>`}<target dev='sda' bus='scsi'/><readonly/></disk>`
    : '';
  const agent = o.agent ? `<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>` : '';
  const nic = o.network
    ? `<interface type='network'><source network='${xmlEscape(o.network)}'/><model type='virtio'/></interface>`
    : '';
  const cpu = o.cpuModel
    ? `<cpu mode='custom' match='exact' check='partial'><model fallback='forbid'>${xmlEscape(o.cpuModel)}</model></cpu>`
    : '';
  return `<domain type='qemu'>
  <name>${xmlEscape(g.name)}</name>
  <uuid>${g.uuid}</uuid>
  <metadata><virtswitch-test xmlns='https://virtswitch.invalid/test'/></metadata>
  <memory unit='MiB'>${maxMem}</memory>
  <currentMemory unit='MiB'>${mem}</currentMemory>
  <vcpu current='${vcpus}'>${maxVcpus}</vcpu>${cpu}
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${xmlEscape(image.kernel)}</kernel>
    <initrd>${xmlEscape(image.initrd)}</initrd>
    <cmdline>console=tty1 console=ttyS0 nokaslr no_timer_check vsname=${nameB64}</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    ${disk}${cdrom}${agent}${nic}
    <serial type='pty'><log file='${xmlEscape(g.serialPath)}' append='on'/><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    ${gfx}
    <memballoon model='virtio'/>
  </devices>
</domain>
`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeDomainSync(name: string): void {
  runSync('virsh', ['-c', SYSTEM_URI, 'destroy', name]);
  runSync('virsh', ['-c', SYSTEM_URI, 'undefine', name, '--managed-save', '--snapshots-metadata', '--nvram']);
}

/** Removes test guests left behind by test processes that died without cleaning up. */
function removeStaleGuests(): void {
  const r = runSync('virsh', ['-c', SYSTEM_URI, 'list', '--all', '--name']);
  for (const name of r.stdout.split('\n').map((s) => s.trim())) {
    const m = OWNED.exec(name);
    if (m && !pidAlive(Number(m[1]))) removeDomainSync(name);
  }
}

/**
 * The suite's handle on libvirt: defines, starts, stops and undefines guests whose names carry this
 * process's own prefix, and nothing else. Cleans up on `cleanup()` and, failing that, at exit.
 */
export class TestRig {
  readonly prefix = `${NAME_PREFIX}${process.pid}-`;
  readonly runDir: string;
  private readonly guests = new Map<string, TestGuest>();
  private readonly exitHook = (): void => this.cleanupSync();

  private constructor(
    readonly socketPath: string,
    readonly image: GuestImage,
  ) {
    this.runDir = join(rigCacheDir(), `run-${process.pid}`);
    mkdirSync(this.runDir, { recursive: true });
    chmodSync(this.runDir, 0o755);
    process.once('exit', this.exitHook);
  }

  static async start(): Promise<TestRig> {
    const socket = await ensureLibvirtd();
    const image = ensureGuestImage();
    removeStaleGuests();
    return new TestRig(socket, image);
  }

  /** virsh against the system daemon; rejects with virsh's own error text on failure. */
  async virsh(...args: string[]): Promise<string> {
    const r = await this.virshResult(...args);
    if (r.code !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout;
  }

  virshResult(...args: string[]): Promise<ExecResult> {
    return run('virsh', ['-c', SYSTEM_URI, ...args]);
  }

  async define(options: GuestOptions): Promise<TestGuest> {
    const name = this.prefix + options.name;
    const uuid = randomUUID();
    const serialPath = join(this.runDir, `${uuid}.serial`);
    writeFileSync(serialPath, '');
    let diskPath = options.diskPath;
    if (options.disk && !diskPath) {
      diskPath = join(this.runDir, `${uuid}.qcow2`);
      const r = await run('qemu-img', ['create', '-q', '-f', 'qcow2', diskPath, '32M']);
      if (r.code !== 0) throw new RigError(`qemu-img failed: ${r.stderr.trim()} (apt-get install qemu-utils)`);
    }
    const xml = testDomainXml({ name, uuid, serialPath, diskPath }, options, this.image);
    const xmlPath = join(this.runDir, `${uuid}.xml`);
    writeFileSync(xmlPath, xml);
    const guest: TestGuest = { name, uuid, serialPath, options };
    this.guests.set(uuid, guest);
    await this.virsh('define', xmlPath);
    if (options.start ?? true) await this.start(guest);
    return guest;
  }

  async start(g: TestGuest): Promise<void> {
    await this.virsh('start', g.uuid);
  }

  /** The serial log so far (everything the guest printed on ttyS0, across restarts). */
  serial(g: TestGuest): string {
    return existsSync(g.serialPath) ? readFileSync(g.serialPath, 'latin1') : '';
  }

  /** Waits until the serial log contains the text (or matches), counting only output after `from`. */
  async waitForSerial(g: TestGuest, pattern: string | RegExp, timeoutMs = 90_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.serial(g).slice(from);
      if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
      if (Date.now() > deadline) {
        throw new Error(
          `guest ${g.name}: ${String(pattern)} did not appear on its serial port within ${timeoutMs} ms; last output: ${JSON.stringify(text.slice(-300))}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the guest's boot banner, which /init prints once the shells are about to start. */
  async waitForBoot(g: TestGuest, from = 0): Promise<void> {
    await this.waitForSerial(g, `virtswitch test guest: ${g.name}`, 120_000, from);
  }

  /** libvirt's state words as virsh prints them: "running", "shut off", "paused", … */
  async domstate(g: TestGuest): Promise<string> {
    return (await this.virsh('domstate', g.uuid)).trim();
  }

  async waitForState(g: TestGuest, state: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const r = await this.virshResult('domstate', g.uuid);
      last = r.code === 0 ? r.stdout.trim() : r.stderr.trim();
      if (last === state) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`guest ${g.name}: state is "${last}", not "${state}", after ${timeoutMs} ms`);
  }

  async remove(g: TestGuest): Promise<void> {
    await this.virshResult('destroy', g.uuid);
    await this.virshResult('undefine', g.uuid, '--managed-save', '--snapshots-metadata', '--nvram');
    this.guests.delete(g.uuid);
  }

  /** Destroys and undefines every guest this rig made (and any other with its prefix). */
  async cleanup(): Promise<void> {
    const listed = await this.virshResult('list', '--all', '--name');
    const names = new Set(
      listed.stdout
        .split('\n')
        .map((s) => s.trim())
        .filter((n) => n.startsWith(this.prefix)),
    );
    for (const g of this.guests.values()) names.add(g.uuid);
    for (const n of names) {
      await this.virshResult('destroy', n);
      await this.virshResult('undefine', n, '--managed-save', '--snapshots-metadata', '--nvram');
    }
    this.guests.clear();
    rmSync(this.runDir, { recursive: true, force: true });
    process.removeListener('exit', this.exitHook);
  }

  private cleanupSync(): void {
    for (const g of this.guests.values()) removeDomainSync(g.uuid);
    rmSync(this.runDir, { recursive: true, force: true });
  }
}
