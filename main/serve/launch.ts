/**
 * `node dist/main/serve.cjs`: starts the serve shell's bundle (serve-main.cjs beside it) through
 * a V8 code cache (code-cache.ts), so every start after the first skips compiling it. The cache
 * is written once the shell has been up long enough to have compiled its start-up path (the
 * first page and console included), or when it stops before that (a start stopped within
 * seconds would otherwise never leave a cache, and every start would compile again); the timer
 * never keeps the process alive.
 */
import { join } from 'node:path';
import { defaultCacheDir, runWithCodeCache } from './code-cache.js';

/** Long enough for a first page to have loaded and opened a console. */
const SAVE_AFTER_MS = 3000;
/** Up at least this long, a shell that stops has served its start-up path (a page, a console). */
const SAVE_ON_EXIT_AFTER_MS = 500;

const run = runWithCodeCache(join(__dirname, 'serve-main.cjs'), defaultCacheDir());
if (!run.used) {
  setTimeout(() => run.save(), SAVE_AFTER_MS).unref();
  // save() is synchronous, so it may run as the process exits; not after `--help` or a failed
  // start, whose cache would hold little and be used from then on.
  process.once('exit', () => {
    if (process.uptime() * 1000 >= SAVE_ON_EXIT_AFTER_MS) run.save();
  });
}
