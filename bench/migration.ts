/**
 * Migration part: the same running guest moved live between the rig's two hosts (the second in its
 * own namespaces, reached over qemu+ssh) by virtswitch's "Move to host" (an App session) and by
 * `virsh migrate --live --persistent --undefinesource`, interleaved in the same run. Each round
 * times the move A → B; the way back is not timed. The downtime is what the completed job reports.
 * virsh opens its connections for each move, as a person running it would; the app holds its own.
 * Then the console gap: in Chromium through the serve shell, last frame from the source → first
 * frame from the target on the stage (bench/migration-console.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppSession } from '../main/app/api.js';
import type { MigrationProgress } from '../common/contract.js';
import { SYSTEM_URI, TestRig, type TestGuest } from '../test/rig/guests.js';
import { LIVE_MOVE, startSecondHost, type SecondHost } from '../test/rig/second-host.js';
import { waitFor } from '../test/rig/wait.js';
import { consoleGaps } from './migration-console.js';
import { percentile, report } from './report.js';

const ROUNDS = Number(process.env.VIRTSWITCH_BENCH_MIGRATION_ROUNDS ?? 5);

function virsh(second: SecondHost, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'virsh',
      args,
      { env: { ...process.env, PATH: `${second.sshBinDir}:${process.env.PATH ?? ''}` }, timeout: 300_000 },
      (err, _out, stderr) => (err ? reject(new Error(`virsh ${args.join(' ')}: ${stderr}`)) : resolve()),
    );
  });
}

async function virshThere(second: SecondHost, g: TestGuest): Promise<number> {
  const t0 = performance.now();
  await virsh(second, [
    '-c',
    SYSTEM_URI,
    'migrate',
    '--live',
    '--persistent',
    '--undefinesource',
    g.name,
    `qemu+ssh://root@${second.address}/system`,
  ]);
  return performance.now() - t0;
}

async function virshBack(second: SecondHost, g: TestGuest): Promise<void> {
  await virsh(second, [
    '-c',
    second.tcpUri,
    'migrate',
    '--live',
    '--persistent',
    '--undefinesource',
    g.name,
    SYSTEM_URI,
    '--migrateuri',
    `tcp://${second.localAddress}`,
  ]);
}

async function appRound(
  s: AppSession,
  app: App,
  second: SecondHost,
  g: TestGuest,
  progress: MigrationProgress[],
): Promise<{ ms: number; downtimeMs: number }> {
  const onA = (): boolean => app.state().guests.some((x) => x.host === SYSTEM_URI && x.uuid === g.uuid);
  await waitFor('the guest on A in the app', onA, 30_000);
  progress.length = 0;
  const t0 = performance.now();
  await s.invoke('guest.migrate', { host: SYSTEM_URI, uuid: g.uuid, target: second.sshUri, ...LIVE_MOVE });
  const ms = performance.now() - t0;
  const downtimeMs = progress.at(-1)?.downtimeMs ?? Number.NaN;
  await waitFor('the guest on B in the app', () =>
    app.state().guests.some((x) => x.host === second.sshUri && x.uuid === g.uuid),
  );
  await s.invoke('guest.migrate', {
    host: second.sshUri,
    uuid: g.uuid,
    target: SYSTEM_URI,
    ...LIVE_MOVE,
    migrationAddress: second.localAddress,
  });
  return { ms, downtimeMs };
}

export async function run(): Promise<void> {
  await timeRounds();
  const gaps = await consoleGaps(ROUNDS);
  report('migration_console_gap_ms', percentile(gaps, 50), 'ms');
  report('migration_console_gap_p95_ms', percentile(gaps, 95), 'ms');
}

async function timeRounds(): Promise<void> {
  const rig = await TestRig.start();
  const second = await startSecondHost();
  const dir = mkdtempSync(join(tmpdir(), 'vs-bench-mig-'));
  let app: App | undefined;
  try {
    const g = await rig.define({ name: 'bench-mig' });
    await rig.waitForBoot(g);
    const progress: MigrationProgress[] = [];
    app = new App({
      configDir: dir,
      uris: [SYSTEM_URI, second.sshUri],
      host: { client: { sshPath: second.sshPath, connectTimeoutMs: 20_000 } },
    });
    app.on('event', (e) => e.type === 'migration' && progress.push(e.migration));
    app.start();
    const s = app.session();
    const ready = app;
    await waitFor('both hosts', () => ready.state().hosts.every((h) => h.status === 'connected'), 30_000);
    const ours: number[] = [];
    const theirs: number[] = [];
    const downtimes: number[] = [];
    for (let i = 0; i < ROUNDS + 1; i++) {
      const mine = await appRound(s, app, second, g, progress);
      const virshMs = await virshThere(second, g);
      await virshBack(second, g);
      if (i === 0) continue; // warm-up
      ours.push(mine.ms);
      theirs.push(virshMs);
      downtimes.push(mine.downtimeMs);
    }
    report('migration_time_ms', percentile(ours, 50), 'ms');
    report('migration_time_virsh_ms', percentile(theirs, 50), 'ms');
    report('migration_time_ratio_vs_virsh', percentile(ours, 50) / percentile(theirs, 50), 'x');
    report('migration_downtime_ms', percentile(downtimes, 50), 'ms');
    s.close();
  } finally {
    await app?.close();
    await second.stop();
    await rig.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
