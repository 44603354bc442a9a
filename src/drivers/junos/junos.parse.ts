// Parsers for Junos NETCONF answers: <get-bgp-neighbor-information/> (state and counts per peer) and the
// XML configuration of `protocols bgp` (which neighbours exist, which are deactivated). A deactivated
// neighbour is absent from the operational answer, so the configuration is what reports it admin-down.
import { parseIp } from '../../platform/ip.ts';
import { asArray, textOf, type XmlNode } from '../transports/netconf.ts';
import type { BgpState, FamilyCounts, PeerState } from '../driver.types.ts';

const STATES: Record<string, BgpState> = {
  established: 'established',
  idle: 'idle',
  connect: 'connect',
  active: 'active',
  opensent: 'opensent',
  openconfirm: 'openconfirm',
};

/** Strips the `+port` Junos appends to session addresses and canonicalises the IP. */
export function junosAddress(text: string | null): string | null {
  if (!text) return null;
  const bare = text.trim().replace(/\+\d+$/, '');
  return parseIp(bare)?.text ?? null;
}

/** Maps a Junos RIB name (`inet.0`, `CUST-A.inet6.0`, `bgp.l3vpn.0`) to an AFI/SAFI name. */
export function ribFamily(rib: string): string {
  const m = /(?:^|\.)(inet6?)\.(\d+)$/.exec(rib);
  if (m && !rib.startsWith('bgp.'))
    return `${m[1] === 'inet6' ? 'ipv6' : 'ipv4'}-${m[2] === '2' ? 'multicast' : 'unicast'}`;
  if (/l3vpn-inet6/.test(rib)) return 'l3vpn-ipv6-unicast';
  if (/l3vpn/.test(rib)) return 'l3vpn-ipv4-unicast';
  if (/evpn/.test(rib)) return 'l2vpn-evpn';
  return rib;
}

function num(v: unknown): number | null {
  const t = textOf(v);
  if (t === null || t === '' || !/^\d+$/.test(t)) return null;
  return Number(t);
}

function sum(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

/** Junos `last-error` in words; "None" means none. */
function lastError(peer: XmlNode): string | null {
  const e = textOf(peer['last-error']);
  if (!e || /^none$/i.test(e)) return null;
  return e.replace(/ Error$/, '');
}

/** Parses the parsed <rpc-reply> body of <get-bgp-neighbor-information/>. */
export function parseJunosNeighbors(body: XmlNode, now = new Date()): PeerState[] {
  const info = (body['bgp-information'] ?? {}) as XmlNode;
  const out: PeerState[] = [];
  for (const peer of asArray(info['bgp-peer'] as XmlNode | XmlNode[])) {
    const ip = junosAddress(textOf(peer['peer-address']));
    if (!ip) continue;
    const rti = textOf(peer['peer-cfg-rti']);
    const stateText = (textOf(peer['peer-state']) ?? '').toLowerCase();
    const families: FamilyCounts[] = asArray(peer['bgp-rib'] as XmlNode | XmlNode[]).map((rib) => ({
      afi_safi: ribFamily(textOf(rib.name) ?? ''),
      received: num(rib['received-prefix-count']),
      accepted: num(rib['accepted-prefix-count']),
      advertised: num(rib['advertised-prefix-count']),
    }));
    const elapsed = peer['elapsed-time'] as XmlNode | string | undefined;
    const seconds = elapsed && typeof elapsed === 'object' ? num(elapsed['@_seconds']) : null;
    const state = STATES[stateText] ?? 'unknown';
    out.push({
      vrf: rti && rti !== 'master' ? rti : null,
      peer_ip: ip,
      remote_asn: num(peer['peer-as']),
      local_asn: num(peer['local-as']),
      local_ip: junosAddress(textOf(peer['local-address'])),
      description: textOf(peer.description) || null,
      state,
      admin_down: false,
      since: seconds !== null ? new Date(now.getTime() - seconds * 1000).toISOString() : null,
      prefixes_received: sum(families.map((f) => f.received)),
      prefixes_accepted: sum(families.map((f) => f.accepted)),
      prefixes_advertised: sum(families.map((f) => f.advertised)),
      families,
      last_error: lastError(peer),
    });
  }
  return out;
}

/** One neighbour as the Junos configuration declares it. */
export interface JunosConfiguredNeighbor {
  vrf: string | null;
  peer_ip: string;
  group: string;
  remote_asn: number | null;
  description: string | null;
  /** Deactivated itself, or through its group, instance or `protocols bgp`. */
  inactive: boolean;
}

function isInactive(node: XmlNode | undefined): boolean {
  return !!node && textOf(node['@_inactive']) === 'inactive';
}

function groupsOf(
  bgp: XmlNode | undefined,
  vrf: string | null,
  parentInactive: boolean,
  out: JunosConfiguredNeighbor[],
): void {
  if (!bgp || typeof bgp !== 'object') return;
  const bgpInactive = parentInactive || isInactive(bgp);
  for (const g of asArray(bgp.group as XmlNode | XmlNode[])) {
    const group = textOf(g.name) ?? '';
    const gInactive = bgpInactive || isInactive(g);
    for (const n of asArray(g.neighbor as XmlNode | XmlNode[])) {
      const ip = junosAddress(textOf(n.name));
      if (!ip) continue;
      out.push({
        vrf,
        peer_ip: ip,
        group,
        remote_asn: num(n['peer-as']) ?? num(g['peer-as']),
        description: textOf(n.description) || null,
        inactive: gInactive || isInactive(n),
      });
    }
  }
}

/** Parses the XML configuration (`protocols bgp` and routing instances) into its neighbours. */
export function parseJunosBgpConfig(body: XmlNode): JunosConfiguredNeighbor[] {
  const conf = (body.configuration ?? {}) as XmlNode;
  const out: JunosConfiguredNeighbor[] = [];
  groupsOf(
    (conf.protocols as XmlNode | undefined)?.bgp as XmlNode | undefined,
    null,
    isInactive(conf.protocols as XmlNode | undefined),
    out,
  );
  const instances = conf['routing-instances'] as XmlNode | undefined;
  for (const inst of asArray(instances?.instance as XmlNode | XmlNode[])) {
    const name = textOf(inst.name);
    const protocols = inst.protocols as XmlNode | undefined;
    groupsOf(protocols?.bgp as XmlNode | undefined, name, isInactive(inst) || isInactive(protocols), out);
  }
  return out;
}

/**
 * Joins the operational answer with the configuration: deactivated neighbours (absent from the
 * operational answer) are added as `admin-down`, with the configured AS and description.
 */
export function mergeJunosState(oper: PeerState[], config: JunosConfiguredNeighbor[]): PeerState[] {
  const key = (vrf: string | null, ip: string) => `${vrf ?? ''}|${ip}`;
  const byKey = new Map(oper.map((p) => [key(p.vrf, p.peer_ip), p]));
  const out = [...oper];
  for (const c of config) {
    const existing = byKey.get(key(c.vrf, c.peer_ip));
    if (existing) {
      if (c.inactive) {
        existing.admin_down = true;
        existing.state = 'admin-down';
      }
      continue;
    }
    if (!c.inactive) continue; // configured but not yet in the operational table: the next poll sees it
    out.push({
      vrf: c.vrf,
      peer_ip: c.peer_ip,
      remote_asn: c.remote_asn,
      local_asn: null,
      local_ip: null,
      description: c.description,
      state: 'admin-down',
      admin_down: true,
      since: null,
      prefixes_received: null,
      prefixes_accepted: null,
      prefixes_advertised: null,
      families: [],
      last_error: 'deactivated in the configuration',
    });
  }
  return out;
}
