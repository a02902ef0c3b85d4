/**
 * `npm run serve`: the command line (parseServeArgs) and the real CLI, bundled as the build
 * bundles it and run as a child process against the system daemon. It prints exactly one line,
 * the URL with the secret; the secret appears nowhere else on stdout or stderr, whatever clients
 * do. A non-loopback address without TLS or --insecure is refused with one clear line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ArgsError, parseServeArgs } from '../../main/serve/args.js';
import { TestRig, type TestGuest } from '../rig/guests.js';
import {
  HOST,
  apiUrl,
  closeWs,
  consoleUrl,
  makeCert,
  openWs,
  rawUpgrade,
  rfbHandshake,
  waitFor,
  within,
} from './serve-helpers.js';

describe('serve: command line', () => {
  it('parses every option: hosts to manage, where to listen, TLS, the config folder', () => {
    assert.deepEqual(parseServeArgs([]), { connect: [], host: '127.0.0.1', port: 8080, insecure: false, help: false });
    const a = parseServeArgs([
      '--connect',
      'qemu:///system',
      '-c',
      'qemu+ssh://root@h/system',
      '--port',
      '0',
      '--config-dir=/tmp/x',
    ]);
    assert.deepEqual(a.connect, ['qemu:///system', 'qemu+ssh://root@h/system']);
    assert.deepEqual(parseServeArgs(['-c', 'qemu:///system', '--connect=qemu:///system']).connect, ['qemu:///system']);
    assert.equal(a.port, 0);
    assert.equal(a.configDir, '/tmp/x');
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1'])
      assert.equal(parseServeArgs(['--host', host]).host, host);
    const pub = ['--public-origin', 'https://vs.example.org:8443'];
    assert.equal(parseServeArgs(['--host', '0.0.0.0', '--insecure', ...pub]).insecure, true);
    assert.equal(
      parseServeArgs(['--host', '0.0.0.0', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', ...pub]).tlsCert,
      'c.pem',
    );
    assert.equal(parseServeArgs(['--host', '::', '--insecure', ...pub]).publicOrigin, 'https://vs.example.org:8443');
    assert.equal(
      parseServeArgs(['--host', '::', '--insecure', '--public-origin', 'https://VS.example.org:443/']).publicOrigin,
      'https://vs.example.org',
    );
    assert.equal(parseServeArgs(['--help']).help, true);
  });

  it('refuses a non-loopback address without TLS or --insecure, and other bad input', () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.2', 'example.org', '::ffff:127.0.0.1']) {
      assert.throws(
        () => parseServeArgs(['--host', host]),
        (e: Error) =>
          e instanceof ArgsError && /refusing to listen on .* without TLS/.test(e.message) && e.message.includes(host),
      );
    }
    const bad: [string[], RegExp][] = [
      [['--port', '65536'], /--port must be/],
      [['--port', '-1'], /needs a value|--port must be/],
      [['--port', 'x'], /--port must be/],
      [['--port'], /needs a value/],
      [['--connect'], /needs a value/],
      [['--connect', '--port'], /needs a value/],
      [['--tls-cert', 'c.pem'], /go together/],
      [['--tls-key', 'k.pem', '--host', '0.0.0.0'], /go together/],
      [['--frobnicate'], /unknown option/],
      [['serve'], /^unexpected argument "serve" \(see --help\)$/],
      // The rules both shells share (main/app/args.ts).
      [['--host='], /^--host needs a value, not an empty string$/],
      [['--host', '-x'], /^--host needs a value$/],
      [['--connect', 'localhost'], /^--connect needs a libvirt URI/],
      // Off loopback, the one name users open the page at.
      [['--host', '0.0.0.0', '--insecure'], /needs --public-origin URL/],
      [['--host', '192.0.2.2', '--tls-cert', 'c', '--tls-key', 'k'], /needs --public-origin URL/],
      [['--public-origin', 'vs.example.org'], /is not a URL/],
      [['--public-origin', 'ftp://vs.example.org'], /must be an http/],
      [['--public-origin', 'https://vs.example.org/app'], /an origin only/],
      [['--insecure=yes'], /^--insecure takes no value$/],
      [['--help=1'], /^--help takes no value$/],
    ];
    for (const [argv, want] of bad)
      assert.throws(
        () => parseServeArgs(argv),
        (e: Error) => e instanceof ArgsError && want.test(e.message),
        argv.join(' '),
      );
  });
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

describe('serve: the CLI as users run it', () => {
  let dir: string;
  let cli: string;
  let rig: TestRig;
  let g: TestGuest;
  const runs: Run[] = [];

  const start = (args: string[]): Run => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const run = { child, stdout: () => out, stderr: () => err, exited };
    runs.push(run);
    return run;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vs-cli-'));
    // As scripts/build.mjs bundles it, into a folder of our own (dist/ belongs to the build).
    cli = join(dir, 'main', 'serve.cjs');
    await build({
      entryPoints: ['main/serve/cli.ts'],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: cli,
      logLevel: 'error',
      external: ['electron', 'bufferutil', 'utf-8-validate'],
    });
    mkdirSync(join(dir, 'renderer'));
    writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>cli test</title>\n');
    rig = await TestRig.start();
    g = await rig.define({ name: 'serve-cli' });
  });

  after(async () => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill('SIGTERM');
    await Promise.all(
      runs.map((r) => within(r.exited, 10_000, 'the CLI to exit').catch(() => r.child.kill('SIGKILL'))),
    );
    await rig?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits with one clear line for a non-loopback address without TLS', async () => {
    const r = start(['--host', '0.0.0.0', '--port', '0']);
    assert.equal(await within(r.exited, 10_000, 'the CLI to exit'), 2);
    assert.equal(r.stdout(), '');
    const lines = r.stderr().trim().split('\n');
    assert.equal(lines.length, 1, r.stderr());
    assert.match(
      lines[0]!,
      /^virtswitch: refusing to listen on 0\.0\.0\.0 without TLS: .*--tls-cert and --tls-key, or --insecure/,
    );
  });

  it('exits with one clear line when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (blocker.address() as { port: number }).port;
      const r = start(['--port', String(port), '--connect', HOST, '--config-dir', join(dir, 'cfg-busy')]);
      assert.equal(await within(r.exited, 20_000, 'the CLI to exit'), 1);
      assert.equal(r.stdout(), '');
      assert.match(
        r.stderr(),
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use \\(try --port 0\\)`),
      );
    } finally {
      blocker.close();
    }
  });

  it('prints one URL line; the secret appears nowhere else, whatever clients do', async () => {
    const r = start(['--port', '0', '--connect', HOST, '--config-dir', join(dir, 'cfg')]);
    const line = await waitFor(
      'the URL line',
      () => (r.stdout().includes('\n') ? r.stdout().split('\n')[0] : undefined),
      20_000,
    );
    const m = /^virtswitch serving at (http:\/\/127\.0\.0\.1:(\d+))\/#token=([A-Za-z0-9_-]{20,})$/.exec(line!);
    assert.ok(m, `the line: ${line}`);
    const shell = { origin: m[1]!, token: m[3]! };
    assert.notEqual(Number(m[2]), 0, 'the URL names the port picked');

    // A normal session, then everything a hostile or clumsy client might try.
    const api = await openWs(apiUrl(shell), { origin: shell.origin });
    await api.reader.until('"type":"state"', 10_000);
    await waitFor(
      'the guest in the model',
      async () => {
        api.ws.send(JSON.stringify({ id: 'st', command: 'state.get', params: {} }));
        await new Promise((res) => setTimeout(res, 100));
        return api.reader.text().includes(g.uuid) || undefined;
      },
      30_000,
    );
    api.ws.send('{oops');
    api.ws.send(
      JSON.stringify({
        id: 1,
        command: 'guest.start',
        params: { host: HOST, uuid: '00000000-0000-4000-8000-000000000000' },
      }),
    );
    await api.reader.until('no-such-guest', 10_000);
    await waitFor('the guest to run', async () => (await rig.domstate(g)) === 'running', 30_000);
    const con = await openWs(consoleUrl(shell, g), { origin: shell.origin });
    assert.equal((await rfbHandshake(con.reader)).version, 'RFB 003.008\n');
    await closeWs(con.ws);
    assert.equal((await rawUpgrade(consoleUrl(shell, g, 'vnc', 'wrong'), { Origin: shell.origin })).status, 401);
    assert.equal((await rawUpgrade(consoleUrl(shell, g), { Origin: 'http://evil.example' })).status, 403);
    assert.equal(
      (await rawUpgrade(consoleUrl(shell, { uuid: '00000000-0000-4000-8000-000000000000' }), { Origin: shell.origin }))
        .status,
      404,
    );
    assert.equal((await rawUpgrade(apiUrl(shell).replace('/api', '/nope?x=1'), { Origin: shell.origin })).status, 404);
    await closeWs(api.ws);

    r.child.kill('SIGTERM');
    assert.equal(await within(r.exited, 10_000, 'the CLI to exit on SIGTERM'), 0);
    assert.equal(r.stdout(), `${line}\n`, 'stdout is the one URL line');
    assert.ok(!r.stderr().includes(shell.token), `stderr carries the secret: ${r.stderr()}`);
  });

  it('serves https with --tls-cert and --tls-key, and prints an https URL', async () => {
    const { cert, key } = makeCert(dir, ['127.0.0.1']);
    const r = start([
      '--port',
      '0',
      '--connect',
      HOST,
      '--config-dir',
      join(dir, 'cfg-tls'),
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    const line = await waitFor(
      'the URL line',
      () => (r.stdout().includes('\n') ? r.stdout().split('\n')[0] : undefined),
      20_000,
    );
    assert.match(line!, /^virtswitch serving at https:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+$/);
    r.child.kill('SIGTERM');
    assert.equal(await within(r.exited, 10_000, 'the CLI to exit'), 0);
  });
});
