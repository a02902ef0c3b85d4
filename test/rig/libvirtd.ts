import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { RigError } from './errors.js';

/** Where the system daemon's sockets are; tests of the rig itself point it elsewhere. */
const SOCKET_DIR = process.env.VIRTSWITCH_LIBVIRT_SOCKET_DIR ?? '/run/libvirt';
const LIBVIRTD = process.env.VIRTSWITCH_LIBVIRTD ?? '/usr/sbin/libvirtd';

/** The system daemon's read-write sockets, in the order libvirt's own client probes them. */
export const SYSTEM_SOCKETS = [`${SOCKET_DIR}/virtqemud-sock`, `${SOCKET_DIR}/libvirt-sock`] as const;

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(2000, () => done(false));
  });
}

export async function systemSocket(): Promise<string | undefined> {
  for (const p of SYSTEM_SOCKETS) if (existsSync(p) && (await canConnect(p))) return p;
  return undefined;
}

/**
 * Makes sure a system libvirtd answers on its socket. Where no service manager runs it (test
 * machines, containers), starts `virtlogd -d` and `libvirtd -d` itself, as root.
 */
export async function ensureLibvirtd(): Promise<string> {
  const found = await systemSocket();
  if (found) return found;
  if (!existsSync(LIBVIRTD)) {
    throw new RigError('libvirtd is not installed: apt-get install libvirt-daemon-system qemu-system-x86');
  }
  if (process.getuid?.() !== 0) {
    throw new RigError(
      'libvirtd is not running and only root can start it here: sudo systemctl start libvirtd (or run the tests as root)',
    );
  }
  if (existsSync('/usr/sbin/virtlogd')) spawnSync('/usr/sbin/virtlogd', ['-d'], { stdio: 'ignore' });
  const r = spawnSync(LIBVIRTD, ['-d'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new RigError(`libvirtd failed to start (exit ${r.status}): ${(r.stderr || '').trim().split('\n')[0] ?? ''}`);
  }
  for (let i = 0; i < 100; i++) {
    const s = await systemSocket();
    if (s) return s;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new RigError(
    `libvirtd was started but its socket ${SOCKET_DIR}/libvirt-sock never answered; see journalctl or /var/log/libvirt`,
  );
}
