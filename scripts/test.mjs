// `npm test`: type-check, lint, build, check the machine, then every suite with Node's test runner.
// `npm test -- PATH...` runs only the given test files or folders (after the same checks).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function step(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function testFiles(path) {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) =>
      d.isDirectory() ? testFiles(join(path, d.name)) : d.name.endsWith('.test.ts') ? [join(path, d.name)] : [],
    );
}

const wanted = process.argv.slice(2);
const roots = wanted.length ? wanted : ['test/unit', 'test/integration', 'test/browser'].filter((d) => existsSync(d));

step('npx', ['tsc', '-p', 'tsconfig.json']);
step('npx', ['tsc', '-p', 'tsconfig.main.json']);
if (existsSync('renderer/src')) step('npx', ['tsc', '-p', 'tsconfig.renderer.json']);
step('npx', ['prettier', '--check', '--log-level=warn', '.']);
step('npx', ['eslint', '--max-warnings=0', '.']);
step('node', ['scripts/build.mjs']);
step('node', ['--import', 'tsx', 'test/rig/preflight.ts']);

const files = roots.flatMap(testFiles);
const r = spawnSync('node', ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
