/**
 * A second libvirt host on this same machine, for migration tests: its own libvirtd (and virtlogd)
 * in a network namespace of its own (`ip netns`) and, inside it, a mount and UTS namespace
 * (`unshare -m -u`) where /run/libvirt, /var/lib/libvirt, /etc/libvirt, /var/log/libvirt and
 * /var/cache/libvirt are bind mounts over temporary folders. A veth pair on a /30 of 10.254.0.0/16
 * joins it to this host; nothing listens anywhere else, so nothing leaves the machine.
 *
 * The second daemon listens with qemu+tcp (auth none) on its veth address only, and an sshd inside
 * the namespace (key only, its own host key and authorized keys under the rig's folder) lets the
 * app reach it as it reaches any remote host: `qemu+ssh://root@ADDRESS/system`, consoles via
 * `ssh -W`. The first daemon (shared with other suites) is never touched.
 *
 * Migration data flows to the target's hostname, so the rig adds an /etc/hosts line for the second
 * host's name and removes it afterwards. The first host's own name resolves to loopback on this
 * machine, so migrations towards it need a migration URI with `localAddress`.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { MigrateOptions } from '../../common/contract.js';
import { assertCpuModelsMissing, leaveOutCpuModels } from './cpu-models.js';
import { RigError } from './errors.js';
import { run, runSync, type ExecResult } from './exec.js';
import { rigCacheDir } from './image.js';
import { writeSshdConfig } from './sshd-config.js';
import { waitFor } from './wait.js';

const HOSTS_FILE = process.env.VIRTSWITCH_HOSTS_FILE ?? '/etc/hosts';
/** Marks the /etc/hosts lines this rig adds, with the owning process id. */
const HOSTS_TAG = '# virtswitch-second-host';
const NETNS = /^vsh(\d+)$/;

export interface SecondHost {
  /** The second host's hostname (resolves to `address` while the rig runs). */
  readonly hostname: string;
  readonly hostUuid: string;
  /** The second host's veth address: its libvirtd and sshd listen here only. */
  readonly address: string;
  /** This (first) host's end of the veth pair; use `tcp://localAddress` to migrate back here. */
  readonly localAddress: string;
  /** qemu+tcp, auth none: for virsh. */
  readonly tcpUri: string;
  /** qemu+ssh as the app reaches it; needs `sshPath` (or `sshBinDir` first on PATH). */
  readonly sshUri: string;
  /** An `ssh` wrapper that uses the rig's own client config (key, known_hosts); nothing in ~/.ssh. */
  readonly sshPath: string;
  /** A folder holding only that wrapper, named `ssh`, to put first on a process's PATH. */
  readonly sshBinDir: string;
  /** The rig's temporary folder (configs, logs, keys). */
  readonly dir: string;
  virsh(...args: string[]): Promise<string>;
  virshResult(...args: string[]): Promise<ExecResult>;
  /** SIGKILLs its libvirtd (its guests run on), as a crash would; for fault tests. */
  killDaemon(): Promise<void>;
  /** Starts its libvirtd again (inside its namespaces) and waits until it answers. */
  restartDaemon(): Promise<void>;
  /** Tears everything down: guests on the second host, its daemons, namespaces, /etc/hosts line, folder. */
  stop(): Promise<void>;
}

export interface SecondHostOptions {
  /** More qemu.conf lines for the second daemon (e.g. vnc_tls = 1), which the first's never gets. */
  qemuConf?: string[];
  /** Run the second host's QEMUs as root, so that they can take a post-copy move without a sysctl change. */
  postCopy?: boolean;
  /** CPU models the second host's QEMU lacks (as QEMU names them, e.g. 'Westmere'), as on a target with an older QEMU. */
  cpuModelsMissing?: string[];
}

interface Layout {
  id: string;
  netns: string;
  vethHost: string;
  vethPeer: string;
  hostname: string;
  hostUuid: string;
  address: string;
  localAddress: string;
  dir: string;
  /** The one CPU the second libvirtd runs on, when its CPUID must read the same at every start. */
  pinnedCpu?: number;
}

/** True while the process runs; a zombie (exited, not yet reaped by PID 1) counts as gone. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function must(cmd: string, args: string[]): void {
  const r = runSync(cmd, args);
  if (r.code !== 0) throw new RigError(`second host: ${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

/** A /30 in 10.254.0.0/16 that no interface of this machine uses yet. */
function pickSubnet(): { local: string; remote: string } {
  const used = runSync('ip', ['-4', '-o', 'addr']).stdout;
  for (let i = 0; i < 16384; i++) {
    const n = (process.pid * 4 + i * 4) % 65536;
    const base = `10.254.${n >> 8}.`;
    const local = `${base}${(n & 255) + 1}`;
    const remote = `${base}${(n & 255) + 2}`;
    if (!used.includes(` ${local}/`) && !used.includes(` ${remote}/`)) return { local, remote };
  }
  throw new RigError('second host: no free /30 in 10.254.0.0/16');
}

/** The first CPU this process may run on (a child pinned there can run). */
function firstAllowedCpu(): number {
  const list = /^Cpus_allowed_list:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return list ? Number(list[1]) : 0;
}

function layout(o: SecondHostOptions): Layout {
  const id = String(process.pid);
  const { local, remote } = pickSubnet();
  mkdirSync(rigCacheDir(), { recursive: true });
  const dir = mkdtempSync(join(rigCacheDir(), `second-host-${id}-`));
  chmodSync(dir, 0o755);
  return {
    id,
    netns: `vsh${id}`,
    vethHost: `vsh${id}a`,
    vethPeer: `vsh${id}b`,
    hostname: `vs-second-${id}`,
    hostUuid: randomUUID(),
    address: remote,
    localAddress: local,
    dir,
    ...(o.cpuModelsMissing?.length ? { pinnedCpu: firstAllowedCpu() } : {}),
  };
}

function keygen(dir: string, name: string): void {
  must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
}

/** libvirtd.conf, qemu.conf, sshd and ssh client configs, keys, and the script run inside the namespaces. */
function writeConfigs(l: Layout, o: SecondHostOptions): string {
  for (const d of ['run', 'lib', 'etc', 'log', 'cache', 'bin']) mkdirSync(join(l.dir, d), { mode: 0o755 });
  writeFileSync(
    join(l.dir, 'etc', 'libvirtd.conf'),
    [
      'listen_tls = 0',
      'listen_tcp = 1',
      `listen_addr = "${l.address}"`,
      'auth_tcp = "none"',
      `host_uuid = "${l.hostUuid}"`,
      'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"',
      '',
    ].join('\n'),
  );
  // Without cgroups of its own the second daemon cannot collide with the first over cgroup names.
  // QEMU 7.2 takes userfaultfd (post-copy's target side) with the syscall, which the kernel grants
  // an unprivileged user only under sysctl vm.unprivileged_userfaultfd=1; as root it is always there.
  // Root needs no file handed over, and must not claim files (the kernel) the first host's QEMUs hold.
  const user = o.postCopy ? ['user = "root"', 'group = "root"', 'dynamic_ownership = 0', 'remember_owner = 0'] : [];
  writeFileSync(
    join(l.dir, 'etc', 'qemu.conf'),
    ['cgroup_controllers = [ ]', ...user, ...(o.qemuConf ?? []), ''].join('\n'),
  );
  keygen(l.dir, 'host_key');
  keygen(l.dir, 'client_key');
  writeFileSync(join(l.dir, 'authorized_keys'), readFileSync(join(l.dir, 'client_key.pub')), { mode: 0o600 });
  writeSshdConfig(l.dir, { listen: l.address, maxSessions: 50, maxStartups: 50 });
  const hostKey = readFileSync(join(l.dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(join(l.dir, 'known_hosts'), `${l.address},${l.hostname} ${hostKey}\n`);
  writeFileSync(
    join(l.dir, 'ssh_config'),
    [
      'Host *',
      `  IdentityFile ${join(l.dir, 'client_key')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(l.dir, 'known_hosts')}`,
      '  StrictHostKeyChecking yes',
      '  LogLevel ERROR',
      '',
    ].join('\n'),
  );
  writeFileSync(join(l.dir, 'bin', 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${join(l.dir, 'ssh_config')} "$@"\n`, {
    mode: 0o755,
  });
  const inner = join(l.dir, 'inner.sh');
  const binds = ['run', 'lib', 'etc', 'log', 'cache'].map(
    (d, i) =>
      `mount --bind ${join(l.dir, d)} ${['/run/libvirt', '/var/lib/libvirt', '/etc/libvirt', '/var/log/libvirt', '/var/cache/libvirt'][i]}`,
  );
  writeFileSync(
    inner,
    [
      'set -e',
      ...binds,
      `hostname ${l.hostname}`,
      // Own pid files: the default ones in /run are the first daemon's.
      `/usr/sbin/virtlogd -d -p ${join(l.dir, 'virtlogd.pid')}`,
      libvirtdCommand(l),
      `/usr/sbin/sshd -f ${join(l.dir, 'sshd_config')}`,
      '',
    ].join('\n'),
  );
  return inner;
}

function libvirtdCommand(l: Layout): string {
  const pin = l.pinnedCpu === undefined ? '' : `taskset -c ${l.pinnedCpu} `;
  return `${pin}/usr/sbin/libvirtd -d -l -p ${join(l.dir, 'libvirtd.pid')} -f /etc/libvirt/libvirtd.conf`;
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

function addHostsLine(l: Layout): void {
  const text = readFileSync(HOSTS_FILE, 'utf8');
  const sep = text.endsWith('\n') || text === '' ? '' : '\n';
  writeFileSync(HOSTS_FILE, `${text}${sep}${l.address} ${l.hostname} ${HOSTS_TAG} ${l.id}\n`);
}

function removeHostsLines(ids: (id: string) => boolean): void {
  if (!existsSync(HOSTS_FILE)) return;
  const lines = readFileSync(HOSTS_FILE, 'utf8').split('\n');
  const kept = lines.filter((line) => {
    const i = line.indexOf(HOSTS_TAG);
    return i < 0 || !ids(line.slice(i + HOSTS_TAG.length).trim());
  });
  if (kept.length !== lines.length) writeFileSync(HOSTS_FILE, kept.join('\n'));
}

function netnsPids(netns: string): number[] {
  return runSync('ip', ['netns', 'pids', netns])
    .stdout.split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
}

/** Stops every process in the namespace (the second daemons, sshd, QEMUs there), then removes it all. */
function teardownSync(netns: string, vethHost: string, id: string, dir: string | undefined): void {
  if (
    runSync('ip', ['netns', 'list'])
      .stdout.split('\n')
      .some((s) => s.split(' ')[0] === netns)
  ) {
    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      for (const pid of netnsPids(netns)) {
        try {
          process.kill(pid, sig);
        } catch {
          /* already gone */
        }
      }
      const deadline = Date.now() + 5000;
      while (netnsPids(netns).some(alive) && Date.now() < deadline) runSync('sleep', ['0.1']);
    }
    runSync('ip', ['netns', 'del', netns]);
  }
  if (runSync('ip', ['link', 'show', vethHost]).code === 0) runSync('ip', ['link', 'del', vethHost]);
  removeHostsLines((owner) => owner === id);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Second hosts left behind by test processes that died without tearing theirs down. */
function removeStale(): void {
  for (const line of runSync('ip', ['netns', 'list']).stdout.split('\n')) {
    const m = NETNS.exec(line.split(' ')[0] ?? '');
    if (m && !alive(Number(m[1]))) teardownSync(m[0], `${m[0]}a`, m[1]!, undefined);
  }
  removeHostsLines((owner) => /^\d+$/.test(owner) && !alive(Number(owner)));
}

function preflight(): void {
  if (process.getuid?.() !== 0) throw new RigError('the second libvirt host needs root (namespaces, bind mounts)');
  for (const [bin, pkg] of [
    ['/usr/sbin/ip', 'iproute2'],
    ['/usr/bin/unshare', 'util-linux'],
    ['/usr/sbin/sshd', 'openssh-server'],
    ['/usr/sbin/libvirtd', 'libvirt-daemon-system'],
  ] as const) {
    if (!existsSync(bin)) throw new RigError(`${bin} is missing: apt-get install ${pkg}`);
  }
}

function startNamespaces(l: Layout, inner: string): void {
  must('ip', ['netns', 'add', l.netns]);
  must('ip', ['link', 'add', l.vethHost, 'type', 'veth', 'peer', 'name', l.vethPeer]);
  must('ip', ['link', 'set', l.vethPeer, 'netns', l.netns]);
  must('ip', ['addr', 'add', `${l.localAddress}/30`, 'dev', l.vethHost]);
  must('ip', ['link', 'set', l.vethHost, 'up']);
  must('ip', ['netns', 'exec', l.netns, 'ip', 'addr', 'add', `${l.address}/30`, 'dev', l.vethPeer]);
  must('ip', ['netns', 'exec', l.netns, 'ip', 'link', 'set', l.vethPeer, 'up']);
  must('ip', ['netns', 'exec', l.netns, 'ip', 'link', 'set', 'lo', 'up']);
  // sshd's privilege separation folder; Debian's service creates it at boot, no service runs here.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  must('ip', ['netns', 'exec', l.netns, 'unshare', '-m', '-u', '--propagation', 'private', 'sh', inner]);
  addHostsLine(l);
}

/** Starts the second host and waits until its libvirtd and sshd answer on the veth address. */
export async function startSecondHost(o: SecondHostOptions = {}): Promise<SecondHost> {
  preflight();
  removeStale();
  const l = layout(o);
  const teardown = (): void => teardownSync(l.netns, l.vethHost, l.id, l.dir);
  const handle = makeHandle(l, teardown);
  process.once('exit', teardown);
  try {
    startNamespaces(l, writeConfigs(l, o));
    await waitFor(`the second libvirtd on ${l.address}:16509`, () => portOpen(l.address, 16509), 20_000, 100);
    await waitFor(`the second host's sshd on ${l.address}:22`, () => portOpen(l.address, 22), 20_000, 100);
    if (o.cpuModelsMissing?.length) {
      // Its probe at start is saved by the time it answers for the capabilities.
      await handle.virsh('domcapabilities', '--virttype', 'qemu', '--arch', 'x86_64');
      await stopDaemon(l, 'SIGTERM');
      leaveOutCpuModels(join(l.dir, 'cache'), o.cpuModelsMissing);
      await startDaemonAgain(l);
      await assertCpuModelsMissing(handle.virsh, o.cpuModelsMissing);
    }
  } catch (e) {
    const log = join(l.dir, 'log', 'libvirtd.log');
    const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-1000) : '';
    teardown();
    process.removeListener('exit', teardown);
    throw tail ? new RigError(`${(e as Error).message}; libvirtd.log ends: ${tail}`) : e;
  }
  return handle;
}

async function stopDaemon(l: Layout, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const pid = Number(readFileSync(join(l.dir, 'libvirtd.pid'), 'utf8').trim());
  process.kill(pid, signal);
  await waitFor(`the second libvirtd (pid ${pid}) gone`, () => !alive(pid), 10_000, 20);
}

async function startDaemonAgain(l: Layout): Promise<void> {
  // Its virtlogd lives on in the namespaces the daemon needs (network, mount, hostname).
  const logd = readFileSync(join(l.dir, 'virtlogd.pid'), 'utf8').trim();
  must('nsenter', ['-t', logd, '-n', '-m', '-u', 'sh', '-c', libvirtdCommand(l)]);
  await waitFor(`the second libvirtd on ${l.address}:16509`, () => portOpen(l.address, 16509), 20_000, 50);
}

function makeHandle(l: Layout, teardown: () => void): SecondHost {
  const tcpUri = `qemu+tcp://${l.address}/system`;
  const virshResult = (...args: string[]): Promise<ExecResult> => run('virsh', ['-c', tcpUri, ...args]);
  return {
    hostname: l.hostname,
    hostUuid: l.hostUuid,
    address: l.address,
    localAddress: l.localAddress,
    tcpUri,
    sshUri: `qemu+ssh://root@${l.address}/system`,
    sshPath: join(l.dir, 'bin', 'ssh'),
    sshBinDir: join(l.dir, 'bin'),
    dir: l.dir,
    virshResult,
    async virsh(...args) {
      const r = await virshResult(...args);
      if (r.code !== 0) throw new Error(`virsh -c ${tcpUri} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
      return r.stdout;
    },
    killDaemon: () => stopDaemon(l, 'SIGKILL'),
    restartDaemon: () => startDaemonAgain(l),
    async stop() {
      // Guests first, through their daemon, so QEMU shuts down the way libvirt expects.
      const names = await virshResult('list', '--all', '--name');
      for (const n of names.stdout.split('\n').map((s) => s.trim())) {
        if (!n) continue;
        await virshResult('destroy', n);
        await virshResult('undefine', n, '--managed-save', '--snapshots-metadata', '--nvram');
      }
      teardown();
      process.removeListener('exit', teardown);
    },
  };
}

/** A live move as the app's defaults make it: definition kept on the target, gone from the source. */
export const LIVE_MOVE: Omit<MigrateOptions, 'target'> = {
  mode: 'live',
  copyStorage: false,
  persistent: true,
  undefineSource: true,
  postCopy: false,
};
