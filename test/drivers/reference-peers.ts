// The reference network the vendor fixtures describe (src/drivers/{junos,iosxr,eos}/fixtures), as a parser
// must report it at 2026-01-01T12:00:00Z. A vendor's test names only what its platform reports differently
// (an address the platform omits, its own clock or words for the last error).
import type { PeerState } from '../../src/drivers/driver.types.ts';

const REFERENCE = {
  '192.0.2.2': {
    vrf: null,
    peer_ip: '192.0.2.2',
    remote_asn: 64501,
    local_asn: 64500,
    local_ip: '192.0.2.1',
    description: 'Transit A',
    state: 'established',
    admin_down: false,
    since: '2026-01-01T10:30:00.000Z',
    prefixes_received: 12,
    prefixes_accepted: 10,
    prefixes_advertised: 5,
    families: [{ afi_safi: 'ipv4-unicast', received: 12, accepted: 10, advertised: 5 }],
    last_error: null,
  },
  '2001:db8::2': {
    vrf: null,
    peer_ip: '2001:db8::2',
    remote_asn: 64502,
    local_asn: 64500,
    local_ip: null,
    description: 'IX peer B',
    state: 'active',
    admin_down: false,
    since: '2026-01-01T11:57:55.000Z',
    prefixes_received: null,
    prefixes_accepted: null,
    prefixes_advertised: null,
    families: [],
    last_error: 'Hold Timer Expired',
  },
  '198.51.100.7': {
    vrf: 'CUST-A',
    peer_ip: '198.51.100.7',
    remote_asn: 64503,
    local_asn: 64500,
    local_ip: '198.51.100.6',
    description: null,
    state: 'established',
    admin_down: false,
    since: '2025-12-31T12:00:00.000Z',
    prefixes_received: 5,
    prefixes_accepted: 5,
    prefixes_advertised: 3,
    families: [
      { afi_safi: 'ipv4-unicast', received: 4, accepted: 4, advertised: 2 },
      { afi_safi: 'ipv6-unicast', received: 1, accepted: 1, advertised: 1 },
    ],
    last_error: null,
  },
} satisfies Record<string, PeerState>;

/** The expected state of one reference neighbour, with the fields a platform reports differently replaced. */
export function referencePeer(peerIp: keyof typeof REFERENCE, differences: Partial<PeerState> = {}): PeerState {
  return { ...structuredClone(REFERENCE[peerIp]), ...differences };
}
