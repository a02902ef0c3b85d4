import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibvirtClient } from '../../main/libvirt/client.js';
import { TransportError } from '../../main/libvirt/errors.js';
import { describeUri, parseUri, UriError } from '../../main/libvirt/uri.js';
import { localSocketCandidates, sessionSocketDir } from '../../main/libvirt/transport.js';
import { tlsCredentialPaths } from '../../main/libvirt/tls.js';

describe('libvirt URIs', () => {
  it('qemu:///system is the local system daemon over its unix socket', () => {
    const u = parseUri('qemu:///system');
    assert.equal(u.driver, 'qemu');
    assert.equal(u.transport, 'unix');
    assert.equal(u.host, undefined);
    assert.equal(u.path, '/system');
    assert.equal(u.session, false);
    assert.equal(u.daemonUri, 'qemu:///system');
  });

  it('qemu:///session is the per-user daemon', () => {
    const u = parseUri('qemu:///session');
    assert.equal(u.transport, 'unix');
    assert.equal(u.session, true);
    assert.equal(u.daemonUri, 'qemu:///session');
  });

  it('qemu+ssh://user@host:22/system?keyfile=… keeps user, port and client parameters', () => {
    const u = parseUri('qemu+ssh://admin@kvm1.example.org:22/system?keyfile=/home/me/.ssh/id_ed25519&no_verify=1');
    assert.equal(u.transport, 'ssh');
    assert.equal(u.user, 'admin');
    assert.equal(u.host, 'kvm1.example.org');
    assert.equal(u.port, 22);
    assert.equal(u.params.get('keyfile'), '/home/me/.ssh/id_ed25519');
    assert.equal(u.params.get('no_verify'), '1');
    // Client parameters are the client's: never sent to the daemon.
    assert.equal(u.daemonUri, 'qemu:///system');
    assert.equal(describeUri(u), 'qemu+ssh://admin@kvm1.example.org:22/system');
  });

  it('a host with no transport means TLS, as in libvirt', () => {
    for (const s of ['qemu+tls://host/system', 'qemu://host/system']) {
      const u = parseUri(s);
      assert.equal(u.transport, 'tls', s);
      assert.equal(u.host, 'host');
      assert.equal(u.port, undefined);
      assert.equal(u.daemonUri, 'qemu:///system');
    }
    assert.equal(parseUri('qemu+tls://host:16515/system?pkipath=/etc/pki/x').params.get('pkipath'), '/etc/pki/x');
  });

  it('qemu+tcp:// is plain TCP', () => {
    const u = parseUri('qemu+tcp://10.0.0.2:16509/system');
    assert.equal(u.transport, 'tcp');
    assert.equal(u.host, '10.0.0.2');
    assert.equal(u.port, 16509);
  });

  it('qemu+unix:///system is the local socket spelled out, with ?socket= to name it', () => {
    const u = parseUri('qemu+unix:///system?socket=/tmp/x/libvirt-sock');
    assert.equal(u.transport, 'unix');
    assert.equal(u.params.get('socket'), '/tmp/x/libvirt-sock');
    assert.equal(u.daemonUri, 'qemu:///system');
  });

  it('takes IPv6 hosts in brackets, with or without a port', () => {
    const a = parseUri('qemu+ssh://root@[::1]/system');
    assert.equal(a.host, '::1');
    assert.equal(a.port, undefined);
    assert.equal(a.user, 'root');
    const b = parseUri('qemu+tls://[2001:db8::10]:16514/system');
    assert.equal(b.host, '2001:db8::10');
    assert.equal(b.port, 16514);
    const c = parseUri('qemu+ssh://[::ffff:192.0.2.1]:2222/session');
    assert.equal(c.host, '::ffff:192.0.2.1');
    assert.equal(c.port, 2222);
    assert.equal(c.session, true);
  });

  it('other drivers keep their own name: test:///default, lxc:///system, xen+ssh://h/system', () => {
    assert.equal(parseUri('test:///default').daemonUri, 'test:///default');
    assert.equal(parseUri('lxc:///system').driver, 'lxc');
    const x = parseUri('xen+ssh://h/system');
    assert.equal(x.driver, 'xen');
    assert.equal(x.daemonUri, 'xen:///system');
  });

  it('passes the daemon its own parameters and honours ?name=', () => {
    const e = parseUri('qemu:///embed?root=/var/tmp/vs');
    assert.equal(new URL(e.daemonUri.replace('qemu:', 'http://x')).searchParams.get('root'), '/var/tmp/vs');
    assert.equal(parseUri('qemu+ssh://h/system?name=qemu:///session').daemonUri, 'qemu:///session');
  });

  it('decodes %-escapes in users and parameters', () => {
    const u = parseUri('qemu+ssh://first.last@host/system?keyfile=%2Ftmp%2Fmy%20key');
    assert.equal(u.user, 'first.last');
    assert.equal(u.params.get('keyfile'), '/tmp/my key');
  });

  it('is case-insensitive in the scheme and ignores surrounding blanks', () => {
    const u = parseUri('  QEMU+SSH://host/system ');
    assert.equal(u.driver, 'qemu');
    assert.equal(u.transport, 'ssh');
    assert.equal(u.original, 'QEMU+SSH://host/system');
  });

  it('refuses malformed URIs with a UriError that says what is wrong', () => {
    const bad: [string, RegExp][] = [
      ['', /not a libvirt URI/],
      ['qemu', /not a libvirt URI/],
      ['qemu:/system', /not a libvirt URI/],
      ['/run/libvirt/libvirt-sock', /not a libvirt URI/],
      ['qemu+ssh:///system', /needs a host/],
      ['qemu+tls:///system', /needs a host/],
      ['qemu+unix://host/system', /takes no host/],
      ['qemu+libssh2://host/system', /not supported; use qemu\+ssh:\/\//],
      ['qemu+ext://host/system', /"ext" is not supported/],
      ['qemu+ssh://host:0/system', /bad port/],
      ['qemu+ssh://host:65536/system', /bad port/],
      ['qemu+ssh://host:22x/system', /bad host/],
      ['qemu+ssh://bad host/system', /bad host/],
      ['qemu+ssh://[::1/system', /bad host/],
      ['qemu+ssh://us er@host/system', /bad host|bad user/],
      ['qemu+ssh://a;b@host/system', /bad user/],
      ['qemu:///system?keyfile=%zz', /bad %-escape/],
    ];
    for (const [s, re] of bad) {
      assert.throws(
        () => parseUri(s),
        (e: unknown) => e instanceof UriError && re.test(e.message),
        s,
      );
    }
  });
});

describe('local sockets and credentials', () => {
  it('probes the modular daemon first, then libvirtd, as libvirt does', () => {
    assert.deepEqual(localSocketCandidates(parseUri('qemu:///system'), {}), [
      '/run/libvirt/virtqemud-sock',
      '/run/libvirt/libvirt-sock',
    ]);
    assert.deepEqual(localSocketCandidates(parseUri('qemu:///system'), { readOnly: true }), [
      '/run/libvirt/virtqemud-sock-ro',
      '/run/libvirt/libvirt-sock-ro',
    ]);
    assert.deepEqual(localSocketCandidates(parseUri('test:///default'), {}), ['/run/libvirt/libvirt-sock']);
    assert.deepEqual(localSocketCandidates(parseUri('qemu:///system?socket=/x/s'), {}), ['/x/s']);
  });

  it('puts session sockets in $XDG_RUNTIME_DIR/libvirt, with no read-only socket', () => {
    const saved = process.env.XDG_RUNTIME_DIR;
    try {
      process.env.XDG_RUNTIME_DIR = '/run/user/1000';
      assert.equal(sessionSocketDir(), '/run/user/1000/libvirt');
      assert.deepEqual(localSocketCandidates(parseUri('qemu:///session'), { readOnly: true }), [
        '/run/user/1000/libvirt/virtqemud-sock',
        '/run/user/1000/libvirt/libvirt-sock',
      ]);
      assert.deepEqual(localSocketCandidates(parseUri('qemu:///session'), { sessionSocketDir: '/tmp/s' }), [
        '/tmp/s/virtqemud-sock',
        '/tmp/s/libvirt-sock',
      ]);
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    }
  });

  it('finds TLS credentials under ?pkipath= with libvirt file names', () => {
    assert.deepEqual(tlsCredentialPaths(parseUri('qemu+tls://h/system?pkipath=/p')), {
      ca: '/p/cacert.pem',
      cert: '/p/clientcert.pem',
      key: '/p/clientkey.pem',
    });
  });

  it('missing credentials under ?pkipath=: says which file, before any connection is tried', async () => {
    const nowhere = join(tmpdir(), `vs-no-pki-${process.pid}`);
    await assert.rejects(
      LibvirtClient.connect(`qemu+tls://127.0.0.1:1/system?pkipath=${encodeURIComponent(nowhere)}`),
      (e: unknown) => {
        assert.ok(e instanceof TransportError);
        assert.match(e.message, /cannot read the TLS CA certificate .*vs-no-pki-\d+\/cacert\.pem/);
        return true;
      },
    );
  });

  it('a session daemon that cannot start, or exits at once, is a clear error, not a crash or a long wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-spawn-'));
    try {
      writeFileSync(join(dir, 'not-executable'), 'x', { mode: 0o644 });
      writeFileSync(join(dir, 'libvirtd'), '#!/bin/sh\nexit 3\n', { mode: 0o755 });
      const opts = { sessionSocketDir: join(dir, 'run'), connectTimeoutMs: 10_000 };
      await assert.rejects(
        LibvirtClient.connect('qemu:///session', { ...opts, sessionDaemon: join(dir, 'not-executable') }),
        (e: unknown) => e instanceof TransportError && /cannot start .*not-executable.*EACCES/.test(e.message),
      );
      const t0 = performance.now();
      await assert.rejects(
        LibvirtClient.connect('qemu:///session', { ...opts, sessionDaemon: join(dir, 'libvirtd') }),
        (e: unknown) =>
          e instanceof TransportError &&
          /but it exited with 3 before its socket .*run\/libvirt-sock answered/.test(e.message),
      );
      assert.ok(performance.now() - t0 < 5000, 'not the whole connect timeout');
      await assert.rejects(
        LibvirtClient.connect('qemu:///session', { ...opts, sessionDaemon: join(dir, 'missing') }),
        (e: unknown) => e instanceof TransportError && /is not installed/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
