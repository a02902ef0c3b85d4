/**
 * The identifiers of an ISO 9660 image, read from its primary volume descriptor (sector 16, 2048
 * bytes): what installer media are recognised by. Pure bytes in, strings out, so that the browser
 * can read them from the first 34 KiB of a local file before uploading it, and the main process
 * from a pool's volume.
 */

export const ISO_SECTOR = 2048;
/** Bytes to read from the start of an image to reach the end of its primary volume descriptor. */
export const ISO_PVD_END = 17 * ISO_SECTOR;

export interface IsoIdentifiers {
  systemId: string;
  volumeId: string;
  publisherId: string;
  applicationId: string;
}

function field(pvd: Uint8Array, offset: number, length: number): string {
  let s = '';
  for (const b of pvd.subarray(offset, offset + length)) s += String.fromCharCode(b);
  // Fields are padded with spaces (a few mastering tools pad with NULs).
  return s.replace(/[\s\0]+$/, '');
}

/**
 * The identifiers of the image whose first bytes are `head` (at least ISO_PVD_END of them), or
 * undefined when those bytes hold no primary volume descriptor: not an ISO 9660 image.
 */
export function readIsoIdentifiers(head: Uint8Array): IsoIdentifiers | undefined {
  if (head.length < ISO_PVD_END) return undefined;
  const pvd = head.subarray(16 * ISO_SECTOR, ISO_PVD_END);
  // Type 1 (primary), standard identifier "CD001", version 1.
  if (pvd[0] !== 1 || field(pvd, 1, 5) !== 'CD001' || pvd[6] !== 1) return undefined;
  return {
    systemId: field(pvd, 8, 32),
    volumeId: field(pvd, 40, 32),
    publisherId: field(pvd, 318, 128),
    applicationId: field(pvd, 574, 128),
  };
}
