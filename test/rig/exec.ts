import { execFile, spawnSync } from 'node:child_process';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a program without a shell; never throws for a non-zero exit, the caller decides. */
export function run(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
            ? (err as unknown as { code: number }).code
            : 1
          : 0;
        resolve({
          stdout: String(stdout),
          stderr: String(stderr) || (err && !stderr ? String(err.message) : ''),
          code,
        });
      },
    );
  });
}

export function runSync(cmd: string, args: readonly string[], timeoutMs = 30_000): ExecResult {
  const r = spawnSync(cmd, args, { timeout: timeoutMs, encoding: 'utf8' });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error.message) : ''), code: r.status ?? 1 };
}
