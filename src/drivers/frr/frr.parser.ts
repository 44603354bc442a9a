// Parses FRR's `show bgp vrf all neighbors json` (FRR 8.x) into normalised neighbour states.
import { parseIp } from '../../platform/ip.ts';
import type { BgpState, FamilyCounts, PeerState } from '../driver.types.ts';

const STATES: Record<string, BgpState> = {
  idle: 'idle',
  connect: 'connect',
  active: 'active',
  opensent: 'opensent',
  openconfirm: 'openconfirm',
  established: 'established',
  clearing: 'idle',
  deleted: 'idle',
};

/** FRR's address-family keys (`ipv4Unicast`, `l2VpnEvpn`) as Peerdesk afi_safi names (`ipv4-unicast`, `l2vpn-evpn`). */
export function frrFamily(key: string): string {
  if (key === 'l2VpnEvpn') return 'l2vpn-evpn';
  return key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

// Reasons in `lastResetDueTo` (FRR's peer_down_str) that say nothing about why a session went down.
const NOT_A_DOWN_REASON = new Set([
  '',
  'No AFI/SAFI activated for peer',
  'Waiting for peer OPEN',
  'Address family activated',
  'Unknown',
]);
const RESET_WORDS: Record<string, string> = {
  'Admin. shutdown': 'Administrative shutdown',
  'Admin. shutdown (RTT)': 'Administrative shutdown (RTT limit)',
  'Reached received prefix count': 'max-prefix exceeded',
  'Waiting for NHT': 'peer unreachable (no route to the next hop)',
  'Neighbor address lost': 'peer unreachable (address lost)',
  'Interface down': 'peer unreachable (interface down)',
  'BFD down received': 'BFD down',
  'Peer closed the session': 'Peer closed the session',
  'User reset': 'Cleared by an operator (clear bgp)',
};

type Json = Record<string, unknown>;

// Address text → parsed address (the same neighbours come back every poll: parse each once).
const ips = new Map<string, ReturnType<typeof parseIp>>();
function ipOf(text: string): ReturnType<typeof parseIp> {
  let ip = ips.get(text);
  if (ip === undefined) {
    ip = parseIp(text);
    if (ips.size >= 100_000) ips.clear();
    ips.set(text, ip);
  }
  return ip;
}
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The down reason FRR reports for one neighbour, in words (null when none). */
export function frrDownReason(n: Json): string | null {
  const notification = str(n.lastNotificationReason);
  const due = str(n.lastResetDueTo) ?? '';
  if (notification) {
    // "Hold Timer Expired/Unspecific" reads better without the subcode that says nothing.
    const words = notification.replace(/\/Unspecific$/, '');
    const dir = /received/i.test(due) ? ' (received)' : /sen[dt]/i.test(due) ? ' (sent)' : '';
    const message = str(n.lastShutdownDescription) ?? str(n.lastNotificationShutdownMessage);
    return `${words}${dir}${message ? `: "${message}"` : ''}`;
  }
  if (NOT_A_DOWN_REASON.has(due)) return null;
  return RESET_WORDS[due] ?? due;
}

function families(n: Json): FamilyCounts[] {
  const info = (n.addressFamilyInfo ?? {}) as Record<string, Json>;
  return Object.entries(info).map(([key, af]) => {
    // FRR keeps only accepted routes (unless soft-reconfiguration inbound), and calls them received (PfxRcd).
    const accepted = num(af.acceptedPrefixCounter);
    return { afi_safi: frrFamily(key), received: accepted, accepted, advertised: num(af.sentPrefixCounter) };
  });
}

const sum = (fams: FamilyCounts[], k: 'received' | 'accepted' | 'advertised'): number | null =>
  fams.some((f) => f[k] !== null) ? fams.reduce((a, f) => a + (f[k] ?? 0), 0) : null;

/** One neighbour object of the JSON (key: its address, or an interface for unnumbered sessions). */
export function parseFrrNeighbor(vrf: string | null, key: string, n: Json, now = new Date()): PeerState | null {
  const ip = ipOf(key) ?? (str(n.hostForeign) ? ipOf(String(n.hostForeign)) : null);
  if (!ip) return null;
  const raw = String(n.bgpState ?? '');
  const adminDown = n.adminShutDown === true || /\(Admin\)/.test(raw);
  const base = raw.replace(/\s*\(.*\)$/, '').toLowerCase();
  const state: BgpState = adminDown ? 'admin-down' : (STATES[base] ?? 'unknown');
  let since: string | null = null;
  if (state === 'established') {
    const epoch = num(n.bgpTimerUpEstablishedEpoch);
    const up = num(n.bgpTimerUpMsec);
    since = epoch
      ? new Date(epoch * 1000).toISOString()
      : up !== null
        ? new Date(now.getTime() - up).toISOString()
        : null;
  } else {
    const reset = num(n.lastResetTimerMsecs);
    if (reset !== null) since = new Date(now.getTime() - reset).toISOString();
  }
  const fams = families(n);
  let lastError = frrDownReason(n);
  if (/\(PfxCt\)/.test(raw) && !lastError) lastError = 'max-prefix exceeded';
  const local = ipOf(String(n.hostLocal ?? '')) ?? ipOf(String(n.updateSource ?? ''));
  return {
    vrf,
    peer_ip: ip.text,
    remote_asn: num(n.remoteAs),
    local_asn: num(n.localAs),
    local_ip: local?.text ?? null,
    description: str(n.nbrDesc),
    state,
    admin_down: adminDown,
    since,
    prefixes_received: sum(fams, 'received'),
    prefixes_accepted: sum(fams, 'accepted'),
    prefixes_advertised: sum(fams, 'advertised'),
    families: fams,
    last_error: lastError,
  };
}

/** Parses the whole `show bgp vrf all neighbors json` answer (VRF `default` becomes null). */
export function parseFrrNeighbors(json: unknown, now = new Date()): PeerState[] {
  const out: PeerState[] = [];
  if (!json || typeof json !== 'object') return out;
  for (const [vrfName, body] of Object.entries(json as Record<string, unknown>)) {
    if (!body || typeof body !== 'object') continue;
    const vrf = vrfName === 'default' ? null : vrfName;
    for (const [key, n] of Object.entries(body as Record<string, unknown>)) {
      if (!n || typeof n !== 'object' || !('remoteAs' in n || 'bgpState' in n)) continue;
      const p = parseFrrNeighbor(vrf, key, n as Json, now);
      if (p) out.push(p);
    }
  }
  return out;
}
