/**
 * The app:// protocol handler (main/electron/app-protocol.ts): files from the renderer's folder
 * and nothing else, with the CSP on every answer.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CONTENT_SECURITY_POLICY,
  createAppProtocolHandler,
  isAppUrl,
  resolveAppPath,
} from '../../main/electron/app-protocol.js';

let top: string;
let root: string;
const reads: string[] = [];
let handler: (r: Request) => Promise<Response>;

before(() => {
  top = mkdtempSync(join(tmpdir(), 'vs-protocol-'));
  root = join(top, 'renderer');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>virtswitch</title>');
  writeFileSync(join(root, 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'styles.css'), 'body{}');
  writeFileSync(join(root, 'sub', 'icon.svg'), '<svg/>');
  writeFileSync(join(root, 'app.js.map'), '{}');
  writeFileSync(join(top, 'secret.txt'), 'TOP SECRET');
  writeFileSync(join(top, 'secret.js'), 'TOP SECRET');
  handler = createAppProtocolHandler(root, async (p) => {
    reads.push(p);
    return readFileSync(p);
  });
});

after(() => rmSync(top, { recursive: true, force: true }));

const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

describe('app:// protocol handler', () => {
  it('serves the app with its CSP and the right types', async () => {
    const index = await get('app://virtswitch/');
    assert.equal(index.status, 200);
    assert.equal(await index.text(), '<!doctype html><title>virtswitch</title>');
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(index.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    assert.equal((await get('app://virtswitch/index.html')).status, 200);
    assert.equal((await get('app://virtswitch/app.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await get('app://virtswitch/styles.css')).headers.get('content-type'), 'text/css; charset=utf-8');
    const svg = await get('app://virtswitch/sub/icon.svg');
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.equal(await svg.text(), '<svg/>');
    const head = await get('app://virtswitch/app.js', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('the CSP: scripts only from the app, no network, no eval, no frames', () => {
    const d = Object.fromEntries(
      CONTENT_SECURITY_POLICY.split('; ').map((x) => [x.split(' ')[0], x.split(' ').slice(1).join(' ')]),
    );
    assert.equal(d['default-src'], "'none'");
    assert.equal(d['script-src'], "'self'");
    assert.equal(d['connect-src'], "'none'");
    assert.equal(d['img-src'], "'self' data: blob:");
    assert.equal(d['base-uri'], "'none'");
    assert.equal(d['form-action'], "'none'");
    assert.equal(d['frame-ancestors'], "'none'");
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-eval|\*/);
  });

  const refused: [string, string][] = [
    ['app://virtswitch/../secret.txt', 'dot-dot (the URL parser folds it into the root)'],
    ['app://virtswitch/sub/../../secret.js', 'dot-dot below a folder'],
    ['app://virtswitch/%2e%2e/secret.js', 'encoded dot-dot'],
    ['app://virtswitch/..%2fsecret.js', 'dot-dot with an encoded slash'],
    ['app://virtswitch/%2e%2e%2fsecret.js', 'all of it encoded'],
    ['app://virtswitch/sub%2f..%2f..%2fsecret.js', 'encoded slashes climbing out'],
    ['app://virtswitch/..%5csecret.js', 'encoded backslash'],
    ['app://virtswitch/%252e%252e/secret.js', 'double-encoded dot-dot'],
    ['app://virtswitch//etc/passwd', 'an absolute path after the host'],
    ['app://virtswitch/%2fetc%2fpasswd', 'an encoded absolute path'],
    [`app://virtswitch/${encodeURIComponent(join(top, 'secret.js'))}`, 'the secret by its absolute path'],
    ['app://virtswitch/index.html%00.js', 'a NUL'],
    ['app://evil/index.html', 'a foreign host'],
    ['app://virtswitch.evil/index.html', 'a lookalike host'],
    ['app://virtswitch:8080/index.html', 'a port'],
    ['app://virtswitch/app.js.map', 'source maps'],
    ['app://virtswitch/sub', 'a folder'],
    ['app://virtswitch/nothing.js', 'a missing file'],
  ];
  for (const [url, what] of refused) {
    it(`refuses ${what}: ${url}`, async () => {
      const r = await get(url);
      assert.notEqual(r.status, 200);
      assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
      assert.equal(r.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, 'refusals carry the CSP too');
      assert.doesNotMatch(await r.text(), /TOP SECRET/);
    });
  }

  it('never read a file outside the root', () => {
    assert.ok(reads.length > 0);
    for (const p of reads) assert.ok(!relative(root, p).startsWith('..'), p);
  });

  it('the reasons, below the URL parser (raw paths a request could never carry)', () => {
    assert.deepEqual(resolveAppPath(root, 'app://virtswitch/..%2f..%2fsecret.js'), {
      status: 403,
      why: 'path outside the app',
    });
    assert.deepEqual(resolveAppPath(root, 'app://other/index.html'), { status: 403, why: 'foreign host' });
    assert.deepEqual(resolveAppPath(root, 'app://user@virtswitch/index.html'), { status: 403, why: 'foreign host' });
    assert.deepEqual(resolveAppPath(root, 'file:///etc/passwd'), { status: 400, why: 'not an app: URL' });
    assert.deepEqual(resolveAppPath(root, 'app://virtswitch/%E0%A4%A'), { status: 400, why: 'bad percent-encoding' });
    assert.deepEqual(resolveAppPath(root, 'app://virtswitch/sub/icon.svg'), { path: join(root, 'sub', 'icon.svg') });
  });

  it('only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE'])
      assert.equal((await get('app://virtswitch/index.html', method)).status, 405);
  });

  it('isAppUrl parses rather than compares prefixes', () => {
    assert.equal(isAppUrl('app://virtswitch/index.html'), true);
    assert.equal(isAppUrl('app://virtswitch'), true);
    for (const u of [
      'app://virtswitch.evil.com/',
      'app://evil/virtswitch',
      'https://virtswitch/',
      'file:///app://virtswitch/',
      'app://x@virtswitch/',
      'not a url',
    ])
      assert.equal(isAppUrl(u), false, u);
  });
});
