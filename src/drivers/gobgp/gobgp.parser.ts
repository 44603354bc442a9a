// Normalises GoBGP's ListPeer answers (gRPC, field names as in api/gobgp.proto) into neighbour states.
import { parseIp } from '../../platform/ip.ts';
import type { BgpState, FamilyCounts, PeerState } from '../driver.types.ts';

/** The subset of apipb.Peer Peerdesk reads (zero values may be absent, as protobuf omits them). */
export interface GobgpPeer {
  conf?: {
    description?: string;
    local_asn?: number;
    neighbor_address?: string;
    peer_asn?: number;
    vrf?: string;
    admin_down?: boolean;
  };
  state?: {
    description?: string;
    local_asn?: number;
    neighbor_address?: string;
    peer_asn?: number;
    session_state?: number;
    admin_state?: number;
    flops?: number;
  };
  timers?: { state?: { uptime?: { seconds?: number }; downtime?: { seconds?: number } } };
  transport?: { local_address?: string; remote_address?: string };
  afi_safis?: {
    state?: {
      family?: { afi?: number; safi?: number };
      enabled?: boolean;
      received?: number;
      accepted?: number;
      advertised?: number;
    };
  }[];
}

// apipb.PeerState.SessionState
const STATES: Record<number, BgpState> = {
  1: 'idle',
  2: 'connect',
  3: 'active',
  4: 'opensent',
  5: 'openconfirm',
  6: 'established',
};
const AFI: Record<number, string> = { 1: 'ipv4', 2: 'ipv6', 25: 'l2vpn', 16388: 'ls' };
const SAFI: Record<number, string> = {
  1: 'unicast',
  2: 'multicast',
  4: 'labeled-unicast',
  65: 'vpls',
  70: 'evpn',
  71: 'ls',
  73: 'sr-policy',
  128: 'vpn',
  129: 'vpn-multicast',
  132: 'rtc',
  133: 'flowspec',
  134: 'flowspec-vpn',
};

/** GoBGP's (afi, safi) pair as a Peerdesk afi_safi name. */
export function gobgpFamily(afi = 0, safi = 0): string {
  if (afi === 25 && safi === 70) return 'l2vpn-evpn';
  return `${AFI[afi] ?? `afi${afi}`}-${SAFI[safi] ?? `safi${safi}`}`;
}

const ts = (t: { seconds?: number } | undefined): string | null =>
  t?.seconds ? new Date(Number(t.seconds) * 1000).toISOString() : null;

/** One ListPeer item as a neighbour state. */
export function parseGobgpPeer(p: GobgpPeer): PeerState | null {
  const ip = parseIp(p.conf?.neighbor_address ?? p.state?.neighbor_address ?? '');
  if (!ip) return null;
  const adminState = p.state?.admin_state ?? 0;
  const adminDown = adminState === 1 || p.conf?.admin_down === true;
  const session = STATES[p.state?.session_state ?? 0] ?? 'unknown';
  const state: BgpState = adminDown ? 'admin-down' : session;
  // GoBGP keeps computing its Adj-RIB-Out for a session that is down; nothing is advertised then.
  const up = session === 'established' && !adminDown;
  const families: FamilyCounts[] = (p.afi_safis ?? [])
    .filter((a) => a.state?.enabled !== false)
    .map((a) => ({
      afi_safi: gobgpFamily(a.state?.family?.afi, a.state?.family?.safi),
      // Protobuf omits zeros: absent counters are 0.
      received: Number(a.state?.received ?? 0),
      accepted: Number(a.state?.accepted ?? 0),
      advertised: up ? Number(a.state?.advertised ?? 0) : 0,
    }));
  const total = (k: 'received' | 'accepted' | 'advertised') =>
    families.length ? families.reduce((s, f) => s + (f[k] ?? 0), 0) : null;
  const local = parseIp(p.transport?.local_address ?? '');
  return {
    vrf: p.conf?.vrf || null,
    peer_ip: ip.text,
    remote_asn: p.conf?.peer_asn ?? p.state?.peer_asn ?? null,
    local_asn: p.conf?.local_asn ?? p.state?.local_asn ?? null,
    local_ip: local?.text ?? null,
    description: p.conf?.description || null,
    state,
    admin_down: adminDown,
    since: session === 'established' ? ts(p.timers?.state?.uptime) : ts(p.timers?.state?.downtime),
    prefixes_received: total('received'),
    prefixes_accepted: total('accepted'),
    prefixes_advertised: total('advertised'),
    families,
    // ListPeer carries no NOTIFICATION reason; the prefix-limit admin state is the one GoBGP gives.
    last_error: adminState === 2 ? 'max-prefix exceeded' : null,
  };
}
