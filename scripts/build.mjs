// One build for every process (docs/architecture.md, "Processes and build"): main and preload
// bundled by esbuild as CommonJS for Node/Electron, the renderer bundled as ES modules for the
// browser (noVNC 1.7 has a top-level await, so it must stay ESM). Output goes to dist/, which is
// all the packaged app contains.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const watch = process.argv.includes('--watch');
const out = 'dist';
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/renderer`, { recursive: true });

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // ws tries these optional native helpers and falls back to JS when they are absent.
  external: ['electron', 'bufferutil', 'utf-8-validate'],
};

const jobs = [];
const nodeEntries = [
  ['main/serve/cli.ts', `${out}/main/serve.cjs`],
  ['main/electron/main.ts', `${out}/main/electron.cjs`],
  ['main/electron-preload/preload.ts', `${out}/preload/preload.cjs`],
];
for (const [entry, outfile] of nodeEntries) {
  if (existsSync(entry)) jobs.push(build({ ...node, entryPoints: [entry], outfile }));
}

/**
 * spice-html5 opens each SPICE channel with `new WebSocket(uri)`: inside its modules, that name
 * becomes the renderer's SpiceSocket, which opens the app's own console channels instead.
 */
const spiceSocket = {
  name: 'spice-socket',
  setup(b) {
    const socket = resolve('renderer/src/consoles/spice-socket.ts');
    b.onLoad({ filter: /[\\/]@spice-project[\\/]spice-html5[\\/]src[\\/](main|spiceconn)\.js$/ }, (args) => ({
      contents: `import { SpiceSocket as WebSocket } from ${JSON.stringify(socket)};\n${readFileSync(args.path, 'utf8')}`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

if (existsSync('renderer/src/main.ts')) {
  jobs.push(
    build({
      bundle: true,
      platform: 'browser',
      format: 'esm',
      // spice-html5 is imported only when a SPICE console connects: its own chunk (chunk-*.js).
      splitting: true,
      target: 'chrome120',
      sourcemap: 'linked',
      logLevel: 'warning',
      entryPoints: { app: 'renderer/src/main.ts', styles: 'renderer/src/styles.css' },
      outdir: `${out}/renderer`,
      loader: { '.woff2': 'file', '.svg': 'file' },
      plugins: [spiceSocket],
    }),
  );
}
await Promise.all(jobs);
if (existsSync('renderer/index.html')) cpSync('renderer/index.html', `${out}/renderer/index.html`);
if (existsSync('assets/icon.svg')) cpSync('assets/icon.svg', `${out}/renderer/icon.svg`);
// The desktop shell's window, tray and notification icons (nativeImage reads PNG, not SVG).
for (const size of [32, 64, 256]) {
  const icon = `assets/icons/${size}x${size}.png`;
  if (existsSync(icon)) cpSync(icon, `${out}/icons/${size}x${size}.png`);
}
if (!watch) console.log('built dist/');
