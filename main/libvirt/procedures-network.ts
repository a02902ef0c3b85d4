/**
 * Virtual networks: procedures of remote_protocol.x spread into the one table of procedures.ts.
 * Numbers and layouts checked against remote_protocol.x (libvirt 9.x).
 */
import { array, hyper, int, intBool, struct, uint, voidCodec, type CodecType } from './codec.js';
import { nonnullString, remoteString, uuid } from './protocol.js';
import type { Procedure } from './procedures.js';

/** REMOTE_NETWORK_LIST_MAX and REMOTE_NETWORK_DHCP_LEASES_MAX */
const NETWORK_LIST_MAX = 16384;
const DHCP_LEASES_MAX = 65536;

/** `remote_nonnull_network`. */
export const network = struct({ name: nonnullString, uuid });
export type NetworkRef = CodecType<typeof network>;

const netOnly = struct({ net: network });
const netRet = struct({ net: network });

function p<A, R>(proc: number, args: A, ret: R): { proc: number; args: A; ret: R } {
  return { proc, args, ret };
}

export const networkProcedures = {
  networkCreate: p(39, netOnly, voidCodec),
  networkDefineXml: p(41, struct({ xml: nonnullString }), netRet),
  networkDestroy: p(42, netOnly, voidCodec),
  networkGetXmlDesc: p(43, struct({ net: network, flags: uint }), struct({ xml: nonnullString })),
  networkGetAutostart: p(44, netOnly, struct({ autostart: intBool })),
  networkLookupByName: p(46, struct({ name: nonnullString }), netRet),
  networkSetAutostart: p(48, struct({ net: network, autostart: intBool }), voidCodec),
  networkUndefine: p(49, netOnly, voidCodec),
  networkIsActive: p(152, netOnly, struct({ active: intBool })),
  networkIsPersistent: p(153, netOnly, struct({ persistent: intBool })),
  connectListAllNetworks: p(
    283,
    struct({ needResults: intBool, flags: uint }),
    struct({ nets: array(network, NETWORK_LIST_MAX), ret: uint }),
  ),
  networkGetDhcpLeases: p(
    341,
    struct({ net: network, mac: remoteString, needResults: intBool, flags: uint }),
    struct({
      leases: array(
        struct({
          iface: nonnullString,
          expirytime: hyper,
          type: int,
          mac: remoteString,
          iaid: remoteString,
          ipaddr: nonnullString,
          prefix: uint,
          hostname: remoteString,
          clientid: remoteString,
        }),
        DHCP_LEASES_MAX,
      ),
      ret: uint,
    }),
  ),
} satisfies Record<string, Procedure<unknown, unknown>>;
