/**
 * What the test guest needs for its guest agent and its network: Debian's qemu-guest-agent with
 * the shared libraries ldd names (and the loader), a /sbin/shutdown the agent runs for an
 * agent shutdown, and a udhcpc script that applies the lease a libvirt network's DHCP hands out.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { RigError } from './errors.js';
import { runSync } from './exec.js';

export interface ImageFile {
  name: string;
  mode: number;
  data: Buffer;
}

const AGENT = '/usr/sbin/qemu-ga';
const EXEC = 0o100755;

/** The agent starts only where the guest has its channel; it finds the port by the channel's name. */
export const AGENT_INIT = `
ifconfig lo 127.0.0.1 up
for p in /sys/class/virtio-ports/*; do
  if [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ]; then
    mkdir -p /run /var/run
    ( qemu-ga -m virtio-serial -p "/dev/\${p##*/}" -t /run >/dev/null 2>&1 & )
  fi
done
for n in /sys/class/net/eth*; do
  [ -e "$n" ] && ( udhcpc -i "\${n##*/}" -s /bin/udhcpc-apply -b -t 20 -T 1 -x hostname:"$(hostname)" >/dev/null 2>&1 & )
done
`;

const SHUTDOWN = `#!/bin/busybox sh
echo "agent: shutdown $*" > /dev/ttyS0
poweroff -f
`;

const UDHCPC_APPLY = `#!/bin/busybox sh
case "$1" in
  bound|renew)
    ifconfig "$interface" "$ip" netmask "$subnet" up
    echo "dhcp: $interface $ip" > /dev/ttyS0 ;;
  deconfig) ifconfig "$interface" 0.0.0.0 up ;;
esac
`;

/** The agent binary, its libraries and the loader, each at the path the loader looks for it. */
export function agentFiles(): ImageFile[] {
  if (!existsSync(AGENT)) throw new RigError('qemu-ga is not installed: apt-get install qemu-guest-agent');
  const ldd = runSync('ldd', [AGENT]);
  if (ldd.code !== 0) throw new RigError(`ldd ${AGENT} failed: ${ldd.stderr.trim()}`);
  const libs = new Set<string>();
  for (const line of ldd.stdout.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [
    { name: 'bin/qemu-ga', mode: EXEC, data: readFileSync(AGENT) },
    ...[...libs].map((path) => ({ name: path.slice(1), mode: EXEC, data: readFileSync(realpathSync(path)) })),
    { name: 'sbin/shutdown', mode: EXEC, data: Buffer.from(SHUTDOWN) },
    // The agent sets the hardware clock with /sbin/hwclock and says "not supported" without one.
    { name: 'sbin/hwclock', mode: EXEC, data: Buffer.from('#!/bin/busybox sh\nexec /bin/busybox hwclock "$@"\n') },
    { name: 'bin/udhcpc-apply', mode: EXEC, data: Buffer.from(UDHCPC_APPLY) },
  ];
}

/** Folders the files above need, parents first. */
export function agentDirs(files: readonly ImageFile[]): string[] {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.name.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length);
}
