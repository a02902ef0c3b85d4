// One build for every process (docs/architecture.md, "Processes and build"): main and preload
// bundled by esbuild as CommonJS for Node/Electron, the renderer bundled as ES modules for the
// browser (noVNC 1.7 has a top-level await, so it must stay ESM). Output goes to dist/, which is
// all the packaged app contains.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

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
  // serve.cjs is a small launcher that runs serve-main.cjs through a V8 code cache (main/serve/launch.ts).
  ['main/serve/cli.ts', `${out}/main/serve-main.cjs`],
  ['main/serve/launch.ts', `${out}/main/serve.cjs`],
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

/**
 * noVNC probes for an H.264 decoder at load, with a top-level await that decodes a test frame:
 * the whole page waited for it before it could start. QEMU never sends H.264, so the probe
 * finishes in the background instead (until it does, the client simply does not offer H.264).
 */
const novncProbeInBackground = {
  name: 'novnc-probe-in-background',
  setup(b) {
    b.onLoad({ filter: /[\\/]@novnc[\\/]novnc[\\/]core[\\/]util[\\/]browser\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const probe = 'supportsWebCodecsH264Decode = await _checkWebCodecsH264DecodeSupport();';
      if (!source.includes(probe)) throw new Error(`noVNC changed: no "${probe}" in ${args.path}`);
      const background =
        '_checkWebCodecsH264DecodeSupport().then((s) => { supportsWebCodecsH264Decode = s; }, () => undefined);';
      return { contents: source.replace(probe, background), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/** The renderer build's result: its metafile names the chunks app.js imports. */
let renderer;
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
      // Minified, the page has half the script to fetch and parse before it can show a guest.
      minify: !watch,
      logLevel: 'warning',
      entryPoints: { app: 'renderer/src/main.ts', early: 'renderer/src/early.ts', styles: 'renderer/src/styles.css' },
      outdir: `${out}/renderer`,
      loader: { '.woff2': 'file', '.svg': 'file' },
      plugins: [spiceSocket, novncProbeInBackground],
      metafile: true,
    }).then((r) => (renderer = r)),
  );
}
await Promise.all(jobs);

/**
 * index.html, with a modulepreload link for each chunk app.js and early.js import: the browser
 * fetches them beside early.js instead of only once the script naming them has been parsed (one
 * round trip less at start). early.js runs app.js, which index.html preloads.
 */
function pageWithPreloads(html) {
  const chunks = new Set();
  for (const entry of ['app.js', 'early.js']) {
    const meta = renderer?.metafile.outputs[`${out}/renderer/${entry}`];
    for (const i of meta?.imports ?? []) if (i.kind === 'import-statement') chunks.add(basename(i.path));
  }
  const script = '<script type="module" src="early.js" async fetchpriority="high"></script>';
  if (!html.includes(script)) throw new Error(`renderer/index.html: no ${script}`);
  const links = [...chunks].map((c) => `<link rel="modulepreload" href="${c}" />`).join('\n    ');
  return chunks.size ? html.replace(script, `${links}\n    ${script}`) : html;
}
if (existsSync('renderer/index.html'))
  writeFileSync(`${out}/renderer/index.html`, pageWithPreloads(readFileSync('renderer/index.html', 'utf8')));
if (existsSync('assets/icon.svg')) cpSync('assets/icon.svg', `${out}/renderer/icon.svg`);
// The desktop shell's window, tray and notification icons (nativeImage reads PNG, not SVG).
for (const size of [32, 64, 256]) {
  const icon = `assets/icons/${size}x${size}.png`;
  if (existsSync(icon)) cpSync(icon, `${out}/icons/${size}x${size}.png`);
}
if (!watch) console.log('built dist/');
