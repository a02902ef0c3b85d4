// `npm start`: build, then launch the desktop app in Electron. Where the Electron binary is absent
// (it is downloaded separately and some machines can't), say so in one line and point to the
// browser mode instead. Never triggers a download itself.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function electronBinary() {
  const pkg = 'node_modules/electron';
  const pathFile = join(pkg, 'path.txt');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
    return existsSync(p) ? p : undefined;
  }
  if (!existsSync(pathFile)) return undefined;
  const p = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(p) ? p : undefined;
}

const built = spawnSync('node', ['scripts/build.mjs'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

const bin = electronBinary();
if (bin) {
  const child = spawn(bin, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  console.error(
    'virtswitch: no Electron binary on this machine (`npx install-electron` fetches one where downloads work), so here is the same app in the browser: npm run serve',
  );
  // The desktop-only flags mean nothing to the browser mode; the hosts to connect to do.
  const args = process.argv.slice(2);
  const serveArgs = [];
  for (let i = 0; i < args.length; i++) {
    if ((args[i] === '--connect' || args[i] === '-c') && args[i + 1]) serveArgs.push('--connect', args[++i]);
    else if (args[i].startsWith('--connect=')) serveArgs.push(args[i]);
  }
  const child = spawn(process.execPath, ['dist/main/serve.cjs', ...serveArgs], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
