import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

describe('npm start on a machine without the Electron binary', () => {
  it('says so in one line and serves the same app to a browser instead', async () => {
    const child = spawn(process.execPath, ['scripts/start.mjs', '--connect', 'qemu:///system', '--fullscreen'], {
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: '/nonexistent', XDG_CONFIG_HOME: '/tmp/vs-start-test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!/serving at/.test(out) && child.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const lines = err
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('virtswitch:') && !l.includes('port is in use'));
      assert.equal(lines.length, 1, err);
      assert.match(lines[0]!, /no Electron binary .* npm run serve/);
      // Either it serves, or the default port is taken on this machine and it says that in one line.
      assert.ok(
        /virtswitch serving at http:\/\/127\.0\.0\.1:8080\/#token=/.test(out) || /port is in use/.test(err),
        `${out}\n${err}`,
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
