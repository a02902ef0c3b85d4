/** What the app needs from a domain's XML: sizes, consoles, OS, and the VNC and SPICE endpoints. */
import type { GuestHardware } from '../../common/guest-devices.js';
import { hardwareOf } from './domain-devices.js';
import { attr, node, nodes, parseXml, text, type XmlNode, type XmlValue } from './xml.js';

export type VncEndpoint =
  | { kind: 'tcp'; host: string; port: number; websocketPort?: number; password?: string }
  | { kind: 'unix'; path: string; password?: string };

/** A SPICE display: the same places to listen as VNC (SPICE's TLS port is not used). */
export type SpiceEndpoint = VncEndpoint;

export interface DomainXmlFacts {
  name: string;
  uuid: string;
  memoryKiB: number;
  maxMemoryKiB: number;
  vcpus: number;
  maxVcpus: number;
  hasVnc: boolean;
  hasSpice: boolean;
  hasSerial: boolean;
  os?: string;
  /** The live VNC listener, when the guest runs and has one (port -1 means not yet allocated). */
  vnc?: VncEndpoint;
  /** The live SPICE listener (plain port or unix socket), when the guest runs and has one. */
  spice?: SpiceEndpoint;
  hardware: GuestHardware;
}

const UNIT_KIB: Record<string, number> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  k: 1,
  kib: 1,
  kb: 1000 / 1024,
  m: 1024,
  mib: 1024,
  mb: 1e6 / 1024,
  g: 1024 ** 2,
  gib: 1024 ** 2,
  gb: 1e9 / 1024,
  t: 1024 ** 3,
  tib: 1024 ** 3,
  tb: 1e12 / 1024,
};

function kib(v: XmlValue, fallback: number): number {
  const t = text(v);
  if (t === undefined || t === '') return fallback;
  const unit = (attr(node(v), 'unit') ?? 'KiB').toLowerCase();
  return Math.round(Number(t) * (UNIT_KIB[unit] ?? 1));
}

function graphicsEndpoint(g: XmlNode): VncEndpoint | undefined {
  const password = attr(g, 'passwd');
  const listens = nodes(g['listen']);
  const socketListen = listens.find((l) => attr(l, 'type') === 'socket');
  const socket = attr(g, 'socket') ?? attr(socketListen, 'socket');
  if (socket) return { kind: 'unix', path: socket, ...(password !== undefined ? { password } : {}) };
  const port = Number(attr(g, 'port') ?? '-1');
  if (!(port > 0)) return undefined;
  const addrListen = listens.find((l) => attr(l, 'type') === 'address' || attr(l, 'type') === 'network');
  let host = attr(addrListen, 'address') ?? attr(g, 'listen') ?? '127.0.0.1';
  // A wildcard listen is reachable on loopback from the host itself.
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  const ws = Number(attr(g, 'websocket') ?? '-1');
  return {
    kind: 'tcp',
    host,
    port,
    ...(ws > 0 ? { websocketPort: ws } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

export function parseDomainXml(xml: string): DomainXmlFacts {
  const doc = parseXml(xml);
  const d = node(doc['domain']);
  if (!d) throw new Error('not a domain XML document');
  const devices = node(d['devices']);
  const graphics = nodes(devices?.['graphics']);
  const vncNode = graphics.find((g) => attr(g, 'type') === 'vnc');
  const spiceNode = graphics.find((g) => attr(g, 'type') === 'spice');
  const serials = nodes(devices?.['serial']);
  const consoles = nodes(devices?.['console']);
  const maxVcpus = Number(text(d['vcpu']) || '1');
  const vcpus = Number(attr(node(d['vcpu']), 'current') ?? maxVcpus);
  const maxMemoryKiB = kib(d['memory'], 0);
  const memoryKiB = kib(d['currentMemory'], maxMemoryKiB);
  let os: string | undefined;
  const meta = node(d['metadata']);
  if (meta) {
    for (const [k, v] of Object.entries(meta)) {
      if (k.endsWith('libosinfo')) {
        const osNode = Object.entries(node(v) ?? {}).find(([kk]) => kk.endsWith(':os') || kk === 'os');
        os = attr(node(osNode?.[1]), 'id');
      }
    }
  }
  return {
    name: text(d['name']) ?? '',
    uuid: text(d['uuid']) ?? '',
    memoryKiB,
    maxMemoryKiB,
    vcpus,
    maxVcpus,
    hasVnc: vncNode !== undefined,
    hasSpice: spiceNode !== undefined,
    // A console stream needs a pty-backed serial or console device.
    hasSerial: [...serials, ...consoles].some((s) => attr(s, 'type') === 'pty'),
    ...(os ? { os } : {}),
    ...(vncNode ? { vnc: graphicsEndpoint(vncNode) } : {}),
    ...(spiceNode ? { spice: graphicsEndpoint(spiceNode) } : {}),
    hardware: hardwareOf(d),
  };
}
