import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isLoopbackAddress, openVncChannel, type ConsoleError } from '../../main/consoles/endpoint.js';

/** A non-loopback address of this machine: dialling it stays on this machine. */
const ownAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('console addresses on TLS/TCP hosts', () => {
  it('every spelling of loopback is loopback', () => {
    for (const a of [
      '127.0.0.1',
      '127.9.8.7',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      'localhost',
    ])
      assert.ok(isLoopbackAddress(a), a);
    for (const a of ['10.0.0.1', '::', '0.0.0.0', '::ffff:10.0.0.1', 'example.org', '128.0.0.1'])
      assert.ok(!isLoopbackAddress(a), a);
  });

  it('a display on loopback only is unavailable from afar, however the address is spelled', async () => {
    for (const host of ['::ffff:127.0.0.1', '0:0:0:0:0:0:0:1', '127.0.0.2'])
      await assert.rejects(
        openVncChannel({ kind: 'tcp', host, port: 5900 }, { remoteHost: '127.0.0.1' }, 500),
        (e: ConsoleError) => e.code === 'unavailable' && /loopback only/.test(e.message),
        host,
      );
  });

  it('dials the host of the connection with the port of the XML, never the address the guest names', async (t) => {
    if (!ownAddress) return t.skip('this machine has no non-loopback IPv4 address to name');
    const server = createServer((s) => s.end('RFB 003.008\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      // The guest names this machine's other address, where nothing listens on that port.
      const ch = await openVncChannel({ kind: 'tcp', host: ownAddress, port }, { remoteHost: '127.0.0.1' }, 2000);
      const first = await new Promise<string>((r) => ch.once('data', (d: Buffer) => r(d.toString())));
      assert.equal(first, 'RFB 003.008\n');
      ch.destroy();
    } finally {
      server.close();
    }
  });
});
