import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../main/app/api.js';
import type { ApiError } from '../../common/api-error.js';
import { pageUriProblem } from '../../main/libvirt/uri.js';
import { hostOptions } from '../../renderer/src/ui/host-options.js';

const HOSTILE = [
  'qemu:///system?socket=/var/run/docker.sock',
  'qemu+ssh://root@example.invalid/system?keyfile=/etc/shadow',
  'qemu+ssh://example.invalid/system?no_verify=1',
  'qemu+ssh://example.invalid/system?no_tty=0',
  'qemu+ssh://example.invalid/system?command=/bin/sh',
  'qemu+ssh://example.invalid/system?netcat=/tmp/evil',
  'qemu+tls://example.invalid/system?pkipath=/home/other',
  'qemu:///system?name=test:///default',
];

describe('URIs from a window', () => {
  it('may choose transport, user, host, port and path only', () => {
    for (const u of ['qemu:///system', 'qemu+ssh://me@host:2222/system', 'qemu+tcp://[::1]:16509/session'])
      assert.equal(pageUriProblem(u), undefined, u);
    for (const u of HOSTILE) assert.match(pageUriProblem(u) ?? '', /command line.*hosts\.json/, u);
  });

  it('hosts.add and hosts.test refuse options from a session; nothing is saved or dialled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-pageuri-'));
    const app = new App({ configDir: dir, host: { backoffInitialMs: 60_000 } });
    const s = app.session();
    for (const uri of HOSTILE) {
      for (const cmd of ['hosts.add', 'hosts.test'] as const) {
        await assert.rejects(
          s.invoke(cmd, { uri }),
          (e: ApiError) => e.code === 'invalid-input' && /can't be set from the window/.test(e.message),
          `${cmd} ${uri}`,
        );
      }
    }
    assert.equal(app.hosts.list().length, 0);
    assert.ok(!existsSync(join(dir, 'hosts.json')) || !readFileSync(join(dir, 'hosts.json'), 'utf8').includes('?'));
    s.close();
    await app.close();
  });

  it('options given outside the window are listed for Settings', () => {
    assert.deepEqual(hostOptions('qemu+ssh://h/system?keyfile=%2Fk%2Fid&no_verify=1'), [
      'keyfile=/k/id',
      'no_verify=1',
    ]);
    assert.deepEqual(hostOptions('qemu:///system'), []);
  });
});
