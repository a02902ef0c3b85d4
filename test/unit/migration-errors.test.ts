/**
 * libvirt's refusals of a move, said for a person (moveError): the text libvirt 9.0 sent in the
 * two-host rig when the target's QEMU lacked the guest's CPU model, and its CPU driver's wording
 * for a target whose host CPU lacks features.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { moveError } from '../../main/hosts/migration.js';
import { ErrorCode, LibvirtError } from '../../main/libvirt/index.js';
import { guestInfo } from '../fixtures/guest-info.js';

const guest = guestInfo({ name: 'web', host: 'qemu:///system' });
const target = 'qemu+ssh://root@b.example/system';
/** virErrorDomain VIR_FROM_CPU: the CPU driver reports both refusals. */
const FROM_CPU = 31;
/** virErrorNumber VIR_ERR_CPU_INCOMPATIBLE. */
const CPU_INCOMPATIBLE = 91;

const libvirtError = (code: number, message: string): LibvirtError =>
  new LibvirtError({ code, domain: FROM_CPU, level: 2, message }, 'domainMigratePrepare3Params');

describe('moveError', () => {
  it('says the target’s QEMU lacks the guest’s CPU model, and that the guest stays', () => {
    const m = 'unsupported configuration: CPU model Westmere is not supported by hypervisor';
    const e = moveError(libvirtError(ErrorCode.CONFIG_UNSUPPORTED, m), guest, target);
    assert.equal(e.code, 'unsupported');
    assert.equal(
      e.message,
      `Can't move web: ${target} can't run its CPU: the QEMU there does not offer the CPU model Westmere (${m}); give the guest a CPU model both hosts offer; it stays on qemu:///system`,
    );
  });

  it('says the target’s CPU can’t run the guest when its host CPU lacks features', () => {
    const m = 'the CPU is incompatible with host CPU: Host CPU does not provide required features: avx2, fma';
    const e = moveError(libvirtError(CPU_INCOMPATIBLE, m), guest, target);
    assert.equal(e.code, 'unsupported');
    assert.equal(
      e.message,
      `Can't move web: the CPU of ${target} can't run this guest (${m}); it stays on qemu:///system`,
    );
  });

  it('leaves other unsupported configurations to the general wording', () => {
    const m =
      'unsupported configuration: USB is disabled for this domain, but USB devices are present in the domain XML';
    const e = moveError(libvirtError(ErrorCode.CONFIG_UNSUPPORTED, m), guest, target);
    assert.doesNotMatch(e.message, /CPU/);
  });
});
