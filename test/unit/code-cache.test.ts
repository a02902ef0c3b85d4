/** The serve launcher's V8 code cache: saved once, used next time, never for another bundle, harmless when bad. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCacheDir, runWithCodeCache } from '../../main/serve/code-cache.js';

/** A bundle that notes on globalThis what it saw of require, module and __dirname, as a real one uses them. */
function writeBundle(dir: string, marker: string): string {
  const file = join(dir, 'serve-main.cjs');
  writeFileSync(
    file,
    `const { sep } = require('node:path');
     globalThis.__ccSeen = { marker: ${JSON.stringify(marker)}, dir: __dirname, file: __filename, sep, exports: module.exports === exports };
     function work(n) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }
     globalThis.__ccWork = work(1000);`,
  );
  return file;
}

const seen = (): { marker: string; dir: string; file: string; sep: string; exports: boolean } =>
  (globalThis as unknown as { __ccSeen: ReturnType<typeof seen> }).__ccSeen;

/**
 * A later start, in a process of its own: within one process V8 keeps what it compiled in memory
 * and would never consult the cache at all.
 */
function startInChild(bundle: string, cache: string, save = false): { used: boolean; marker: string } {
  const lib = new URL('../../main/serve/code-cache.ts', import.meta.url).href;
  const code = `import { runWithCodeCache } from ${JSON.stringify(lib)};
    const r = runWithCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(cache)});
    console.log(JSON.stringify({ used: r.used, marker: globalThis.__ccSeen.marker }));
    if (${save}) r.save();`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { used: boolean; marker: string };
}

describe('code cache for the serve bundle', () => {
  it('runs the bundle as a CommonJS module, saves the cache, and uses it on the next start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-cc-'));
    const cache = join(dir, 'cache');
    const bundle = writeBundle(dir, 'one');
    const first = runWithCodeCache(bundle, cache);
    assert.equal(first.used, false);
    assert.deepEqual(seen(), { marker: 'one', dir, file: bundle, sep: '/', exports: true });
    first.save();
    assert.equal(statSync(first.file).mode & 0o777, 0o600);
    assert.equal(statSync(cache).mode & 0o777, 0o700);
    assert.deepEqual(startInChild(bundle, cache), { used: true, marker: 'one' }, 'the saved cache was taken');
  });

  it('keys the cache by the bundle’s text: a rebuilt bundle compiles afresh and replaces the old cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-cc-'));
    const cache = join(dir, 'cache');
    const a = runWithCodeCache(writeBundle(dir, 'a'), cache);
    a.save();
    const b = runWithCodeCache(writeBundle(dir, 'b'), cache);
    assert.equal(b.used, false);
    assert.notEqual(b.file, a.file);
    assert.equal(seen().marker, 'b');
    b.save();
    assert.deepEqual(readdirSync(cache), [b.file.slice(cache.length + 1)]);
  });

  it('a damaged cache is rejected and the bundle still runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-cc-'));
    const cache = join(dir, 'cache');
    const bundle = writeBundle(dir, 'damaged');
    const first = runWithCodeCache(bundle, cache);
    first.save();
    writeFileSync(first.file, Buffer.from('not a V8 code cache at all'));
    assert.deepEqual(startInChild(bundle, cache, true), { used: false, marker: 'damaged' });
    // The start that found it damaged wrote a good one in its place.
    assert.deepEqual(startInChild(bundle, cache), { used: true, marker: 'damaged' });
  });

  it('lives in the user’s cache folder: $XDG_CACHE_HOME when absolute, else ~/.cache', () => {
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }), '/x/cache/virtswitch');
    assert.match(defaultCacheDir({ XDG_CACHE_HOME: 'relative' }), /\/\.cache\/virtswitch$/);
    assert.match(defaultCacheDir({}), /\/\.cache\/virtswitch$/);
  });
});
