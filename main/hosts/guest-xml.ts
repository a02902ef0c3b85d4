/**
 * A guest's definition as text, for the XML editor: read whole (with its passwords, since it is
 * written back whole) and defined again with libvirt's schema check on, so a bad edit is refused
 * with libvirt's own words and the guest keeps its old definition.
 */
import { DefineFlags, DomainXmlFlags } from '../libvirt/index.js';
import { ApiError } from '../../common/api-error.js';
import type { Host } from './host.js';

/** The persistent definition (what the guest boots with next), as libvirt prints it. */
export function guestXml(h: Host, uuid: string): Promise<{ xml: string }> {
  return h.act(uuid, 'read the definition of', async (c, dom) => ({
    xml: await c.getXml(dom, DomainXmlFlags.INACTIVE | DomainXmlFlags.SECURE),
  }));
}

/** Defines the guest from edited XML; the text must still name this guest (its UUID). */
export function defineGuestXml(h: Host, uuid: string, xml: string): Promise<void> {
  return h.act(uuid, 'save the definition of', async (c, _dom, info) => {
    const named = /<uuid>\s*([0-9a-fA-F-]{36})\s*<\/uuid>/.exec(xml)?.[1]?.toLowerCase();
    if (named !== undefined && named !== uuid.toLowerCase())
      throw new ApiError('invalid-input', `The XML names another guest (UUID ${named}); keep ${info.name}'s UUID`, {
        host: h.uri,
        guest: info.name,
      });
    // Without a UUID libvirt would make a new guest of the same name, or refuse; give it this one's.
    const text = named ? xml : xml.replace(/<domain\b[^>]*>/, (open) => `${open}\n  <uuid>${uuid}</uuid>`);
    await c.call('domainDefineXmlFlags', { xml: text, flags: DefineFlags.VALIDATE });
  });
}
