/** Virtual networks of a host: what the app shows of them and the commands on them. Pure types. */

export interface NetworkInfo {
  name: string;
  active: boolean;
  autostart: boolean;
  persistent: boolean;
  /** "nat", "route", "bridge", …; "isolated" when it has no forward element. */
  forward: string;
  bridge?: string;
  /** The host's address on it with its prefix, e.g. "192.168.122.1/24". */
  address?: string;
  dhcpStart?: string;
  dhcpEnd?: string;
}

export interface NetworkLease {
  ip: string;
  prefix: number;
  mac?: string;
  hostname?: string;
  /** ms since the epoch */
  expires: number;
}

export interface NewNetwork {
  name: string;
  mode: 'nat' | 'isolated';
  /** The host's address on the network, e.g. "10.77.0.1". */
  address: string;
  prefix: number;
  dhcpStart: string;
  dhcpEnd: string;
  autostart: boolean;
}

type HostRef = { host: string };
type NetRef = HostRef & { name: string };

export interface NetworkCommands {
  'network.list': { params: HostRef; result: NetworkInfo[] };
  'network.create': { params: HostRef & NewNetwork; result: null };
  'network.start': { params: NetRef; result: null };
  'network.stop': { params: NetRef; result: null };
  'network.setAutostart': { params: NetRef & { enabled: boolean }; result: null };
  'network.delete': { params: NetRef; result: null };
  'network.leases': { params: NetRef; result: NetworkLease[] };
}
