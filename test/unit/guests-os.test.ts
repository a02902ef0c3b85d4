import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ISO_PVD_END, readIsoIdentifiers, type IsoIdentifiers } from '../../common/iso9660.js';
import { OsCatalog } from '../../main/guests/os-catalog.js';
import { detectOs } from '../../main/guests/detect.js';

const ids = (volumeId: string, more: Partial<IsoIdentifiers> = {}): IsoIdentifiers => ({
  systemId: '',
  volumeId,
  publisherId: '',
  applicationId: '',
  ...more,
});
const MS = { publisherId: 'MICROSOFT CORPORATION' };

describe('OS detection against the installed osinfo database', () => {
  let catalog: OsCatalog;
  before(async () => {
    catalog = await OsCatalog.load();
    assert.ok(catalog.fromDatabase, 'osinfo-db is installed (scripts/setup-debian.sh)');
  });
  const first = (v: IsoIdentifiers): string[] => detectOs(catalog, v).map((m) => m.os.shortId);

  // Volume IDs as the published installer ISOs carry them.
  const cases: [string, IsoIdentifiers, string][] = [
    ['Debian 11.7 netinst', ids('Debian 11.7.0 amd64 n', { systemId: 'LINUX' }), 'debian11'],
    ['Debian 10.13 DVD', ids('Debian 10.13.0 amd64 1', { systemId: 'LINUX' }), 'debian10'],
    ['Ubuntu 22.04.3 desktop', ids('Ubuntu 22.04.3 LTS amd64'), 'ubuntu22.04'],
    ['Ubuntu 22.04.3 live server', ids('Ubuntu-Server 22.04.3 LTS amd64'), 'ubuntu22.04'],
    ['Fedora 37 Workstation live', ids('Fedora-WS-Live-37-1-7'), 'fedora37'],
    ['Fedora 37 Server DVD', ids('Fedora-S-dvd-x86_64-37', { systemId: 'LINUX' }), 'fedora37'],
    ['Windows 10 Enterprise evaluation', ids('CENA_X64FREV_EN-US_DV9', MS), 'win10'],
    ['Windows Server 2022 evaluation', ids('SSS_X64FREE_EN-US_DV9', MS), 'win2k22'],
  ];
  for (const [what, v, expected] of cases) {
    it(`recognises ${what}`, () => assert.equal(first(v)[0], expected));
  }

  it('offers Windows 11 first and Windows 10 next for the consumer media they share', () => {
    const hits = first(ids('CCCOMA_X64FRE_EN-US_DV9', MS));
    assert.deepEqual(hits.slice(0, 2), ['win11', 'win10']);
  });

  it('needs every pattern of a medium: a Windows volume ID from another publisher is not Windows', () => {
    assert.deepEqual(first(ids('CCCOMA_X64FRE_EN-US_DV9', { publisherId: 'SOMEONE ELSE' })), []);
    assert.deepEqual(first(ids('MY_BACKUP_DISC')), []);
  });

  it('resolves what the OS needs, through what it derives from', () => {
    const win11 = catalog.get('http://microsoft.com/win/11')!;
    assert.equal(win11.kind, 'windows');
    assert.equal(win11.uefi, 'required');
    assert.equal(win11.secureBoot, true);
    assert.equal(win11.tpm, true);
    assert.equal(win11.virtio, false);
    assert.equal(win11.recommended.memoryMiB, 4096);
    assert.equal(win11.recommended.diskGiB, 64);
    const debian = catalog.get('http://debian.org/debian/11')!;
    // Debian 11 lists only virtio-gpu itself; its virtio disks come from older Debian releases.
    assert.equal(debian.virtio, true);
    assert.equal(debian.kind, 'linux');
    assert.equal(debian.tpm, false);
    assert.equal(debian.recommended.memoryMiB, 1024);
    assert.equal(debian.recommended.diskGiB, 20);
    assert.ok(debian.recommended.vcpus >= 2);
    const win10 = catalog.get('http://microsoft.com/win/10')!;
    assert.deepEqual([win10.uefi, win10.tpm, win10.virtio], ['no', false, false]);
  });

  it('searches by words of the name or short id, and always offers the generic entries', () => {
    assert.ok(catalog.search('windows 11').some((o) => o.shortId === 'win11'));
    assert.ok(catalog.search('debian11').some((o) => o.shortId === 'debian11'));
    assert.equal(catalog.search('generic linux')[0]?.id !== undefined, true);
    assert.ok(catalog.get('generic-linux') && catalog.get('generic-windows') && catalog.get('generic-other'));
  });
});

describe('without an osinfo database', () => {
  it('offers Generic Linux / Windows / other with safe defaults', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'vst-osinfo-'));
    try {
      const c = await OsCatalog.load([empty]);
      assert.equal(c.fromDatabase, false);
      assert.deepEqual(
        c.oses.map((o) => [o.name, o.kind, o.virtio]),
        [
          ['Generic Linux', 'linux', true],
          ['Generic Windows', 'windows', false],
          ['Generic / other', 'other', false],
        ],
      );
      assert.deepEqual(detectOs(c, ids('Debian 11.7.0 amd64 n')), []);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('reads a database given in another folder, resolving derives-from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vst-osinfo-'));
    try {
      mkdirSync(join(dir, 'os', 'example.org'), { recursive: true });
      writeFileSync(
        join(dir, 'os', 'example.org', 'ex.xml'),
        `<libosinfo version="0.0.1">
          <os id="http://example.org/ex/1"><short-id>ex1</short-id><name>Ex 1</name><family>linux</family>
            <release-date>2020-01-01</release-date>
            <resources arch="all"><recommended><ram>3221225472</ram><storage>8589934592</storage></recommended></resources>
            <devices><device id="http://pcisig.com/pci/1af4/1001"/></devices></os>
          <os id="http://example.org/ex/2"><short-id>ex2</short-id><name>Ex 2</name><name xml:lang="de">Ex Zwei</name>
            <family>linux</family><derives-from id="http://example.org/ex/1"/><release-date>2021-01-01</release-date>
            <media arch="x86_64"><iso><volume-id>^EX2 \\d+$</volume-id></iso></media></os>
        </libosinfo>`,
      );
      const c = await OsCatalog.load([dir]);
      const ex2 = c.get('http://example.org/ex/2')!;
      assert.deepEqual(
        [ex2.name, ex2.virtio, ex2.recommended.memoryMiB, ex2.recommended.diskGiB],
        ['Ex 2', true, 3072, 8],
      );
      assert.equal(c.oses[0]!.shortId, 'ex2', 'newest first');
      assert.deepEqual(
        detectOs(c, ids('EX2 7')).map((m) => m.os.shortId),
        ['ex2'],
      );
      assert.deepEqual(detectOs(c, ids('EX2 7 beta')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ISO 9660 primary volume descriptor', () => {
  it('reads the identifiers of an image xorriso made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vst-iso-'));
    try {
      writeFileSync(join(dir, 'hello.txt'), 'hello\n');
      const iso = join(dir, 'x.iso');
      execFileSync(
        'xorriso',
        [
          ...['-outdev', iso, '-volid', 'Debian 11.7.0 amd64 n', '-publisher', 'EXAMPLE PUB'],
          ...['-application_id', 'EXAMPLE APP', '-map', join(dir, 'hello.txt'), '/hello.txt'],
        ],
        { stdio: 'ignore' },
      );
      const head = readFileSync(iso).subarray(0, ISO_PVD_END);
      const got = readIsoIdentifiers(head);
      assert.deepEqual(got && { v: got.volumeId, p: got.publisherId, a: got.applicationId }, {
        v: 'Debian 11.7.0 amd64 n',
        p: 'EXAMPLE PUB',
        a: 'EXAMPLE APP',
      });
      assert.equal(readIsoIdentifiers(head.subarray(0, ISO_PVD_END - 1)), undefined, 'too short');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says a file that is not an ISO is not one', () => {
    assert.equal(readIsoIdentifiers(new Uint8Array(ISO_PVD_END)), undefined);
    const qcow = Buffer.alloc(ISO_PVD_END);
    qcow.write('QFI\xfb', 0, 'latin1');
    assert.equal(readIsoIdentifiers(qcow), undefined);
  });
});
