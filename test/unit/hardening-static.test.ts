import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic } from '../../main/serve/static.js';

function fetch(port: number, path: string): Promise<{ status: number; body: string; hsts: unknown }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, hsts: res.headers['strict-transport-security'] }),
      );
    }).on('error', reject);
  });
}

describe('static files of the serve shell', () => {
  const top = mkdtempSync(join(tmpdir(), 'vs-static-'));
  const ui = join(top, 'ui');
  let plain: Server;
  let overTls: Server;
  const port = (s: Server): number => (s.address() as AddressInfo).port;

  before(async () => {
    mkdirSync(join(ui, 'assets'), { recursive: true });
    writeFileSync(join(ui, 'index.html'), '<p>ui</p>');
    writeFileSync(join(ui, 'assets', 'a.css'), 'p{}');
    writeFileSync(join(top, 'private.txt'), 'not for the page');
    symlinkSync(join(top, 'private.txt'), join(ui, 'leak.txt'));
    symlinkSync(top, join(ui, 'up'));
    symlinkSync(join(ui, 'assets', 'a.css'), join(ui, 'inside.css'));
    plain = createServer((req, res) => serveStatic(ui, req, res));
    overTls = createServer((req, res) => serveStatic(ui, req, res, true));
    await Promise.all([plain, overTls].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });

  after(() => {
    plain.close();
    overTls.close();
  });

  it('follows no symbolic link out of the UI folder', async () => {
    assert.equal((await fetch(port(plain), '/index.html')).status, 200);
    for (const path of ['/leak.txt', '/up/private.txt']) {
      const r = await fetch(port(plain), path);
      assert.equal(r.status, 404, path);
      assert.ok(!r.body.includes('not for the page'), path);
    }
    // A link that stays inside is fine.
    assert.equal((await fetch(port(plain), '/inside.css')).body, 'p{}');
  });

  it('sends HSTS when TLS is on, and only then', async () => {
    assert.equal((await fetch(port(overTls), '/')).hsts, 'max-age=31536000');
    assert.equal((await fetch(port(overTls), '/missing')).hsts, 'max-age=31536000');
    assert.equal((await fetch(port(plain), '/')).hsts, undefined);
  });
});
