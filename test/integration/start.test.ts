/**
 * `npm start` (scripts/start.mjs) where there is no Electron binary: it says so in one line and
 * runs the browser mode (the serve CLI) with the flags that mean something there. The serve CLI
 * listens on its default port, 8080, which this test holds itself, so what happens is known: the
 * serve CLI runs, says the port is in use, and start.mjs ends with its status.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { within } from './serve-helpers.js';

const SERVE_DEFAULT_PORT = 8080;

/** Runs start.mjs without an Electron binary; resolves when it exits. */
async function startWithoutElectron(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['scripts/start.mjs', ...args], {
    env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: '/nonexistent', XDG_CONFIG_HOME: '/tmp/vs-start-test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const code = await within(
      new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c))),
      60_000,
      'start.mjs to exit',
    );
    return { code, out, err };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** The lines of ours on stderr (the build's own output aside). */
const ourLines = (err: string): string[] =>
  err
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('virtswitch:'));

describe('npm start on a machine without the Electron binary', () => {
  let holder: Server | undefined;

  before(async () => {
    // Held by this test; should another process hold it already, it is just as busy.
    holder = createServer();
    await new Promise<void>((resolve, reject) => {
      holder!.once('error', (e: NodeJS.ErrnoException) => {
        holder = undefined;
        if (e.code === 'EADDRINUSE') resolve();
        else reject(e);
      });
      holder!.listen(SERVE_DEFAULT_PORT, '127.0.0.1', () => resolve());
    });
  });

  after(() => holder?.close());

  it('says so in one line, runs the browser mode with the hosts but not the desktop flags, and ends with its status', async () => {
    const r = await startWithoutElectron(['--connect', 'qemu:///system', '--fullscreen', '--kiosk']);
    const lines = ourLines(r.err);
    assert.equal(lines.length, 2, r.err);
    assert.match(lines[0]!, /^virtswitch: no Electron binary .* npm run serve$/);
    // The serve CLI got this far only without --fullscreen and --kiosk, which it does not know.
    assert.equal(
      lines[1],
      `virtswitch: cannot listen on 127.0.0.1:${SERVE_DEFAULT_PORT}: the port is in use (try --port 0)`,
    );
    assert.equal(r.code, 1, 'the serve CLI’s status');
    assert.equal(r.out.includes('serving at'), false, r.out);
  });

  it('hands the browser mode every --connect, in both spellings', async () => {
    const r = await startWithoutElectron(['--connect', 'qemu:///system', '--connect=not-a-uri', '-f']);
    const lines = ourLines(r.err);
    assert.equal(lines.length, 2, r.err);
    assert.match(lines[1]!, /^virtswitch: --connect needs a libvirt URI .*, not "not-a-uri"$/);
    assert.equal(r.code, 2, 'a bad command line');
  });
});
