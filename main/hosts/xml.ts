/**
 * Reading libvirt's XML documents (domain, capabilities, snapshot) with fast-xml-parser. Values
 * stay strings (a guest named "007" is not a number) and entities are decoded once.
 */
import { xmlParser } from '../platform/xml-parser.js';

const ARRAYS = new Set([
  'graphics',
  'serial',
  'console',
  'listen',
  'disk',
  'interface',
  'guest',
  'domain',
  'feature',
  'arch',
]);

const parser = xmlParser((name) => ARRAYS.has(name));

export type XmlNode = { [key: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlNode[] | undefined;

export function parseXml(xml: string): XmlNode {
  return parser.parse(xml) as XmlNode;
}

export function node(v: XmlValue): XmlNode | undefined {
  if (v === undefined || typeof v === 'string') return undefined;
  return Array.isArray(v) ? v[0] : v;
}

export function nodes(v: XmlValue): XmlNode[] {
  if (v === undefined || typeof v === 'string') return [];
  return Array.isArray(v) ? v : [v];
}

/** The text of an element, whether it came out as a string or as a node with attributes. */
export function text(v: XmlValue): string | undefined {
  const first: unknown = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return undefined;
  if (typeof first === 'string') return first;
  const t = (first as XmlNode)['#text'];
  return typeof t === 'string' ? t : '';
}

export function attr(n: XmlNode | undefined, name: string): string | undefined {
  const v = n?.[`@${name}`];
  return typeof v === 'string' ? v : undefined;
}
