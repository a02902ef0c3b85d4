/** Saves a guest's screenshot as a PNG named after the guest and the time it was taken. */
import type { Bridge, GuestInfo } from '../../../common/contract.js';

/** `<guest>-<YYYYMMDD-HHMMSS>.png`, in local time. */
export function screenshotName(guest: string, at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const day = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}`;
  const time = `${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  return `${guest.replace(/[\\/:*?"<>|]/g, '_')}-${day}-${time}.png`;
}

/** A binary PPM (P6, 8 bits), as older QEMUs send, redrawn as PNG. */
async function ppmToPng(bytes: Uint8Array): Promise<Blob> {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
  const m = /^P6\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s/.exec(head);
  if (!m) throw new Error('The screenshot is in a format virtswitch cannot read');
  const [w, hgt] = [Number(m[1]), Number(m[2])];
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = hgt;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, hgt);
  for (let i = 0, o = m[0].length; i < w * hgt; i++, o += 3) {
    img.data.set([bytes[o]!, bytes[o + 1]!, bytes[o + 2]!, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('Could not make a PNG'))), 'image/png'),
  );
}

/** Takes the screenshot and hands it to the browser's (or Electron's) download. */
export async function saveScreenshot(bridge: Bridge, g: GuestInfo): Promise<string> {
  const shot = await bridge.invoke('guest.screenshot', { host: g.host, uuid: g.uuid });
  const bytes = Uint8Array.from(atob(shot.base64), (c) => c.charCodeAt(0));
  const png = shot.mime === 'image/png' ? new Blob([bytes], { type: 'image/png' }) : await ppmToPng(bytes);
  const name = screenshotName(g.name, new Date());
  const url = URL.createObjectURL(png);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
