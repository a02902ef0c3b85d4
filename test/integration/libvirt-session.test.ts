/**
 * The wire client finding (or starting) a session daemon, and refused by the system daemon: a
 * running per-user daemon reached through the sessionSocketDir option, libvirtd spawned on demand
 * for a non-root user, and the polkit refusal for a user outside the libvirt group.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AuthError, LibvirtClient } from '../../main/libvirt/index.js';
import { NOBODY, REPO, nobodyDir, runAsNobody, userDaemonsIn, userEnv, useUserDaemons } from './user-daemon.js';

describe('libvirt wire client: session daemons, and the system daemon refusing a user', () => {
  const u = useUserDaemons();

  it('qemu:///session of a running per-user daemon, found through the sessionSocketDir option', async () => {
    const d = await u.daemon('session');
    const dir = join(d.env.XDG_RUNTIME_DIR!, 'libvirt');
    const c = await LibvirtClient.connect('qemu:///session', {
      sessionSocketDir: dir,
      sessionDaemon: '/nonexistent/never-spawned',
    });
    try {
      assert.equal((await c.call('connectGetUri', undefined)).uri, 'qemu:///session');
      assert.deepEqual(await c.call('connectGetType', undefined), { type: 'QEMU' });
      assert.match((await c.call('connectGetCapabilities', undefined)).capabilities, /<domain type='qemu'/);
    } finally {
      await c.close();
    }
  });

  it('qemu:///session as a non-root user with no daemon running: the client spawns libvirtd --timeout=120', async () => {
    const env = userEnv(nobodyDir(u.base, 'spawn'));
    const runtime = env.XDG_RUNTIME_DIR!;
    assert.deepEqual(userDaemonsIn(runtime), []);
    const r = await runAsNobody(
      u.base,
      `import { LibvirtClient } from ${JSON.stringify(join(REPO, 'main/libvirt/index.ts'))};
const c = await LibvirtClient.connect('qemu:///session');
const { uri } = await c.call('connectGetUri', undefined);
const { libVer } = await c.call('connectGetLibVersion', undefined);
console.log(JSON.stringify({ uri, libVer, uid: process.getuid() }));
await c.close();
`,
      env,
    );
    const found = userDaemonsIn(runtime);
    u.spawned(found.map((f) => f.pid));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { uri: 'qemu:///session', libVer: 9000000, uid: NOBODY });
    assert.equal(found.length, 1, 'one session daemon, started by the client');
    assert.deepEqual(found[0]!.args, ['/usr/sbin/libvirtd', '--timeout=120']);
    assert.ok(existsSync(join(runtime, 'libvirt', 'libvirt-sock')));
    // The next client finds the running daemon instead of starting another.
    const again = await runAsNobody(
      u.base,
      `import { LibvirtClient } from ${JSON.stringify(join(REPO, 'main/libvirt/index.ts'))};
const c = await LibvirtClient.connect('qemu:///session');
console.log((await c.call('connectGetUri', undefined)).uri);
await c.close();
`,
      env,
    );
    assert.equal(again.stdout.trim(), 'qemu:///session', again.stderr);
    assert.equal(userDaemonsIn(runtime).length, 1);
  });

  it('a user outside the libvirt group on the system socket: AUTH_LIST offers polkit, polkit fails, the AuthError says what to do', async () => {
    const env = userEnv(nobodyDir(u.base, 'polkit'));
    const r = await runAsNobody(
      u.base,
      `import { LibvirtClient } from ${JSON.stringify(join(REPO, 'main/libvirt/index.ts'))};
import { RpcConnection } from ${JSON.stringify(join(REPO, 'main/libvirt/connection.ts'))};
import { connect } from 'node:net';
const s = connect('/run/libvirt/libvirt-sock');
await new Promise((r) => s.once('connect', r));
const raw = new RpcConnection(s, 'raw');
const types = (await raw.call('authList', undefined)).types;
raw.destroy();
try {
  await LibvirtClient.connect('qemu:///system', { connectTimeoutMs: 20000 });
  console.log(JSON.stringify({ types, opened: true }));
} catch (e) {
  console.log(JSON.stringify({ types, name: e.name, message: e.message, cause: e.cause?.message, code: e.cause?.code }));
}
`,
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as {
      types: number[];
      name: string;
      message: string;
      cause: string;
      code: number;
    };
    assert.deepEqual(out.types, [2], 'AUTH_LIST offers only polkit');
    assert.equal(out.name, AuthError.name);
    assert.match(out.message, /libvirt at qemu:\/\/\/system refused access for this user/);
    assert.match(out.message, /add the user to the libvirt group \(sudo usermod -aG libvirt \$USER/);
    // No D-Bus system bus here, so polkit itself fails: libvirt says so, and the cause keeps it.
    assert.ok(out.code > 0);
    assert.match(out.cause, /bus|polkit|authentication/i);
  });
});
