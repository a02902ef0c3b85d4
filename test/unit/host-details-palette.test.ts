/**
 * Host details' words on virtualisation (main/hosts/host-details.ts), capabilities parsing, the
 * action palette's filter, the view-only refusal of typed keys, and hotkeys an upgrade adds: no
 * libvirt or DOM.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeVirtualization, type VirtualizationFacts } from '../../main/hosts/host-details.js';
import { parseCapabilities } from '../../main/hosts/capabilities.js';
import { filterEntries, type PaletteEntry } from '../../renderer/src/ui/palette-filter.js';
import { inputBlockedWhy, VIEW_ONLY_WHY } from '../../renderer/src/ui/view-only.js';
import { DEFAULT_SETTINGS, type GuestInfo } from '../../common/contract.js';
import { validateHotkeys, withDefaultHotkeys } from '../../common/hotkeys.js';
import { SettingsStore } from '../../main/app/settings.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const qemu: VirtualizationFacts = { hypervisor: 'QEMU', cpuFeatures: [], kvm: false, session: false };

describe('host virtualisation in words', () => {
  it('KVM usable: no fix, and the CPU extension named from its features or, failing that, its vendor', () => {
    const v = describeVirtualization({ ...qemu, cpuFeatures: ['svm', 'sse2'], kvm: true });
    assert.deepEqual([v.cpu, v.kvm, v.fix], ['AMD-V', true, undefined]);
    assert.match(v.summary, /^KVM/);
    assert.equal(describeVirtualization({ ...qemu, cpuVendor: 'Intel', kvm: true }).cpu, 'VT-x');
  });

  it('no VT-x or AMD-V: emulation, and the fix starts in the firmware', () => {
    const v = describeVirtualization({ ...qemu, cpuVendor: 'AMD', kvmRefusal: 'KVM is not supported' });
    assert.equal(v.cpu, 'none');
    assert.equal(v.kvm, false);
    assert.match(v.summary, /emulation \(TCG\)/);
    assert.match(v.fix!, /firmware setup \(BIOS\/UEFI\)/);
    assert.match(v.fix!, /nested virtualization/);
    assert.match(v.fix!, /modprobe kvm_intel or kvm_amd/);
    assert.equal(v.why, 'KVM is not supported');
  });

  it('VT-x present but /dev/kvm not usable: load kvm_intel; the user or QEMU needs the group kvm', () => {
    const system = describeVirtualization({ ...qemu, cpuFeatures: ['vmx'] });
    assert.match(system.fix!, /The CPU has VT-x/);
    assert.match(system.fix!, /modprobe kvm_intel\)/);
    assert.match(system.fix!, /qemu\.conf/);
    const session = describeVirtualization({ ...qemu, cpuFeatures: ['svm'], session: true });
    assert.match(session.fix!, /modprobe kvm_amd\)/);
    assert.match(session.fix!, /usermod -aG kvm \$USER/);
  });

  it('a non-QEMU host (the test driver) gets no KVM fix', () => {
    const v = describeVirtualization({ ...qemu, hypervisor: 'TEST' });
    assert.equal(v.fix, undefined);
    assert.match(v.summary, /not a QEMU\/KVM host/);
  });

  it('capabilities: CPU model, vendor, features and the kvm domain', () => {
    const caps = parseCapabilities(
      `<capabilities><host><cpu><arch>x86_64</arch><model>Skylake</model><vendor>Intel</vendor>
       <feature name='vmx'/><feature name='ssse3'/></cpu></host>
       <guest><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>`,
    );
    assert.deepEqual(caps, {
      cpuModel: 'Skylake',
      cpuVendor: 'Intel',
      cpuFeatures: ['vmx', 'ssse3'],
      hardwareVirt: true,
      kvm: true,
    });
  });
});

describe('the action palette', () => {
  const e = (label: string, group = 'Guest'): PaletteEntry => ({ id: label, label, group, run: () => undefined });
  const entries = [e('Pause'), e('Shut down'), e('Reboot'), e('Force off (power off)'), e('Details', 'Panel')];
  entries.push(e('Send Ctrl+Alt+Del', 'Send keys'), e('Switch to shut-test', 'Switch to'));

  it('lists everything when nothing is typed', () => {
    assert.equal(filterEntries(entries, '').length, entries.length);
  });

  it('every word typed must match, in any case; a label that starts with it comes first', () => {
    assert.deepEqual(
      filterEntries(entries, 'shut').map((x) => x.label),
      ['Shut down', 'Switch to shut-test'],
    );
    assert.deepEqual(
      filterEntries(entries, 'POWER off').map((x) => x.label),
      ['Force off (power off)'],
    );
    assert.deepEqual(
      filterEntries(entries, 'ctrl+alt+del').map((x) => x.label),
      ['Send Ctrl+Alt+Del'],
    );
    assert.deepEqual(
      filterEntries(entries, 'panel').map((x) => x.label),
      ['Details'],
    );
    assert.deepEqual(filterEntries(entries, 'nothing like it'), []);
  });
});

describe('keys and typed text refused while a guest is view only', () => {
  const g = { name: 'web', state: 'running', hasVnc: true, hasSpice: false } as GuestInfo;
  it('says why in words', () => {
    assert.equal(inputBlockedWhy(g, true), VIEW_ONLY_WHY);
    assert.match(VIEW_ONLY_WHY, /View only is on/);
    assert.equal(inputBlockedWhy(g, false), undefined);
    assert.equal(inputBlockedWhy({ ...g, state: 'shutoff' }, false), 'web is not running.');
    assert.equal(inputBlockedWhy({ ...g, hasVnc: false }, false), 'web has no screen to type into.');
  });
});

describe('hotkeys added by an upgrade', () => {
  it('take their defaults, or a free spare where the user already uses the default', () => {
    assert.deepEqual(withDefaultHotkeys({}), DEFAULT_SETTINGS.hotkeys);
    const mine = { next: 'Ctrl+Alt+KeyP', previous: 'Ctrl+Alt+Shift+KeyP', last: 'Ctrl+Alt+KeyD' };
    const filled = withDefaultHotkeys(mine);
    assert.equal(filled.palette, 'Ctrl+Alt+Space');
    assert.equal(filled.details, 'Ctrl+Alt+Shift+KeyD');
    assert.equal(filled.next, 'Ctrl+Alt+KeyP', 'the user’s own keys stay');
    assert.equal(validateHotkeys(filled), undefined);
  });

  it('a settings file written before them still loads, with nothing set aside', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-hotkeys-'));
    try {
      const { palette: _p, details: _d, ...older } = { ...DEFAULT_SETTINGS.hotkeys, fullscreen: 'Ctrl+Alt+KeyD' };
      writeFileSync(join(dir, 'settings.json'), JSON.stringify({ hotkeys: older, theme: 'dark' }));
      const store = new SettingsStore(dir);
      const problems: string[] = [];
      store.on('problem', (p) => problems.push(p));
      const s = store.load();
      assert.equal(s.theme, 'dark');
      assert.equal(s.hotkeys.fullscreen, 'Ctrl+Alt+KeyD');
      assert.equal(s.hotkeys.details, 'Ctrl+Alt+Shift+KeyD');
      assert.equal(s.hotkeys.palette, 'Ctrl+Alt+KeyP');
      assert.deepEqual(problems, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
