// Parsers for Arista EOS eAPI answers: `show ip bgp summary vrf all` and `show ipv6 bgp summary vrf all`
// (state, received/accepted per family, idle reason) joined with `show ip bgp neighbors vrf all`
// (advertised counts per family, description, local AS) — all three from one runCmds request.
import { parseIp } from '../../platform/ip.ts';
import type { BgpState, FamilyCounts, PeerState } from '../driver.types.ts';

interface SummaryPeer {
  peerState?: string;
  peerStateIdleReason?: string;
  prefixReceived?: number;
  prefixAccepted?: number;
  upDownTime?: number;
  asn?: string | number;
  description?: string;
}
interface SummaryVrf {
  asn?: string | number;
  routerId?: string;
  peers?: Record<string, SummaryPeer>;
}
/** `show ip[v6] bgp summary vrf all` as JSON. */
export interface EosSummary {
  vrfs?: Record<string, SummaryVrf>;
}
interface NeighborEntry {
  peerAddress?: string;
  asn?: string | number;
  localAsn?: string | number;
  state?: string;
  description?: string;
  prefixesSent?: number;
  v6PrefixesSent?: number;
  localAddress?: string;
}
/** `show ip bgp neighbors vrf all` as JSON. */
export interface EosNeighbors {
  vrfs?: Record<string, { peerList?: NeighborEntry[] }>;
}

const STATES: Record<string, BgpState> = {
  established: 'established',
  idle: 'idle',
  connect: 'connect',
  active: 'active',
  opensent: 'opensent',
  openconfirm: 'openconfirm',
};

/** EOS ASNs are strings, plain (`"64501"`) or asdot (`"1.10"` = 65546). */
export function parseEosAsn(v: string | number | undefined | null): number | null {
  if (v === undefined || v === null || v === '') return null;
  const s = String(v).trim();
  const dot = /^(\d+)\.(\d+)$/.exec(s);
  if (dot) return Number(dot[1]) * 65536 + Number(dot[2]);
  return /^\d+$/.test(s) ? Number(s) : null;
}

/** The idle reason EOS gives (`peerStateIdleReason`) in Peerdesk's words. */
export function eosIdleReason(reason: string | undefined): string | null {
  if (!reason) return null;
  switch (reason) {
    case 'Admin':
      return 'Cease/Administrative Shutdown';
    case 'MaxPath':
    case 'MaxPrefix':
    case 'MaxRoutes':
      return 'max-prefix exceeded';
    case 'NoInterface':
    case 'NoRoute':
    case 'PeerAddrUnknown':
      return `peer unreachable (${reason})`;
    default:
      return `idle: ${reason}`;
  }
}

/** Joins the two summaries and the neighbour list into one state per (vrf, neighbour). */
export function parseEosBgp(v4: EosSummary, v6: EosSummary, neighbors: EosNeighbors): PeerState[] {
  const detail = new Map<string, NeighborEntry>();
  for (const [vrf, v] of Object.entries(neighbors.vrfs ?? {})) {
    for (const n of v.peerList ?? []) {
      const ip = n.peerAddress ? parseIp(n.peerAddress)?.text : null;
      if (ip) detail.set(`${vrf}|${ip}`, n);
    }
  }
  const out = new Map<string, PeerState>();
  const add = (summary: EosSummary, afi: 'ipv4-unicast' | 'ipv6-unicast') => {
    for (const [vrf, v] of Object.entries(summary.vrfs ?? {})) {
      for (const [addr, p] of Object.entries(v.peers ?? {})) {
        const ip = parseIp(addr)?.text;
        if (!ip) continue;
        const k = `${vrf}|${ip}`;
        const d = detail.get(k);
        const family: FamilyCounts = {
          afi_safi: afi,
          received: p.prefixReceived ?? null,
          accepted: p.prefixAccepted ?? null,
          advertised: (afi === 'ipv4-unicast' ? d?.prefixesSent : d?.v6PrefixesSent) ?? null,
        };
        const existing = out.get(k);
        if (existing) {
          existing.families.push(family);
          continue;
        }
        const adminDown = p.peerState === 'Idle' && p.peerStateIdleReason === 'Admin';
        const state = adminDown ? 'admin-down' : (STATES[(p.peerState ?? '').toLowerCase()] ?? 'unknown');
        out.set(k, {
          vrf: vrf === 'default' ? null : vrf,
          peer_ip: ip,
          remote_asn: parseEosAsn(p.asn ?? d?.asn),
          local_asn: parseEosAsn(d?.localAsn ?? v.asn),
          local_ip: d?.localAddress ? (parseIp(d.localAddress)?.text ?? null) : null,
          description: p.description ?? d?.description ?? null,
          state,
          admin_down: adminDown,
          since: typeof p.upDownTime === 'number' ? new Date(Math.round(p.upDownTime * 1000)).toISOString() : null,
          prefixes_received: null,
          prefixes_accepted: null,
          prefixes_advertised: null,
          families: [family],
          last_error: state === 'established' ? null : eosIdleReason(p.peerStateIdleReason),
        });
      }
    }
  };
  add(v4, 'ipv4-unicast');
  add(v6, 'ipv6-unicast');
  const total = (vals: (number | null)[]) => {
    const known = vals.filter((x): x is number => x !== null);
    return known.length ? known.reduce((a, b) => a + b, 0) : null;
  };
  for (const p of out.values()) {
    p.prefixes_received = total(p.families.map((f) => f.received));
    p.prefixes_accepted = total(p.families.map((f) => f.accepted));
    p.prefixes_advertised = total(p.families.map((f) => f.advertised));
  }
  return [...out.values()];
}

/** `show configuration sessions detail`: true when a session waits for confirmation of a commit timer. */
export function eosPendingCommitTimer(result: unknown): boolean {
  const sessions = (result as { sessions?: Record<string, { state?: string }> } | null)?.sessions ?? {};
  return Object.values(sessions).some((s) => s.state === 'pendingCommitTimer');
}
