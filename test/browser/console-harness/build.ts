/** Builds the console harness page (index.html + harness.js with noVNC bundled) into a folder. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>virtswitch console harness</title>
<style>html,body{margin:0;background:#000}#screen{width:800px;height:500px}</style>
<script type="module" src="harness.js"></script></head>
<body><div id="screen"></div></body></html>
`;

export async function buildConsoleHarness(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  // noVNC 1.7 has a top-level await: it must stay an ES module.
  await build({
    entryPoints: [fileURLToPath(new URL('./harness.ts', import.meta.url))],
    outfile: join(outDir, 'harness.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'error',
  });
  writeFileSync(join(outDir, 'index.html'), PAGE);
}
