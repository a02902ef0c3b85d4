/**
 * A small bootable installer ISO of the rig's busybox guest, for new-guest tests: GRUB (BIOS,
 * El Torito, made by grub-mkrescue with xorriso) boots the rig's kernel and initramfs with a
 * kernel line that names the guest ISO_MARKER, which its /init prints on the serial port.
 * Built once and cached next to the rig's image.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RigError } from './errors.js';
import { ensureGuestImage, rigCacheDir } from './image.js';

/** What the ISO's guest prints on ttyS0 once booted (its /init's banner with this name). */
export const ISO_MARKER = 'virtswitch test guest: installer-iso';
/** The ISO's volume ID, as its primary volume descriptor carries it. */
export const ISO_VOLUME_ID = 'VIRTSWITCH_RIG';

function grubConfig(): string {
  const name = Buffer.from('installer-iso').toString('base64');
  return `set timeout=0
set default=0
menuentry 'virtswitch rig' {
  linux /boot/vmlinuz console=tty1 console=ttyS0 nokaslr vsname=${name}
  initrd /boot/initrd.gz
}
`;
}

/** The path of the cached ISO, building it first when needed. */
export function ensureInstallerIso(): string {
  for (const tool of ['grub-mkrescue', 'xorriso']) {
    if (spawnSync('which', [tool]).status !== 0) {
      throw new RigError(`${tool} is missing: apt-get install xorriso grub-pc-bin grub-common mtools`);
    }
  }
  const image = ensureGuestImage();
  const key = createHash('sha256')
    .update(grubConfig())
    .update(ISO_VOLUME_ID)
    .update(image.kernel)
    .update(image.initrd)
    .digest('hex')
    .slice(0, 16);
  const iso = join(rigCacheDir(), `installer-${key}.iso`);
  if (existsSync(iso) && statSync(iso).size > 0) return iso;

  const tree = join(rigCacheDir(), `installer-${key}.${process.pid}.tree`);
  mkdirSync(join(tree, 'boot', 'grub'), { recursive: true });
  try {
    copyFileSync(image.kernel, join(tree, 'boot', 'vmlinuz'));
    copyFileSync(image.initrd, join(tree, 'boot', 'initrd.gz'));
    writeFileSync(join(tree, 'boot', 'grub', 'grub.cfg'), grubConfig());
    const tmp = `${iso}.${process.pid}.tmp`;
    // Only the BIOS platform: the rig's guests boot with SeaBIOS; options after "--" go to xorriso.
    const r = spawnSync(
      'grub-mkrescue',
      ['--compress=no', '-o', tmp, '--modules=linux normal iso9660 biosdisk', tree, '--', '-volid', ISO_VOLUME_ID],
      { encoding: 'utf8' },
    );
    if (r.status !== 0)
      throw new RigError(`grub-mkrescue failed (exit ${r.status}): ${r.stderr.trim().split('\n').at(-1)}`);
    chmodSync(tmp, 0o644);
    renameSync(tmp, iso);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
  return iso;
}
