/**
 * Checks, before any test runs, that this machine has what the suites need, and says in one line
 * what is missing and how to get it. Run by `npm test`.
 */
import { accessSync, constants } from 'node:fs';
import { RigError } from './errors.js';
import { ensureLibvirtd } from './libvirtd.js';
import { ensureGuestImage } from './image.js';
import { chromiumPath } from './chromium.js';

async function main(): Promise<void> {
  try {
    await ensureLibvirtd();
    ensureGuestImage();
    chromiumPath();
  } catch (e) {
    if (e instanceof RigError) {
      console.error(`virtswitch tests: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  const kvm = process.env.VIRTSWITCH_KVM_DEVICE ?? '/dev/kvm';
  try {
    accessSync(kvm, constants.R_OK | constants.W_OK);
  } catch {
    console.log(
      `virtswitch tests: no usable ${kvm}; test guests run under TCG emulation anyway (domain type qemu), so this only matters for real use (load kvm_intel or kvm_amd, or enable virtualisation in the firmware)`,
    );
  }
}

await main();
