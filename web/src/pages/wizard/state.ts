// The wizard's state, its per-step checks and the request body it sends.
import type { paths, Schemas } from '../../api/client';
import { asnValue, checkAsn, checkAsSet, checkIp, ipFamily } from '../../lib/validate';

/** The body of POST /api/peering-sessions/wizard/. */
export type WizardBody = paths['/api/peering-sessions/wizard/']['post']['requestBody']['content']['application/json'];

/** An address of a PeeringDB member on the exchange, with whether the router has a session with it. */
export type MemberAddress = Schemas['PeeringCandidate']['addresses'][number];

export interface WizardState {
  relationship: string | null;
  relationshipRow: Schemas['Relationship'] | null;
  exchangeMode: 'exchange' | 'none';
  fabric: string | null;
  fabricRow: Schemas['Fabric'] | null;
  networks: string[];
  notes: string;
  service_reference: string;
  router: string | null;
  routerRow: Schemas['Router'] | null;
  peer_group: string | null;
  peerGroupRow: Schemas['PeerGroup'] | null;
  local_asn: string;
  md5: string;
  peerSource: 'peeringdb' | 'local' | 'manual';
  name: string;
  asn: string;
  ipv4: string;
  ipv6: string;
  source_ipv4: string;
  source_ipv6: string;
  peeringdb_id: number | null;
  /** Further chosen addresses (beyond ipv4/ipv6): one session each. */
  addresses: string[];
  /** The picked PeeringDB member's addresses on the exchange, offered as a choice. */
  choices: MemberAddress[];
  irr_as_set: string;
  /** Import the AS-SET into the new peer ASN's prefix lists right after Create. */
  irrImport: boolean;
  enabled: boolean;
}

export const EMPTY: WizardState = {
  relationship: null,
  relationshipRow: null,
  exchangeMode: 'exchange',
  fabric: null,
  fabricRow: null,
  networks: [],
  notes: '',
  service_reference: '',
  router: null,
  routerRow: null,
  peer_group: null,
  peerGroupRow: null,
  local_asn: '',
  md5: '',
  peerSource: 'manual',
  name: '',
  asn: '',
  ipv4: '',
  ipv6: '',
  source_ipv4: '',
  source_ipv6: '',
  peeringdb_id: null,
  addresses: [],
  choices: [],
  irr_as_set: '',
  irrImport: false,
  enabled: true,
};

// Which step owns each API field, to send the user back to the right place on a server error.
export const STEP_OF: Record<string, number> = {
  relationship: 0,
  network: 0,
  networks: 0,
  notes: 0,
  service_reference: 0,
  router: 1,
  peer_group: 1,
  local_asn: 1,
  md5: 1,
  peer: 2,
  irr_as_set: 3,
  enabled: 4,
};

/** Checks one step; returns errors keyed by API field name. */
export function validateStep(step: number, s: WizardState): Record<string, string> {
  const e: Record<string, string> = {};
  if (step === 0 && s.exchangeMode === 'exchange') {
    if (!s.fabric) e.network = 'choose an exchange, or "No Exchange"';
    else if (!s.networks.length) e.network = 'choose at least one network (LAN) of the exchange';
  }
  if (step === 1) {
    if (!s.router) e.router = 'is required';
    const localAsn = s.local_asn ? checkAsn(s.local_asn) : null;
    if (localAsn && !localAsn.ok) e.local_asn = localAsn.error;
    if (s.md5.length > 80) e.md5 = 'at most 80 characters';
  }
  if (step === 2) {
    if (!s.name.trim()) e['peer.name'] = 'is required';
    const asn = checkAsn(s.asn);
    if (!asn.ok) e['peer.asn'] = asn.error;
    if (!s.ipv4.trim() && !s.ipv6.trim() && !s.addresses.length)
      e['peer.ipv4'] = 'give the peer at least one IPv4 or IPv6 address';
    for (const [k, fam] of [
      ['ipv4', 4],
      ['ipv6', 6],
      ['source_ipv4', 4],
      ['source_ipv6', 6],
    ] as const) {
      const v = s[k].trim();
      if (!v) continue;
      const ip = checkIp(v);
      if (!ip.ok) e[`peer.${k}`] = ip.error;
      else if (ipFamily(v) !== fam) e[`peer.${k}`] = `${v} is not an IPv${fam} address`;
    }
  }
  if (step === 3 && s.irr_as_set.trim()) {
    const set = checkAsSet(s.irr_as_set);
    if (!set.ok) e.irr_as_set = set.error;
  }
  return e;
}

export function toBody(s: WizardState): WizardBody {
  const opt = (v: string) => (v.trim() ? v.trim() : null);
  return {
    relationship: s.relationship ? Number(s.relationship) : null,
    ...(s.exchangeMode === 'exchange' && s.networks.length
      ? s.networks.length === 1
        ? { network: Number(s.networks[0]) }
        : { networks: s.networks.map(Number) }
      : { network: null }),
    notes: opt(s.notes),
    service_reference: opt(s.service_reference),
    router: Number(s.router),
    peer_group: s.peer_group ? Number(s.peer_group) : null,
    ...(s.local_asn.trim() ? { local_asn: asnValue(s.local_asn) ?? s.local_asn.trim() } : {}),
    md5: opt(s.md5),
    peer: {
      asn: asnValue(s.asn) ?? s.asn.trim(),
      name: s.name.trim(),
      ipv4: opt(s.ipv4),
      ipv6: opt(s.ipv6),
      source_ipv4: opt(s.source_ipv4),
      source_ipv6: opt(s.source_ipv6),
      ...(s.addresses.length ? { addresses: s.addresses } : {}),
      peeringdb_id: s.peeringdb_id,
    },
    irr_as_set: opt(s.irr_as_set),
    enabled: s.enabled,
  };
}

/** The wizard's start state: `?asn=` and `&fabric=` (a peering request's "Open the session wizard") prefill it. */
export function initialState(search: URLSearchParams): WizardState {
  const asn = search.get('asn') ?? '';
  const fabric = search.get('fabric');
  return {
    ...EMPTY,
    ...(/^\d+$/.test(asn) ? { asn, peerSource: 'manual' as const } : {}),
    ...(fabric && /^\d+$/.test(fabric) ? { fabric, exchangeMode: 'exchange' as const } : {}),
  };
}

/** The first valid AS-SET of PeeringDB's free-text field ("RIPE::AS-MTU RIPE::AS-MTU-V6" → RIPE::AS-MTU). */
export function firstAsSet(v: string | null | undefined): string | null {
  return (v ?? '').split(/[\s,]+/).find((t) => t && checkAsSet(t).ok) ?? null;
}

/** Splits chosen addresses into the IPv4/IPv6 fields (first of each family) and the further ones. */
export function spread(chosen: string[], choices: MemberAddress[]): Pick<WizardState, 'ipv4' | 'ipv6' | 'addresses'> {
  const fam = (a: string) => choices.find((c) => c.address === a)?.family ?? ipFamily(a);
  const ipv4 = chosen.find((a) => fam(a) === 4) ?? '';
  const ipv6 = chosen.find((a) => fam(a) === 6) ?? '';
  return { ipv4, ipv6, addresses: chosen.filter((a) => a !== ipv4 && a !== ipv6) };
}

export type StepProps = { s: WizardState; set: (p: Partial<WizardState>) => void; errors: Record<string, string> };
