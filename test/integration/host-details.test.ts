/**
 * host.details through the app's session against libvirt's test driver (through the running
 * libvirtd): every figure is that host's own, as virsh reads them on the same connection, and a
 * host that is not QEMU gets no KVM advice. Bad input is refused before libvirt is asked.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../main/app/api.js';
import type { HostDetails } from '../../common/host-details.js';
import { ensureLibvirtd } from '../rig/libvirtd.js';
import { run } from '../rig/exec.js';
import { waitFor } from './libvirt-helpers.js';

const URI = 'test+unix:///default';

const num = (text: string, label: string): number =>
  Number(new RegExp(`^${label.replace(/[()]/g, '\\$&')}:\\s+(\\d+)`, 'm').exec(text)?.[1]);

describe('host.details against the libvirt test driver', () => {
  let dir: string;
  let app: App;

  before(async () => {
    await ensureLibvirtd();
    dir = mkdtempSync(join(tmpdir(), 'vs-hostdetails-'));
    app = new App({ uris: [URI], configDir: dir });
    app.start();
    await waitFor('the test host to connect', () => app.hosts.get(URI).connected, 30_000);
  });

  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says what virsh nodeinfo and version say on the same connection', async () => {
    const d = (await app.session().invoke('host.details', { host: URI })) as HostDetails;
    const nodeinfo = (await run('virsh', ['-c', URI, 'nodeinfo'])).stdout;
    const version = (await run('virsh', ['-c', URI, 'version'])).stdout;
    assert.equal(d.cpus, num(nodeinfo, 'CPU(s)'));
    assert.equal(d.mhz, num(nodeinfo, 'CPU frequency'));
    assert.equal(d.sockets, num(nodeinfo, 'CPU socket(s)'));
    assert.equal(d.cores, num(nodeinfo, 'Core(s) per socket'));
    assert.equal(d.threads, num(nodeinfo, 'Thread(s) per core'));
    assert.equal(d.numaNodes, num(nodeinfo, 'NUMA cell(s)'));
    assert.equal(d.memoryKiB, num(nodeinfo, 'Memory size'));
    assert.ok(d.freeMemoryKiB > 0 && d.freeMemoryKiB <= d.memoryKiB, `${d.freeMemoryKiB} free`);
    assert.equal(`libvirt ${d.libvirtVersion}`, /Using library: (libvirt \S+)/.exec(version)?.[1]);
    assert.equal(`${d.hypervisor} ${d.hypervisorVersion}`, /Running hypervisor: (\S+ \S+)/.exec(version)?.[1]);
    assert.equal(d.virtualization.kvm, false);
    assert.equal(d.virtualization.fix, undefined, 'no KVM advice for a host that is not QEMU');
    assert.match(d.virtualization.summary, /not a QEMU\/KVM host/);
    assert.equal(d.guestsDefined, app.hosts.get(URI).guestList().length);
  });

  it('refuses a host it does not know, and extra fields, in words', async () => {
    await assert.rejects(app.session().invoke('host.details', { host: 'qemu+ssh://nowhere/system' }), /nowhere/);
    await assert.rejects(app.session().invoke('host.details', { host: URI, extra: 1 }), /Bad input for host.details/);
  });
});
