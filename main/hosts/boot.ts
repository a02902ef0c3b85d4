/**
 * The boot order and boot menu of a guest's definition. The definition is edited as text: the
 * <boot dev=…/> and <bootmenu/> elements inside <os> are replaced and nothing else is touched, so
 * what the app does not know survives. They apply at next boot: a running guest keeps the order
 * it booted with.
 */
import { DefineFlags, DomainXmlFlags } from '../libvirt/index.js';
import { ApiError } from '../../common/api-error.js';
import type { BootSettings } from '../../common/hardware-contract.js';
import type { Host } from './host.js';

const OS = /(<os\b[^>]*>)([\s\S]*?)([ \t]*)<\/os>/;
/** The <os>-level boot elements (and the line each sits on). */
const OS_BOOT = /\n?[ \t]*<(?:boot\s+dev|bootmenu\b)[^>]*\/>/g;
const BOOT_MENU = /<bootmenu\b[^>]*\/>/;
const ENABLE = /\benable=(['"])[^'"]*\1/;

/**
 * The <bootmenu/> to write: the one already there with only its `enable` changed, so its timeout
 * survives; none when the menu is off and the element would say nothing else.
 */
function bootMenuElement(existing: string | undefined, on: boolean): string | undefined {
  const enable = `enable='${on ? 'yes' : 'no'}'`;
  if (!existing) return on ? `<bootmenu ${enable}/>` : undefined;
  const others = existing
    .replace(ENABLE, '')
    .replace(/^<bootmenu\b|\/>$/g, '')
    .trim();
  if (!on && !others) return undefined;
  return ENABLE.test(existing)
    ? existing.replace(ENABLE, enable)
    : existing.replace(/^<bootmenu\b/, `<bootmenu ${enable}`);
}

/** A device's own place in the boot order, which libvirt refuses beside <os><boot dev=…/>. */
const DEVICE_BOOT = /\n?[ \t]*<boot\s+order=(['"])\d+\1[^>]*\/>/g;

/** The definition with `boot` in place of its boot order and menu. */
export function withBootSettings(xml: string, boot: BootSettings): string {
  const os = OS.exec(xml);
  if (!os || os.index === undefined) throw new Error('the definition has no <os> element');
  const [whole, open = '', body = '', closeIndent = ''] = os;
  const menu = bootMenuElement(BOOT_MENU.exec(body)?.[0], boot.menu);
  const kept = body.replace(OS_BOOT, '').replace(/\s*$/, '');
  const multiline = body.includes('\n');
  const indent = /\n([ \t]*)</.exec(body)?.[1] ?? '';
  const lines = boot.devices.map((d) => `<boot dev='${d}'/>`);
  if (menu) lines.push(menu);
  const added = lines.map((l) => (multiline ? `\n${indent}${l}` : l)).join('');
  const newOs = `${open}${kept}${added}${multiline ? `\n${closeIndent}` : ''}</os>`;
  const end = os.index + whole.length;
  // A device's own order goes only when the <os> order takes over; libvirt refuses the two together.
  const rest = boot.devices.length ? xml.slice(end).replace(DEVICE_BOOT, '') : xml.slice(end);
  return `${xml.slice(0, os.index)}${newOs}${rest}`;
}

/** Writes the boot order and menu into the guest's definition. */
export function setBoot(h: Host, uuid: string, boot: BootSettings): Promise<{ appliesAtNextBoot: boolean }> {
  return h.act(uuid, 'set the boot order of', async (c, dom, info) => {
    if (!info.persistent)
      throw new ApiError(
        'invalid-state',
        `${info.name} is a transient guest: it has no definition to keep a boot order`,
        {
          host: h.uri,
          guest: info.name,
        },
      );
    if (new Set(boot.devices).size !== boot.devices.length)
      throw new ApiError('invalid-input', 'Each boot device can appear once in the boot order');
    // SECURE: the definition is written back whole, so its passwords must be in what is read.
    const before = await c.getXml(dom, DomainXmlFlags.INACTIVE | DomainXmlFlags.SECURE);
    await c.call('domainDefineXmlFlags', { xml: withBootSettings(before, boot), flags: DefineFlags.VALIDATE });
    return { appliesAtNextBoot: info.state !== 'shutoff' && info.state !== 'crashed' };
  });
}
