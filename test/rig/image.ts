import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RigError } from './errors.js';
import { AGENT_INIT, agentDirs, agentFiles } from './image-agent.js';

/**
 * The tiny test guest (docs/architecture.md, "The test rig"): a Debian kernel from /boot booted
 * directly with an initramfs built from busybox-static. Its /init prints the guest's name on the VGA console and the serial
 * port, runs a shell on tty1 (what VNC shows) and one on ttyS0 (serial), and powers off on the
 * ACPI power button so that a graceful shutdown can be tested.
 */
export interface GuestImage {
  kernel: string;
  initrd: string;
}

/** Where built images live: world-traversable, because QEMU runs as libvirt-qemu, not root. */
export function rigCacheDir(): string {
  return process.env.VIRTSWITCH_RIG_CACHE ?? join(tmpdir(), `virtswitch-rig-${process.getuid?.() ?? 0}`);
}

/** Kernel modules the guest loads, in dependency order, with their paths under kernel/. */
const MODULES: readonly [string, string][] = [
  ['evdev', 'drivers/input/evdev.ko'],
  ['button', 'drivers/acpi/button.ko'],
  ['virtio_ring', 'drivers/virtio/virtio_ring.ko'],
  ['virtio', 'drivers/virtio/virtio.ko'],
  ['virtio_pci_modern_dev', 'drivers/virtio/virtio_pci_modern_dev.ko'],
  ['virtio_pci_legacy_dev', 'drivers/virtio/virtio_pci_legacy_dev.ko'],
  ['virtio_pci', 'drivers/virtio/virtio_pci.ko'],
  ['virtio_balloon', 'drivers/virtio/virtio_balloon.ko'],
  // Disks (vdb appears when one is attached), the agent's port, a network card, a CD drive.
  ['virtio_blk', 'drivers/block/virtio_blk.ko'],
  ['virtio_console', 'drivers/char/virtio_console.ko'],
  ['failover', 'net/core/failover.ko'],
  ['net_failover', 'drivers/net/net_failover.ko'],
  ['virtio_net', 'drivers/net/virtio_net.ko'],
  ['scsi_common', 'drivers/scsi/scsi_common.ko'],
  ['scsi_mod', 'drivers/scsi/scsi_mod.ko'],
  ['virtio_scsi', 'drivers/scsi/virtio_scsi.ko'],
  ['cdrom', 'drivers/cdrom/cdrom.ko'],
  ['sr_mod', 'drivers/scsi/sr_mod.ko'],
];

const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin HOME=/ PS1='# '
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in ${MODULES.map(([m]) => m).join(' ')}; do
  insmod /lib/$m.ko
done
name=$(sed -n 's/.*vsname=\\([^ ]*\\).*/\\1/p' /proc/cmdline | base64 -d)
hostname "$(echo "$name" | tr -c 'A-Za-z0-9\\n' '-' | cut -c1-63)"
# The ACPI power button arrives as a key on its own input device: any event from it powers off.
# The watcher opens the device before the banner is printed, so a press right after boot counts.
for d in /sys/class/input/event*; do
  if grep -q 'Power Button' "$d/device/name" 2>/dev/null; then
    button=1
    ( exec 3<"/dev/input/\${d##*/}"; : > /tmp/power-button-ready; head -c 1 <&3 >/dev/null && echo 'power button: powering off' >/dev/ttyS0 && poweroff -f ) &
  fi
done
[ -n "$button" ] && while [ ! -e /tmp/power-button-ready ]; do usleep 10000; done
echo "virtswitch test guest: $name" > /dev/tty1
echo "virtswitch test guest: $name" > /dev/ttyS0
${AGENT_INIT}
setsid sh -c 'exec sh </dev/tty1 >/dev/tty1 2>&1' &
setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1' &
while true; do sleep 3600; done
`;

/** The newest kernel in /boot, with its module folder. */
export function findKernel(boot = process.env.VIRTSWITCH_BOOT_DIR ?? '/boot'): { kernel: string; release: string } {
  let names: string[] = [];
  try {
    names = readdirSync(boot).filter((n) => n.startsWith('vmlinuz-'));
  } catch {
    /* no /boot at all: handled below */
  }
  names.sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
  const name = names[0];
  if (!name) throw new RigError(`no kernel in ${boot}: apt-get install linux-image-amd64`);
  return { kernel: join(boot, name), release: name.slice('vmlinuz-'.length) };
}

/** True when the ELF file has no program interpreter, i.e. it is statically linked. */
function isStaticElf(bytes: Buffer): boolean {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2) return false;
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const phentsize = bytes.readUInt16LE(0x36);
  const phnum = bytes.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > bytes.length) return false;
    if (bytes.readUInt32LE(off) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

function findModule(release: string, rel: string): string {
  const base = join('/lib/modules', release, 'kernel', rel);
  if (existsSync(base)) return base;
  throw new RigError(
    `kernel module ${rel} for ${release} is missing (compressed modules are not supported): apt-get install --reinstall linux-image-${release}`,
  );
}

interface CpioEntry {
  name: string;
  mode: number; // full st_mode, type bits included
  data?: Buffer;
  rdev?: [number, number];
}

/** An initramfs archive in the "newc" cpio format the kernel unpacks. */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  let ino = 1;
  const push = (e: CpioEntry): void => {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${e.name}\0`);
    const header =
      '070701' +
      hex(ino++) +
      hex(e.mode) +
      hex(0) +
      hex(0) +
      hex(1) +
      hex(0) +
      hex(data.length) +
      hex(0) +
      hex(0) +
      hex(e.rdev?.[0] ?? 0) +
      hex(e.rdev?.[1] ?? 0) +
      hex(name.length) +
      hex(0);
    const h = Buffer.from(header, 'ascii');
    parts.push(h, name, pad4(h.length + name.length), data, pad4(data.length));
  };
  for (const e of entries) push(e);
  push({ name: 'TRAILER!!!', mode: 0 });
  return Buffer.concat(parts);
}

const DIR = 0o040755;
const FILE = 0o100644;
const EXEC = 0o100755;
const CHR = 0o020600;

export function ensureGuestImage(): GuestImage {
  const { kernel, release } = findKernel();
  const busyboxPath = '/bin/busybox';
  if (!existsSync(busyboxPath)) throw new RigError('busybox is not installed: apt-get install busybox-static');
  const busybox = readFileSync(busyboxPath);
  if (!isStaticElf(busybox)) throw new RigError('/bin/busybox is dynamically linked: apt-get install busybox-static');
  // The power button (ACPI) and a balloon driver, so graceful shutdown and live memory changes work.
  const modules = MODULES.map(([name, rel]) => ({ name, data: readFileSync(findModule(release, rel)) }));

  const agent = agentFiles();
  const hash = createHash('sha256').update(INIT_SCRIPT).update(busybox).update(release);
  for (const m of modules) hash.update(m.data);
  for (const f of agent) hash.update(f.name).update(f.data);
  const key = hash.digest('hex').slice(0, 16);
  const dir = join(rigCacheDir(), `guest-${key}`);
  const initrd = join(dir, 'initrd.gz');
  if (existsSync(initrd) && statSync(initrd).size > 0) return { kernel, initrd };

  mkdirSync(dir, { recursive: true });
  chmodSync(rigCacheDir(), 0o755);
  chmodSync(dir, 0o755);
  const archive = cpioNewc([
    ...['bin', 'dev', 'proc', 'sys', 'etc', 'tmp', 'lib'].map((name) => ({ name, mode: DIR })),
    { name: 'dev/console', mode: CHR, rdev: [5, 1] },
    { name: 'bin/busybox', mode: EXEC, data: busybox },
    ...modules.map((m) => ({ name: `lib/${m.name}.ko`, mode: FILE, data: m.data })),
    ...agentDirs(agent)
      .filter((d) => d !== 'bin' && d !== 'lib')
      .map((name) => ({ name, mode: DIR })),
    ...agent,
    { name: 'init', mode: EXEC, data: Buffer.from(INIT_SCRIPT) },
  ]);
  const tmp = `${initrd}.${process.pid}.tmp`;
  writeFileSync(tmp, gzipSync(archive, { level: 6 }), { mode: 0o644 });
  renameSync(tmp, initrd);
  return { kernel, initrd };
}
