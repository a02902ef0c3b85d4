/**
 * Runs a CommonJS bundle through a V8 code cache, as Node 22's module compile cache does (this
 * runs on Node 20): the first start compiles the bundle and, once its start-up code has run,
 * saves what V8 compiled; later starts read that instead of parsing and compiling again.
 *
 * The cache lives in the user's own cache folder (never a shared temporary one: code read from it
 * runs as this user). Its name is a hash of the bundle's text and the Node and V8 versions, so a
 * rebuilt bundle or another Node never reads it; V8 checks its own version and flags besides and
 * rejects data that does not fit, and a rejected or unreadable cache just means a normal compile.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** CommonJS's module wrapper, as Node's own loader puts it around a file (line numbers unchanged). */
const wrap = (source: string): string => `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;

/** How the cache went for one run. */
export interface CodeCacheRun {
  /** The cache file for this bundle and runtime. */
  file: string;
  /** V8 took the cached code. */
  used: boolean;
  /** Writes the cache from what has been compiled so far (when it was missing or rejected). */
  save(): void;
}

/** `$XDG_CACHE_HOME/virtswitch`, else `~/.cache/virtswitch`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'virtswitch');
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Runs `bundle` as the main CommonJS module; `cacheDir` holds its code cache. */
export function runWithCodeCache(bundle: string, cacheDir: string): CodeCacheRun {
  const source = readFileSync(bundle, 'utf8');
  const key = createHash('sha256')
    .update(`${process.version}\0${process.arch}\0${process.versions.v8}\0`)
    .update(source)
    .digest('hex')
    .slice(0, 24);
  const stem = basename(bundle).replace(/\.[^.]*$/, '');
  const file = join(cacheDir, `${stem}-${key}.v8cache`);
  const cachedData = readOrUndefined(file);
  const script = new Script(wrap(source), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  const used = !!cachedData && !script.cachedDataRejected;
  const run: CodeCacheRun = {
    file,
    used,
    save: () => {
      if (run.used) return;
      try {
        mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, file);
        run.used = true;
        // Caches of earlier builds of this bundle are of no more use.
        for (const f of readdirSync(cacheDir))
          if (f.startsWith(`${stem}-`) && f.endsWith('.v8cache') && join(cacheDir, f) !== file)
            rmSync(join(cacheDir, f), { force: true });
      } catch {
        // No cache this time (a read-only home, a full disk): the next start compiles as usual.
      }
    },
  };
  const mod = { exports: {}, filename: bundle, id: '.', loaded: false };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
  mod.loaded = true;
  return run;
}
