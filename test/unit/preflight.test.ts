import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/** Runs the test preflight with some of the machine taken away, as a new user's machine might be. */
function preflight(env: Record<string, string>): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/rig/preflight.ts'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function oneClearLine(text: string, pattern: RegExp): void {
  const lines = text.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${text}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(text, /\n\s+at |Error:/, 'no stack trace');
}

describe('test preflight: what is missing, in one line, with how to get it', () => {
  it('no libvirtd', () => {
    const r = preflight({
      VIRTSWITCH_LIBVIRT_SOCKET_DIR: '/nonexistent',
      VIRTSWITCH_LIBVIRTD: '/nonexistent/libvirtd',
    });
    assert.equal(r.code, 1);
    oneClearLine(
      r.err,
      /^virtswitch tests: libvirtd is not installed: apt-get install libvirt-daemon-system qemu-system-x86$/,
    );
  });

  it('no kernel in /boot', () => {
    const r = preflight({ VIRTSWITCH_BOOT_DIR: '/nonexistent' });
    assert.equal(r.code, 1);
    oneClearLine(r.err, /^virtswitch tests: no kernel in \/nonexistent: apt-get install linux-image-amd64$/);
  });

  it('no Chromium', () => {
    const r = preflight({ VIRTSWITCH_CHROMIUM: '/nonexistent/chromium' });
    assert.equal(r.code, 1);
    oneClearLine(r.err, /^virtswitch tests: no Chromium at \/nonexistent\/chromium: apt-get install chromium/);
  });

  it('no /dev/kvm is a note, not a failure: the tests use TCG', () => {
    const r = preflight({ VIRTSWITCH_KVM_DEVICE: '/nonexistent/kvm' });
    assert.equal(r.code, 0);
    oneClearLine(r.out, /^virtswitch tests: no usable \/nonexistent\/kvm; test guests run under TCG/);
  });
});
