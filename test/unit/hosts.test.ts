import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDomainXml } from '../../main/hosts/domain-xml.js';
import { parseCapabilities } from '../../main/hosts/capabilities.js';
import { loadJson, saveJson } from '../../main/platform/json-file.js';
import { defaultUri, HostManager } from '../../main/hosts/manager.js';
import type { ApiError } from '../../common/api-error.js';
import { toApiError } from '../../main/hosts/api-error.js';
import { versionString } from '../../main/hosts/facts.js';
import { reasonName } from '../../main/hosts/reasons.js';
import { LibvirtError, ConnectionClosedError, UriError } from '../../main/libvirt/index.js';
import { schemas } from '../../main/app/schemas.js';
import { SettingsStore } from '../../main/app/settings.js';
import { App } from '../../main/app/api.js';

const LIVE = `<domain type='qemu' id='7'>
  <name>web&amp;&lt;1&gt;</name>
  <uuid>6f1b1a7c-2b7e-4c53-8a60-0c0a4bd1b3f1</uuid>
  <metadata><libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0"><libosinfo:os id="http://debian.org/debian/12"/></libosinfo:libosinfo></metadata>
  <memory unit='KiB'>524288</memory>
  <currentMemory unit='MiB'>256</currentMemory>
  <vcpu placement='static' current='1'>4</vcpu>
  <devices>
    <serial type='pty'><source path='/dev/pts/3'/><target port='0'/></serial>
    <graphics type='vnc' port='5901' autoport='yes' websocket='5701' listen='0.0.0.0' passwd='s3cret'>
      <listen type='address' address='0.0.0.0'/>
    </graphics>
  </devices>
</domain>`;

describe('domain XML', () => {
  it('reads sizes in any unit, consoles, the OS and the live VNC endpoint', () => {
    const f = parseDomainXml(LIVE);
    assert.equal(f.name, 'web&<1>');
    assert.equal(f.maxMemoryKiB, 524288);
    assert.equal(f.memoryKiB, 262144);
    assert.deepEqual([f.vcpus, f.maxVcpus], [1, 4]);
    assert.equal(f.hasSerial, true);
    assert.equal(f.hasVnc, true);
    assert.equal(f.os, 'http://debian.org/debian/12');
    // A wildcard listen is reached on loopback from the host itself.
    assert.deepEqual(f.vnc, { kind: 'tcp', host: '127.0.0.1', port: 5901, websocketPort: 5701, password: 's3cret' });
  });

  it('knows an inactive display (port -1), a unix socket display and no display', () => {
    assert.equal(
      parseDomainXml(
        `<domain><name>a</name><devices><graphics type='vnc' port='-1' autoport='yes'/></devices></domain>`,
      ).vnc,
      undefined,
    );
    assert.deepEqual(
      parseDomainXml(
        `<domain><name>a</name><devices><graphics type='vnc'><listen type='socket' socket='/run/x.sock'/></graphics></devices></domain>`,
      ).vnc,
      { kind: 'unix', path: '/run/x.sock' },
    );
    const none = parseDomainXml(
      `<domain><name>007</name><vcpu>2</vcpu><memory>1048576</memory><devices><serial type='file'/></devices></domain>`,
    );
    assert.equal(none.name, '007');
    assert.equal(none.hasVnc, false);
    assert.equal(none.hasSerial, false);
    assert.equal(none.memoryKiB, 1048576);
    assert.throws(() => parseDomainXml('<network/>'), /not a domain/);
  });

  it('reads hypervisor facts from capabilities', () => {
    const caps = `<capabilities><host><cpu><arch>x86_64</arch><model>Broadwell</model><feature name='vmx'/></cpu></host>
      <guest><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>`;
    assert.deepEqual(parseCapabilities(caps), {
      cpuModel: 'Broadwell',
      cpuFeatures: ['vmx'],
      hardwareVirt: true,
      kvm: true,
    });
    assert.deepEqual(
      parseCapabilities(
        `<capabilities><host><cpu><arch>x86_64</arch></cpu></host><guest><arch><domain type='qemu'/></arch></guest></capabilities>`,
      ),
      {
        cpuModel: 'x86_64',
        cpuFeatures: [],
        hardwareVirt: false,
        kvm: false,
      },
    );
    assert.equal(versionString(9000000), '9.0.0');
    assert.equal(versionString(7002022), '7.2.22');
    assert.equal(reasonName(5, 2), 'destroyed');
    assert.equal(reasonName(1, 99), 'unknown');
  });
});

describe('config files', () => {
  it('writes atomically and keeps a corrupt file aside instead of dropping it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-json-'));
    const file = join(dir, 'hosts.json');
    saveJson(file, { hosts: [{ uri: 'qemu:///system' }] });
    assert.deepEqual(loadJson(file, { hosts: [] }, (r) => r as { hosts: unknown[] }).value, {
      hosts: [{ uri: 'qemu:///system' }],
    });
    writeFileSync(file, '{"hosts": [');
    const r = loadJson(file, { hosts: [] }, (x) => x as { hosts: unknown[] });
    assert.deepEqual(r.value, { hosts: [] });
    assert.match(r.problem ?? '', /was corrupt .* kept as .*hosts\.json\.corrupt-/);
    const aside = readdirSync(dir).find((n) => n.startsWith('hosts.json.corrupt-'))!;
    assert.equal(readFileSync(join(dir, aside), 'utf8'), '{"hosts": [');
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });

  it('reports a corrupt hosts list and falls back to the default host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-mgr-'));
    writeFileSync(join(dir, 'hosts.json'), '{"hosts": "nope"}');
    const m = new HostManager({ configDir: dir, host: { backoffInitialMs: 60_000 } });
    const problems: string[] = [];
    m.on('problem', (p) => problems.push(p));
    m.start();
    assert.equal(problems.length, 1);
    assert.equal(m.list().length, 1);
    await m.close();
  });

  it('keeps the host list across runs and refuses duplicates and bad URIs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-mgr-'));
    const m = new HostManager({ configDir: dir, host: { backoffInitialMs: 60_000 } });
    m.start();
    m.add('qemu+ssh://root@lab.invalid/system');
    assert.throws(
      () => m.add('qemu+ssh://root@lab.invalid/system'),
      (e: ApiError) => e.code === 'conflict',
    );
    assert.throws(
      () => m.add('::nonsense::'),
      (e: ApiError) => e.code === 'invalid-input',
    );
    const saved = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8')) as { hosts: { uri: string }[] };
    assert.ok(saved.hosts.some((h) => h.uri === 'qemu+ssh://root@lab.invalid/system'));
    await m.remove('qemu+ssh://root@lab.invalid/system');
    assert.ok(
      !JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8')).hosts.some((h: { uri: string }) =>
        h.uri.includes('lab.invalid'),
      ),
    );
    await m.close();
  });

  it('picks the default host as libvirt does', () => {
    assert.equal(
      defaultUri({ LIBVIRT_DEFAULT_URI: 'qemu+ssh://a/system' }, () => false),
      'qemu+ssh://a/system',
    );
    assert.equal(
      defaultUri({}, (p) => p === '/run/libvirt/libvirt-sock'),
      'qemu:///system',
    );
    assert.equal(
      defaultUri({}, () => false),
      'qemu:///session',
    );
  });

  it('merges saved settings over the defaults and refuses clashing hotkeys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-set-'));
    writeFileSync(
      join(dir, 'settings.json'),
      JSON.stringify({ scanIntervalSec: 9, hotkeys: { next: 'Ctrl+Alt+KeyN' } }),
    );
    const s = new SettingsStore(dir);
    const v = s.load();
    assert.equal(v.scanIntervalSec, 9);
    assert.equal(v.hotkeys.next, 'Ctrl+Alt+KeyN');
    assert.equal(v.hotkeys.slot1, 'Ctrl+Alt+Digit1');
    assert.throws(() => s.update({ hotkeys: { ...v.hotkeys, previous: 'Ctrl+Alt+KeyN' } }));
    assert.equal(s.update({ theme: 'dark' }).theme, 'dark');
    assert.equal(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')).theme, 'dark');
  });
});

describe('API errors and input schemas', () => {
  const where = { host: 'qemu:///system', guest: 'web1', action: 'shut down web1' };

  it("turns libvirt's errors into sentences with a code", () => {
    const notRunning = toApiError(
      new LibvirtError({
        code: 55,
        domain: 10,
        level: 2,
        message: 'Requested operation is not valid: domain is not running',
      }),
      where,
    );
    assert.equal(notRunning.code, 'invalid-state');
    assert.equal(notRunning.message, "Can't shut down web1: domain is not running");
    assert.deepEqual(notRunning.toJSON(), {
      code: 'invalid-state',
      message: "Can't shut down web1: domain is not running",
      host: 'qemu:///system',
      guest: 'web1',
    });
    assert.equal(
      toApiError(new LibvirtError({ code: 42, domain: 10, level: 2, message: 'no domain' }), where).code,
      'no-such-guest',
    );
    assert.equal(toApiError(new ConnectionClosedError('gone'), where).code, 'host-unavailable');
    assert.equal(toApiError(new UriError('bad'), where).code, 'invalid-input');
    assert.equal(toApiError(new Error('boom'), where).code, 'internal');
  });

  it('refuses malformed, hostile and out-of-range input', () => {
    const ref = { host: 'qemu:///system', uuid: '6f1b1a7c-2b7e-4c53-8a60-0c0a4bd1b3f1' };
    assert.ok(schemas['guest.start'].safeParse(ref).success);
    assert.ok(!schemas['guest.start'].safeParse({ ...ref, uuid: '../../etc/passwd' }).success);
    assert.ok(!schemas['guest.start'].safeParse({ ...ref, extra: true }).success);
    assert.ok(!schemas['guest.setMemory'].safeParse({ ...ref, memoryMiB: 1.5, live: true, config: false }).success);
    assert.ok(!schemas['guest.setMemory'].safeParse({ ...ref, memoryMiB: 1e12, live: true, config: false }).success);
    assert.ok(!schemas['guest.snapshotCreate'].safeParse({ ...ref, name: '<x/>' }).success);
    assert.ok(!schemas['guest.sendKeys'].safeParse({ ...ref, keys: Array(17).fill('KeyA') }).success);
    assert.ok(!schemas['settings.update'].safeParse({ hotkeys: { next: 'KeyA' } }).success);
    assert.ok(schemas['settings.update'].safeParse({ theme: 'dark' }).success);
  });

  it('answers unknown commands and bad parameters from a session with invalid-input, and nothing runs', async () => {
    const app = new App({
      configDir: mkdtempSync(join(tmpdir(), 'vs-app-')),
      uris: ['qemu+tcp://127.0.0.1:1/system'],
      host: { backoffInitialMs: 60_000 },
    });
    const s = app.session();
    await assert.rejects(
      s.invoke('rm -rf', {}),
      (e: ApiError) => e.code === 'invalid-input' && /Unknown command/.test(e.message),
    );
    await assert.rejects(s.invoke('guest.start', null), (e: ApiError) => e.code === 'invalid-input');
    await assert.rejects(
      s.invoke('guest.start', { host: 'qemu:///nope', uuid: '6f1b1a7c-2b7e-4c53-8a60-0c0a4bd1b3f1' }),
      (e: ApiError) => e.code === 'no-such-host',
    );
    await assert.rejects(s.openConsole({ host: 'x', uuid: 'y' }, 'rdp'), (e: ApiError) => e.code === 'invalid-input');
    s.close();
    await app.close();
  });
});
