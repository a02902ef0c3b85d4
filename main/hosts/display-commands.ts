/**
 * Giving a SPICE-only guest a VNC display, and restarting a guest so that a changed definition
 * takes effect. The definition is edited as text: the new `<graphics>` element goes in right after
 * the last one, and nothing else in the document is touched (no parse and re-serialise, which
 * could reorder or drop what the app does not know).
 */
import { DefineFlags, DomainXmlFlags, ErrorCode, LibvirtError, ShutdownFlags } from '../libvirt/index.js';
import { ApiError } from '../../common/api-error.js';
import { parseDomainXml, type SpiceEndpoint } from './domain-xml.js';
import type { Host } from './host.js';
import { toApiError } from './api-error.js';

const ACTIVE = new Set(['running', 'paused', 'blocked', 'shutdown', 'pmsuspended']);

/** Every `<graphics>` element of a libvirt XML document (libvirt escapes `>` inside attribute values). */
const GRAPHICS = /<graphics\b[^>]*?(?:\/>|>[\s\S]*?<\/graphics>)/g;

export interface VncAddition {
  /** The document with the VNC display added; undefined when it already had one. */
  xml: string | undefined;
  reason?: 'has-vnc';
}

/**
 * Adds a VNC display beside the existing graphics: loopback only, a port picked at each start,
 * the same password as the SPICE display when that has one (so adding a way in opens no new door).
 * Throws when the guest has no graphics at all: a VNC display needs a video device to show.
 */
export function withVncDisplay(xml: string): VncAddition {
  const all = [...xml.matchAll(GRAPHICS)];
  if (all.some((m) => /^<graphics\b[^>]*?\btype=(['"])vnc\1/.test(m[0]))) return { xml: undefined, reason: 'has-vnc' };
  const last = all[all.length - 1];
  if (!last || last.index === undefined) throw new Error('the guest has no display device to add VNC beside');
  const spice = all.find((m) => /^<graphics\b[^>]*?\btype=(['"])spice\1/.test(m[0]));
  // The raw attribute text is reused as it stands: it is already escaped for XML.
  const passwd = spice ? /^<graphics\b[^>]*?\bpasswd=(['"])(.*?)\1/.exec(spice[0]) : null;
  const lineStart = xml.lastIndexOf('\n', last.index) + 1;
  const indent = /^[ \t]*/.exec(xml.slice(lineStart, last.index))?.[0] ?? '';
  const pw = passwd ? ` passwd=${passwd[1]}${passwd[2]}${passwd[1]}` : '';
  const vnc = `<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'${pw}><listen type='address' address='127.0.0.1'/></graphics>`;
  const end = last.index + last[0].length;
  return { xml: `${xml.slice(0, end)}\n${indent}${vnc}${xml.slice(end)}` };
}

export interface AddVncResult {
  /** False when the definition already had a VNC display (nothing was changed). */
  added: boolean;
  /** The guest runs: its screen gets the VNC display from its next start. */
  appliesAtNextStart: boolean;
}

/** Adds a VNC display to the guest's persistent definition (libvirt's inactive XML). */
export function addVncDisplay(h: Host, uuid: string): Promise<AddVncResult> {
  return h.act(uuid, 'add a VNC display to', async (c, dom, info) => {
    const where = { host: h.uri, guest: info.name };
    if (!info.persistent)
      throw new ApiError(
        'invalid-state',
        `${info.name} is a transient guest: it has no definition to add a display to`,
        where,
      );
    // SECURE: the definition is written back whole, so its passwords must be in what is read.
    const before = await c.getXml(dom, DomainXmlFlags.INACTIVE | DomainXmlFlags.SECURE);
    let next: VncAddition;
    try {
      next = withVncDisplay(before);
    } catch (e) {
      throw new ApiError('unsupported', `${info.name}: ${(e as Error).message}`, where);
    }
    const appliesAtNextStart = ACTIVE.has(info.state) && !info.hasVnc;
    if (next.xml === undefined) return { added: false, appliesAtNextStart };
    await c.call('domainDefineXmlFlags', { xml: next.xml, flags: DefineFlags.VALIDATE });
    return { added: true, appliesAtNextStart };
  });
}

/**
 * The guest's SPICE endpoint from its live XML, read fresh (its port changes on every start),
 * with the password where the connection may read it.
 */
export async function spiceEndpoint(h: Host, uuid: string): Promise<SpiceEndpoint | undefined> {
  const c = h.libvirt();
  const dom = h.domain(uuid);
  let xml: string;
  try {
    xml = await c.getXml(dom, DomainXmlFlags.SECURE);
  } catch (e) {
    if (!(e instanceof LibvirtError && e.code === ErrorCode.OPERATION_DENIED))
      throw toApiError(e, { host: h.uri, guest: dom.name });
    xml = await c.getXml(dom, 0);
  }
  return parseDomainXml(xml).spice;
}

/** For a SPICE display with a password: the viewer sends it when the display asks. */
export async function spicePassword(h: Host, uuid: string): Promise<{ password: string | null }> {
  // null: the display has no password, or this connection may not read it (read-only access).
  return { password: (await spiceEndpoint(h, uuid))?.password ?? null };
}

/** How long a guest may take to shut down before a restart gives up on it. */
export const RESTART_SHUTDOWN_TIMEOUT_MS = 120_000;

/**
 * Shuts the guest down cleanly (ACPI power button), waits until it is off, and starts it again:
 * a new QEMU, so changes to the definition apply. A reboot keeps the same QEMU and would not.
 */
export function restart(h: Host, uuid: string, timeoutMs = RESTART_SHUTDOWN_TIMEOUT_MS): Promise<void> {
  return h.act(
    uuid,
    'restart',
    async (c, dom, info) => {
      const where = { host: h.uri, guest: info.name };
      if (!['running', 'blocked', 'shutdown'].includes(info.state))
        throw new ApiError(
          'invalid-state',
          `Can't restart ${info.name}: it is not running (it is ${info.state})`,
          where,
        );
      if (info.state !== 'shutdown') await c.call('domainShutdownFlags', { dom, flags: ShutdownFlags.ACPI_POWER_BTN });
      const deadline = Date.now() + timeoutMs;
      // 5 = shut off, 6 = crashed
      while (![5, 6].includes((await c.getState(dom)).state)) {
        if (Date.now() > deadline)
          throw new ApiError(
            'invalid-state',
            `${info.name} did not shut down within ${Math.round(timeoutMs / 1000)} s; shut it down or power it off, then start it`,
            where,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
      await c.call('domainCreateWithFlags', { dom, flags: 0 });
    },
    'restarting',
  );
}
