/** The serve shell answers the page's files from memory, and a rebuilt file is never answered stale. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic } from '../../main/serve/static.js';

function fetch(port: number, path: string, method = 'GET'): Promise<{ status: number; length: string; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, length: String(res.headers['content-length']), body }),
      );
    }).on('error', reject);
  });
}

describe('static files from memory', () => {
  const ui = mkdtempSync(join(tmpdir(), 'vs-static-cache-'));
  let server: Server;
  let port: number;

  before(async () => {
    server = createServer((req, res) => serveStatic(ui, req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  after(() => server.close());

  it('serves a file whole, again after it is rewritten (new size or only a new time)', async () => {
    const file = join(ui, 'app.js');
    writeFileSync(file, 'one();');
    assert.deepEqual(await fetch(port, '/app.js'), { status: 200, length: '6', body: 'one();' });
    assert.deepEqual(await fetch(port, '/app.js'), { status: 200, length: '6', body: 'one();' });
    writeFileSync(file, 'three();');
    assert.deepEqual(await fetch(port, '/app.js'), { status: 200, length: '8', body: 'three();' });
    // Same size, different text: the modification time tells.
    writeFileSync(file, 'four(1);');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(await fetch(port, '/app.js'), { status: 200, length: '8', body: 'four(1);' });
    assert.deepEqual(await fetch(port, '/app.js', 'HEAD'), { status: 200, length: '8', body: '' });
  });

  it('streams a file too big to keep, whole', async () => {
    const big = 'x'.repeat((2 << 20) + 1);
    writeFileSync(join(ui, 'big.js'), big);
    const r = await fetch(port, '/big.js');
    assert.equal(r.status, 200);
    assert.equal(r.length, String(big.length));
    assert.equal(r.body, big);
  });
});
