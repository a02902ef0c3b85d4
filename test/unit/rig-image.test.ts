import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpioNewc } from '../rig/image.js';
import { testDomainXml } from '../rig/guests.js';

describe('test rig pieces', () => {
  it('writes cpio newc headers the kernel accepts: magic, 4-byte alignment, trailer', () => {
    const a = cpioNewc([{ name: 'init', mode: 0o100755, data: Buffer.from('#!/bin/sh\n') }]);
    assert.equal(a.subarray(0, 6).toString(), '070701');
    assert.equal(a.length % 4, 0);
    assert.ok(a.includes(Buffer.from('TRAILER!!!\0')));
    // name size field (offset 94, 8 hex digits) counts the NUL: "init\0" = 5
    assert.equal(parseInt(a.subarray(94, 102).toString(), 16), 5);
    // file size field (offset 54)
    assert.equal(parseInt(a.subarray(54, 62).toString(), 16), 10);
  });

  it('escapes a hostile guest name in the domain XML and passes it base64 on the kernel line', () => {
    const xml = testDomainXml(
      { name: `vst1-<b>x</b>'&"`, uuid: '00000000-0000-4000-8000-000000000000', serialPath: '/tmp/s' },
      { name: 'x' },
      { kernel: '/boot/vmlinuz', initrd: '/tmp/initrd.gz' },
    );
    assert.match(xml, /<name>vst1-&lt;b&gt;x&lt;\/b&gt;&apos;&amp;&quot;<\/name>/);
    assert.match(
      xml,
      new RegExp(`vsname=${Buffer.from(`vst1-<b>x</b>'&"`).toString('base64').replace(/[+/=]/g, '\\$&')}<`),
    );
    assert.match(xml, /<domain type='qemu'>/);
  });
});
