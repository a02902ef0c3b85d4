import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withVncDisplay } from '../../main/hosts/display-commands.js';
import { parseDomainXml } from '../../main/hosts/domain-xml.js';

const SPICE_ONLY = `<domain type='kvm'>
  <name>win11</name>
  <devices>
    <graphics type='spice' autoport='yes' passwd='a&amp;b&apos;c'>
      <listen type='address'/>
      <image compression='off'/>
    </graphics>
    <sound model='ich9'/>
    <video>
      <model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/>
    </video>
  </devices>
</domain>
`;

describe('adding a VNC display to a definition', () => {
  it('inserts one loopback VNC display after the SPICE one and changes nothing else', () => {
    const { xml } = withVncDisplay(SPICE_ONLY);
    assert.ok(xml);
    const vnc = `    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1' passwd='a&amp;b&apos;c'><listen type='address' address='127.0.0.1'/></graphics>\n`;
    assert.ok(xml.includes(`</graphics>\n${vnc}`), xml);
    assert.equal(xml.replace(vnc, ''), SPICE_ONLY);
    const f = parseDomainXml(xml);
    assert.equal(f.hasVnc, true);
    assert.equal(f.hasSpice, true);
  });

  it('handles a self-closed SPICE element without a password, and several graphics', () => {
    const doc = `<domain><devices><graphics type='spice' autoport='yes'/><graphics type='egl-headless'/></devices></domain>`;
    const { xml } = withVncDisplay(doc);
    assert.equal(
      xml,
      `<domain><devices><graphics type='spice' autoport='yes'/><graphics type='egl-headless'/>\n<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics></devices></domain>`,
    );
  });

  it('leaves a definition that has VNC alone, and refuses one without any display', () => {
    assert.deepEqual(
      withVncDisplay(`<domain><devices><graphics type='spice'/><graphics type="vnc" port="-1"/></devices></domain>`),
      { xml: undefined, reason: 'has-vnc' },
    );
    assert.throws(() => withVncDisplay(`<domain><devices><serial type='pty'/></devices></domain>`), /no display/);
  });

  it('reads a SPICE display: TCP or unix socket, and its password', () => {
    const f = parseDomainXml(
      `<domain><name>s</name><devices><graphics type='spice' port='5902' tlsPort='-1' autoport='yes' listen='127.0.0.1' passwd='pw'><listen type='address' address='127.0.0.1'/></graphics></devices></domain>`,
    );
    assert.equal(f.hasVnc, false);
    assert.equal(f.hasSpice, true);
    assert.deepEqual(f.spice, { kind: 'tcp', host: '127.0.0.1', port: 5902, password: 'pw' });
    const u = parseDomainXml(
      `<domain><name>s</name><devices><graphics type='spice'><listen type='socket' socket='/run/spice.sock'/></graphics></devices></domain>`,
    );
    assert.deepEqual(u.spice, { kind: 'unix', path: '/run/spice.sock' });
  });
});
