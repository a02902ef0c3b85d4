/**
 * Packaging, offline: the project is built (scripts/build.mjs) and packed by electron-builder
 * (`--linux dir`, the one target that needs nothing from the network) against a stub Electron
 * that carries the fuse sentinel. The packed app.asar must hold the built app and nothing else,
 * and the packaged binary must carry the hardened fuses. The stub proves the configuration; a
 * real Electron binary gets the same fuses flipped by the same code.
 *
 * Runs in a copy of the project, so the shared working tree's dist/ is never touched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractFile, listPackage } from '@electron/asar';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';

const repo = resolve(import.meta.dirname, '..', '..');
const ELECTRON_VERSION = '45.5.0';
/** What @electron/fuses looks for in a binary: this sentinel, a version byte, a length byte, the wire. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's own defaults, one '0'/'1' per fuse in FuseV1Options order (the wire has 9 fuses in 45). */
const DEFAULT_WIRE = '101100011';

let work: string;
let out: string;
let asar: string;
let files: string[];

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: {
      ...process.env,
      ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
      CSC_IDENTITY_AUTO_DISCOVERY: 'false',
      ELECTRON_BUILDER_CACHE: join(work, 'cache'),
      // No update checks, no telemetry, no downloads of build tools.
      CI: '1',
    },
  });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
}

/** A stand-in Electron distribution: a script named `electron` that carries the fuse wire. */
function stubElectron(dir: string): void {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  mkdirSync(join(dir, 'locales'), { recursive: true });
  const exe = join(dir, 'electron');
  writeFileSync(
    exe,
    Buffer.concat([
      Buffer.from(`#!/bin/sh\n# stub Electron for offline packaging tests; fuse wire: ${FUSE_SENTINEL}`),
      Buffer.from([0x01, DEFAULT_WIRE.length]),
      Buffer.from(`${DEFAULT_WIRE}\necho 'stub Electron: not a real binary' >&2\nexit 1\n`),
    ]),
  );
  chmodSync(exe, 0o755);
  writeFileSync(join(dir, 'locales', 'en-US.pak'), 'stub');
  writeFileSync(join(dir, 'LICENSE'), 'stub');
  writeFileSync(join(dir, 'LICENSES.chromium.html'), '<!doctype html>');
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'vs-package-'));
  const project = join(work, 'project');
  mkdirSync(project);
  for (const p of ['common', 'main', 'renderer', 'assets', 'scripts', 'package.json', 'electron-builder.yml']) {
    if (existsSync(join(repo, p))) cpSync(join(repo, p), join(project, p), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(project, 'node_modules'), 'dir');
  run(process.execPath, ['scripts/build.mjs'], project);

  const stub = join(work, 'electron-stub');
  stubElectron(stub);
  out = join(work, 'release');
  run(
    join(repo, 'node_modules', '.bin', 'electron-builder'),
    [
      '--linux',
      'dir',
      '--projectDir',
      project,
      `-c.electronDist=${stub}`,
      `-c.electronVersion=${ELECTRON_VERSION}`,
      `-c.directories.output=${out}`,
    ],
    project,
  );
  asar = join(out, 'linux-unpacked', 'resources', 'app.asar');
  files = listPackage(asar, { isPack: false }).map((f) => f.replaceAll('\\', '/'));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('electron-builder --linux dir (offline, stub Electron)', () => {
  it('lays out the app under its executable name', () => {
    const dir = join(out, 'linux-unpacked');
    assert.ok(existsSync(join(dir, 'virtswitch')), 'the executable is named virtswitch');
    assert.ok(existsSync(asar), 'the app is in app.asar');
    assert.ok(!existsSync(join(dir, 'resources', 'app')), 'and not as loose files');
  });

  it('app.asar holds the built app', () => {
    for (const f of [
      '/package.json',
      '/dist/main/electron.cjs',
      '/dist/preload/preload.cjs',
      '/dist/renderer/index.html',
      '/dist/renderer/app.js',
      '/dist/renderer/styles.css',
      '/dist/icons/32x32.png',
    ]) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
  });

  it('and nothing else: no sources, tests, source maps or dependencies', () => {
    const entries = files.filter((f) => f !== '/dist' && !files.some((g) => g.startsWith(`${f}/`)));
    for (const f of entries) {
      assert.ok(f === '/package.json' || f.startsWith('/dist/'), `${f} does not belong in the package`);
      assert.doesNotMatch(f, /\.map$|\.ts$|node_modules|^\/test|^\/main\/|^\/renderer\/src/, f);
    }
  });

  it('the packed package.json starts the bundled main process and names no dependencies', () => {
    const pkg = JSON.parse(extractFile(asar, 'package.json').toString()) as Record<string, unknown>;
    assert.equal(pkg.main, 'dist/main/electron.cjs');
    assert.equal(pkg.dependencies, undefined);
    assert.equal(pkg.devDependencies, undefined);
  });

  it('the bundles need nothing the package lacks: main only Node built-ins and electron, the preload only electron', () => {
    const requires = (file: string): string[] => [
      ...new Set(
        [
          ...extractFile(asar, file)
            .toString()
            .matchAll(/require\("([^"]+)"\)/g),
        ].map((m) => m[1]!),
      ),
    ];
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    for (const r of requires('dist/main/electron.cjs'))
      assert.ok(r === 'electron' || builtins.has(r), `main requires ${r}`);
    assert.deepEqual(requires('dist/preload/preload.cjs'), ['electron']);
  });

  it('the packaged binary carries the hardened fuses', async () => {
    const wire = await getCurrentFuseWire(join(out, 'linux-unpacked', 'virtswitch'));
    assert.equal(wire[FuseV1Options.RunAsNode], FuseState.DISABLE, 'RunAsNode');
    assert.equal(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable], FuseState.DISABLE, 'NODE_OPTIONS');
    assert.equal(wire[FuseV1Options.EnableNodeCliInspectArguments], FuseState.DISABLE, '--inspect');
    assert.equal(wire[FuseV1Options.EnableCookieEncryption], FuseState.ENABLE, 'cookie encryption');
    assert.equal(wire[FuseV1Options.OnlyLoadAppFromAsar], FuseState.ENABLE, 'only app.asar');
    assert.equal(wire[FuseV1Options.GrantFileProtocolExtraPrivileges], FuseState.DISABLE, 'file:// privileges');
  });
});
