/**
 * `node dist/main/serve.cjs`: starts the serve shell's bundle (serve-main.cjs beside it) through
 * a V8 code cache (code-cache.ts), so every start after the first skips compiling it. The cache
 * is written once the shell has been up long enough to have compiled its start-up path (the
 * first page and console included); the timer never keeps the process alive.
 */
import { join } from 'node:path';
import { defaultCacheDir, runWithCodeCache } from './code-cache.js';

/** Long enough for a first page to have loaded and opened a console. */
const SAVE_AFTER_MS = 3000;

const run = runWithCodeCache(join(__dirname, 'serve-main.cjs'), defaultCacheDir());
if (!run.used) setTimeout(() => run.save(), SAVE_AFTER_MS).unref();
