/**
 * This machine's system libvirtd as an SSH host: a throwaway sshd on a free loopback port (its own
 * host key, root login by key only; see sshd-config.ts) and an `ssh` wrapper with a client config
 * of its own, so nothing in ~/.ssh is read or written. The app reaches it as any remote host:
 * `qemu+ssh://root@127.0.0.1:PORT/system`, consoles through `ssh -W`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSshdConfig } from './sshd-config.js';
import { waitFor } from './wait.js';

export interface LoopbackSsh {
  /** The system daemon over qemu+ssh, with the client key in the URI. */
  readonly uri: string;
  /** The `ssh` wrapper to hand the app (`host.client.sshPath`). */
  readonly sshPath: string;
  readonly port: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startLoopbackSsh(): Promise<LoopbackSsh> {
  const dir = mkdtempSync(join(tmpdir(), 'vs-loopback-ssh-'));
  let sshd: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (sshd && sshd.exitCode === null && sshd.signalCode === null) {
      const exited = new Promise((res) => sshd!.once('exit', res));
      sshd.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    mkdirSync('/run/sshd', { recursive: true });
    for (const name of ['host_key', 'client_key']) {
      const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
    }
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o600 });
    const port = await freePort();
    writeSshdConfig(dir, { listen: '127.0.0.1', port, maxSessions: 40 });
    writeFileSync(
      join(dir, 'ssh_config'),
      [
        'Host *',
        `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
        '  StrictHostKeyChecking accept-new',
        '  IdentitiesOnly yes',
        '  LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const sshPath = join(dir, 'ssh');
    writeFileSync(sshPath, `#!/bin/sh\nexec ssh -F ${join(dir, 'ssh_config')} "$@"\n`, { mode: 0o755 });
    const child = spawn('/usr/sbin/sshd', ['-f', join(dir, 'sshd_config'), '-D', '-e'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    sshd = child;
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(`sshd on 127.0.0.1:${port}`, async () => (await portOpen(port)) || child.exitCode !== null, 10_000);
    if (child.exitCode !== null) throw new Error(`sshd exited: ${err}`);
    const uri = `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${encodeURIComponent(join(dir, 'client_key'))}`;
    return { uri, sshPath, port, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
