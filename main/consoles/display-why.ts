/**
 * Why a running guest's display can't be reached at all, read from its live definition: said on
 * the stage as the console's "unavailable" state, instead of a wait that never ends.
 */
import { attr, node, nodes, parseXml } from '../hosts/xml.js';

/** The reason in words, or undefined when the display may simply not be listening yet. */
export function unreachableDisplayWhy(xml: string, kind: 'vnc' | 'spice'): string | undefined {
  const devices = node(node(parseXml(xml)['domain'])?.['devices']);
  const g = nodes(devices?.['graphics']).find((x) => attr(x, 'type') === kind);
  if (!g) return `the guest has no ${kind.toUpperCase()} display`;
  const listens = nodes(g['listen']);
  if (listens.length > 0 && listens.every((l) => attr(l, 'type') === 'none'))
    return `its ${kind.toUpperCase()} display listens nowhere (listen type='none'): only QEMU itself can show it`;
  const tlsPort = Number(attr(g, 'tlsPort') ?? '-1');
  const port = Number(attr(g, 'port') ?? '-1');
  if (kind === 'spice' && tlsPort > 0 && !(port > 0))
    return 'its SPICE display listens on a TLS port only, which virtswitch does not speak';
  return undefined;
}
