/**
 * `npm run bench` runs every benchmark part that exists; `npm run bench -- PART...` runs those.
 * Each part is bench/PART.ts exporting `async function run(): Promise<void>`, and prints its
 * figures as lines of their own: `bench NAME VALUE UNIT` (see bench/report.ts). Benchmarks never assert on
 * time; a part that fails is reported on stderr and makes the exit status non-zero.
 */
import { existsSync } from 'node:fs';

const PARTS = ['libvirt', 'hosts', 'consoles', 'switcher', 'migration', 'storage'] as const;

async function main(): Promise<number> {
  const asked = process.argv.slice(2).filter((a) => a !== '--');
  for (const a of asked) {
    if (!(PARTS as readonly string[]).includes(a)) {
      console.error(`bench: no part "${a}"; the parts are ${PARTS.join(', ')}`);
      return 2;
    }
  }
  const parts = asked.length ? asked : PARTS.filter((p) => existsSync(new URL(`./${p}.ts`, import.meta.url)));
  let failed = 0;
  for (const part of parts) {
    const file = new URL(`./${part}.ts`, import.meta.url);
    if (!existsSync(file)) {
      console.error(`bench: part "${part}" does not exist yet (bench/${part}.ts)`);
      failed++;
      continue;
    }
    try {
      const mod = (await import(file.href)) as { run?: () => Promise<void> };
      if (typeof mod.run !== 'function') throw new Error(`bench/${part}.ts exports no run()`);
      await mod.run();
    } catch (e) {
      failed++;
      console.error(`bench: part "${part}" failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
