/**
 * Storage for new-guest tests: a directory pool in a temporary folder and an isolated virtual
 * network (no forwarding, no addresses: just a bridge for the guests' NICs), both named with the
 * suite's prefix; cleanup removes every guest with that prefix, their volumes, the pool and the
 * network.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const virsh = (...args: string[]): string =>
  execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const quiet = (...args: string[]): void => {
  try {
    virsh(...args);
  } catch {
    /* already gone */
  }
};

export interface StorageFixture {
  pool: string;
  dir: string;
  network: string;
  volumes(): string[];
  cleanup(): void;
}

export function storageFixture(prefix: string): StorageFixture {
  const dir = mkdtempSync(join(tmpdir(), 'vst-pool-'));
  chmodSync(dir, 0o755);
  const pool = `${prefix}pool`;
  const network = `${prefix}net`;
  const netXml = join(dir, '..', `${network}.xml`);
  writeFileSync(netXml, `<network><name>${network}</name></network>`);
  virsh('net-create', netXml);
  rmSync(netXml, { force: true });
  return {
    pool,
    dir,
    network,
    volumes: () =>
      virsh('vol-list', pool)
        .split('\n')
        .slice(2)
        .map((l) => l.trim().split(/\s+/)[0] ?? '')
        .filter(Boolean),
    cleanup: () => {
      const names = virsh('list', '--all', '--name')
        .split('\n')
        .map((s) => s.trim())
        .filter((n) => n.startsWith(prefix));
      for (const n of names) {
        quiet('destroy', n);
        quiet('undefine', n, '--nvram', '--managed-save', '--snapshots-metadata');
      }
      quiet('pool-destroy', pool);
      quiet('pool-undefine', pool);
      quiet('net-destroy', network);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
