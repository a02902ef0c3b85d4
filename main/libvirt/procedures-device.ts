/**
 * A guest's devices and its guest agent, and the host's node devices: procedures of
 * remote_protocol.x spread into the one table of procedures.ts, and the domain events about
 * devices, tunables, the agent, the CD tray and block jobs spread into its event table. Numbers
 * and layouts checked against remote_protocol.x (libvirt 9.x).
 */
import { array, hyper, int, struct, uint, voidCodec } from './codec.js';
import { domain, nonnullString, remoteString, typedParams } from './protocol.js';
import type { Procedure } from './procedures.js';

/** REMOTE_DOMAIN_INTERFACE_MAX and REMOTE_DOMAIN_IP_ADDR_MAX */
const INTERFACE_MAX = 2048;
const IP_ADDR_MAX = 2048;
/** REMOTE_DOMAIN_FSINFO_MAX and REMOTE_DOMAIN_FSINFO_DISKS_MAX */
const FSINFO_MAX = 256;
const FSINFO_DISKS_MAX = 256;
/** REMOTE_NODE_DEVICE_LIST_MAX */
const NODE_DEVICE_LIST_MAX = 65536;
/** REMOTE_DOMAIN_EVENT_TUNABLE_MAX */
const EVENT_TUNABLE_MAX = 2048;

const domFlags = struct({ dom: domain, flags: uint });
const domXmlFlags = struct({ dom: domain, xml: nonnullString, flags: uint });
const nodeDevice = struct({ name: nonnullString });

function p<A, R>(proc: number, args: A, ret: R): { proc: number; args: A; ret: R } {
  return { proc, args, ret };
}

export const deviceProcedures = {
  nodeListDevices: p(
    112,
    struct({ cap: remoteString, maxnames: int, flags: uint }),
    struct({ names: array(nonnullString, NODE_DEVICE_LIST_MAX) }),
  ),
  nodeDeviceGetXmlDesc: p(114, struct({ name: nonnullString, flags: uint }), struct({ xml: nonnullString })),
  domainAttachDeviceFlags: p(160, domXmlFlags, voidCodec),
  domainDetachDeviceFlags: p(161, domXmlFlags, voidCodec),
  domainUpdateDeviceFlags: p(174, domXmlFlags, voidCodec),
  domainGetHostname: p(277, domFlags, struct({ hostname: nonnullString })),
  connectListAllNodeDevices: p(
    285,
    struct({ needResults: int, flags: uint }),
    struct({ devices: array(nodeDevice, NODE_DEVICE_LIST_MAX), ret: uint }),
  ),
  domainGetTime: p(337, domFlags, struct({ seconds: hyper, nseconds: uint })),
  domainSetTime: p(338, struct({ dom: domain, seconds: hyper, nseconds: uint, flags: uint }), voidCodec),
  domainGetFsinfo: p(
    349,
    domFlags,
    struct({
      info: array(
        struct({
          mountpoint: nonnullString,
          name: nonnullString,
          fstype: nonnullString,
          devAliases: array(nonnullString, FSINFO_DISKS_MAX),
        }),
        FSINFO_MAX,
      ),
      ret: uint,
    }),
  ),
  domainInterfaceAddresses: p(
    353,
    struct({ dom: domain, source: uint, flags: uint }),
    struct({
      ifaces: array(
        struct({
          name: nonnullString,
          hwaddr: remoteString,
          addrs: array(struct({ type: int, addr: nonnullString, prefix: uint }), IP_ADDR_MAX),
        }),
        INTERFACE_MAX,
      ),
    }),
  ),
} satisfies Record<string, Procedure<unknown, unknown>>;

/** Domain events about devices and the agent (the callback variants, each starting with callbackID). */
export const deviceEventMessages = {
  328: {
    eventId: 10,
    name: 'trayChange',
    body: struct({ callbackId: int, dom: domain, devAlias: nonnullString, reason: int }),
  },
  339: {
    eventId: 16,
    name: 'blockJob',
    body: struct({ callbackId: int, dom: domain, dst: nonnullString, type: int, status: int }),
  },
  346: {
    eventId: 17,
    name: 'tunable',
    body: struct({ callbackId: int, dom: domain, params: typedParams(EVENT_TUNABLE_MAX) }),
  },
  348: {
    eventId: 18,
    name: 'agentLifecycle',
    body: struct({ callbackId: int, dom: domain, state: int, reason: int }),
  },
} as const;

/** virDomainInterfaceAddressesSource */
export const InterfaceAddressesSource = { LEASE: 0, AGENT: 1, ARP: 2 } as const;
/** virDomainDeviceModifyFlags (AffectFlags plus FORCE for update) */
export const DeviceModifyFlags = { CURRENT: 0, LIVE: 1, CONFIG: 2, FORCE: 4 } as const;
/** virConnectDomainEventAgentLifecycleState */
export const AgentLifecycleState = { CONNECTED: 1, DISCONNECTED: 2 } as const;
/** virConnectListAllNodeDeviceFlags: the USB device capability. */
export const NodeDeviceListFlags = { USB_DEV: 1 << 2 } as const;
/** virDomainSetTimeFlags */
export const SetTimeFlags = { SYNC: 1 } as const;
/** virDomainGetHostnameFlags */
export const HostnameFlags = { LEASE: 1, AGENT: 2 } as const;
