// The render context a config template receives: plain JSON data, built by render-config from the database.
//
// Names follow the NetBox plugin's render-config context (device, sessions, peer_groups, route_maps,
// prefix_lists, communities) and Peering Manager's (router, local_as, autonomous_systems, bgp_groups,
// internet_exchange_points, routing_policies), so templates written for either render unchanged.
// Every value is JSON: no dates (ISO strings), no Maps, no functions. Aliases (device/router,
// bgp_groups/peer_groups, routing_policies/route_maps, fabrics/internet_exchange_points) point at
// the same arrays/objects.

/** Free-form per-object data (Peering Manager's "config context"), read by context_get_key. */
export type ConfigContext = Record<string, unknown>;

/** A routing policy as referenced from a session, AS, fabric or peer group. */
export interface RoutingPolicyRef {
  name: string;
  slug: string;
  /** Lower weights apply first (Peering Manager semantics). */
  weight: number;
}

/** A routing policy / route map defined on the router or globally. */
export interface RoutingPolicyCtx extends RoutingPolicyRef {
  id: number;
  /** 'import', 'export' or 'import-export'. */
  type: 'import' | 'export' | 'import-export';
  /** 0 = both families, 4 or 6. */
  address_family: 0 | 4 | 6;
  description: string;
  config_context: ConfigContext;
}

/** A BGP community. */
export interface CommunityCtx {
  id: number;
  name: string;
  slug: string;
  kind: 'standard' | 'extended' | 'large';
  /** Wire form: "65000:100", "target:65000:100" or "65000:1:2". */
  value: string;
  /** 'ingress', 'egress' or null when it applies both ways. */
  type: 'ingress' | 'egress' | null;
  description: string;
}

/** One entry of a prefix list. */
export interface PrefixListEntryCtx {
  seq: number;
  action: 'permit' | 'deny';
  prefix: string;
  ge: number | null;
  le: number | null;
}

/** A prefix list: manual, or fed from IRR for a peer AS (then `asn`/`as_set` say whose). */
export interface PrefixListCtx {
  id: number;
  name: string;
  family: 4 | 6;
  source: 'manual' | 'irr';
  asn: number | null;
  as_set: string | null;
  entries: PrefixListEntryCtx[];
}

/** AS numbers an AS-SET expands to (from IRR), for AS-path filters. */
export interface AsListCtx {
  name: string;
  asn: number | null;
  as_set: string | null;
  asns: number[];
}

/** A contact from PeeringDB / the AS record. */
export interface ContactCtx {
  role: string;
  name: string;
  email: string;
  phone: string;
}

/** A peer (or our own) autonomous system. */
export interface AutonomousSystemCtx {
  id: number;
  asn: number;
  name: string;
  affiliated: boolean;
  irr_as_set: string | null;
  ipv4_max_prefixes: number | null;
  ipv6_max_prefixes: number | null;
  peeringdb_id: number | null;
  import_routing_policies: RoutingPolicyRef[];
  export_routing_policies: RoutingPolicyRef[];
  /** Community names (see `communities`). */
  communities: string[];
  contacts: ContactCtx[];
  config_context: ConfigContext;
}

/** A LAN of a fabric (an IXP peering LAN or a private interconnect). */
export interface PeeringNetworkCtx {
  id: number;
  name: string;
  prefix: string;
  vlan: number | null;
  rs_asn: number | null;
}

/** A fabric (IXP or private/transit fabric). */
export interface FabricCtx {
  id: number;
  name: string;
  slug: string;
  type: string;
  status: string;
  peeringdb_ix_id: number | null;
  networks: PeeringNetworkCtx[];
  /** This router's addresses on the fabric's LANs. */
  local_ips: string[];
  import_routing_policies: RoutingPolicyRef[];
  export_routing_policies: RoutingPolicyRef[];
  communities: string[];
  config_context: ConfigContext;
}

/** Per address-family settings of a session or peer group. */
export interface AddressFamilyCtx {
  afi: 'ipv4' | 'ipv6' | 'l2vpn';
  safi: 'unicast' | 'multicast' | 'vpn' | 'flowspec' | 'evpn';
  /** "ipv4-unicast" etc. */
  afi_safi: string;
  route_map_in: string | null;
  route_map_out: string | null;
  prefix_list_in: string | null;
  prefix_list_out: string | null;
  max_prefixes: number | null;
}

/** The session's peering network, with its fabric; null for "No Exchange" sessions. */
export interface SessionNetworkCtx {
  id: number;
  name: string;
  prefix: string;
  fabric: { id: number; name: string; slug: string; type: string };
}

/**
 * One BGP peer on the router (a peering session when it has a relationship/network).
 * Names follow the API (`peer_ip`, `peer_asn`, `local_ip`, `family`, `network`, `fabric`, `notes`,
 * `max_prefixes`); the NetBox plugin's names stay as aliases (`remote_ip` = `peer_ip`,
 * `ip_version` = `family`, `peering_network` = `network` + `fabric`, `remote_asn` = `peer_asn`).
 */
export interface SessionCtx {
  id: number;
  /** The BGP peer behind the session. */
  bgp_peer_id: number;
  /** API name of the neighbour address (alias: remote_ip). */
  peer_ip: string;
  /** API name of the address family, 4 or 6 (alias: ip_version). */
  family: 4 | 6;
  /** The BGP peer API's name of peer_asn. */
  remote_asn: number;
  /** The session's network (API shape), or null. */
  network: { id: number; name: string; prefix: string } | null;
  /** The session's fabric (API shape), or null. */
  fabric: { id: number; name: string; slug: string } | null;
  notes: string | null;
  /** Prefix limit of the session's own family (address family, else AS, else peer group), or null. */
  max_prefixes: number | null;
  name: string;
  description: string;
  status: string;
  enabled: boolean;
  /** Configured TTL (hop count); null = default (1 for eBGP). */
  ttl: number | null;
  /** eBGP multihop hop count when TTL > 1, else null. */
  multihop: number | null;
  local_asn: number;
  peer_asn: number;
  peer_name: string;
  irr_as_set: string | null;
  ipv4_max_prefixes: number | null;
  ipv6_max_prefixes: number | null;
  /** Source address (may be null when the router picks one). */
  local_ip: string | null;
  remote_ip: string;
  ip_version: 4 | 6;
  /** MD5 password in clear; null when none or when the caller may not see secrets. */
  password: string | null;
  /** Device-encrypted form when known (e.g. Cisco/Arista "7 ..." strings). */
  encrypted_password: string | null;
  relationship: { slug: string; name: string; color: string } | null;
  service_reference: string | null;
  bfd_profile: string | null;
  /** Peer group name (see `peer_groups`), or null. */
  peer_group: string | null;
  vrf: string | null;
  peering_network: SessionNetworkCtx | null;
  address_families: AddressFamilyCtx[];
  /** ["ipv4-unicast", ...] */
  afi_safis: string[];
  is_route_server: boolean;
  import_routing_policies: RoutingPolicyRef[];
  export_routing_policies: RoutingPolicyRef[];
  communities: string[];
  /** Live state from the last poll. */
  state: string | null;
  received_prefixes: number | null;
  accepted_prefixes: number | null;
  advertised_prefixes: number | null;
  config_context: ConfigContext;
}

/** A peer group (BGP group) of the router, with the defaults its peers inherit. */
export interface PeerGroupCtx {
  id: number;
  name: string;
  description: string;
  remote_asn: number | null;
  ttl: number | null;
  multihop: number | null;
  bfd_profile: string | null;
  password: string | null;
  address_families: AddressFamilyCtx[];
  import_routing_policies: RoutingPolicyRef[];
  export_routing_policies: RoutingPolicyRef[];
  /** Ids of the sessions in this group. */
  session_ids: number[];
  config_context: ConfigContext;
}

/** A BFD profile. */
export interface BfdProfileCtx {
  name: string;
  min_rx_ms: number;
  min_tx_ms: number;
  multiplier: number;
}

/** The router the configuration is for. */
export interface RouterCtx {
  id: number;
  name: string;
  hostname: string;
  /** Platform name, and its driver (frr, bird2, junos, eos, iosxr, sros, ...). */
  platform: string;
  driver: string;
  local_asn: number;
  router_id: string | null;
  status: string;
  management_address: string | null;
  site: string | null;
  config_context: ConfigContext;
}

/** Everything a template sees. */
export interface RenderContext {
  router: RouterCtx;
  device: RouterCtx;
  local_as: AutonomousSystemCtx | null;
  /** Peering Manager's older name of local_as. */
  my_as: AutonomousSystemCtx | null;
  sessions: SessionCtx[];
  peer_groups: PeerGroupCtx[];
  bgp_groups: PeerGroupCtx[];
  route_maps: RoutingPolicyCtx[];
  routing_policies: RoutingPolicyCtx[];
  prefix_lists: PrefixListCtx[];
  as_lists: AsListCtx[];
  communities: CommunityCtx[];
  autonomous_systems: AutonomousSystemCtx[];
  internet_exchange_points: FabricCtx[];
  fabrics: FabricCtx[];
  bfd_profiles: BfdProfileCtx[];
  /** ISO 8601 time the context was built. */
  generated_at: string;
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Completes a context written by hand or for another system (e.g. the NetBox plugin's render-config
 * context, read by `peerdesk render --context-file`): each name gets its alias (peer_ip/remote_ip,
 * family/ip_version, peer_asn/remote_asn, network+fabric/peering_network, router/device, ...), and lists
 * and session fields the shipped templates read get empty defaults, so they render it in strict mode.
 * Values already present are never changed.
 */
export function withContextAliases(input: Json): Json {
  const ctx: Json = { ...input };
  const pair = (a: string, b: string, dflt: unknown) => {
    if (ctx[a] === undefined) ctx[a] = ctx[b] ?? dflt;
    if (ctx[b] === undefined) ctx[b] = ctx[a];
  };
  pair('router', 'device', {});
  pair('local_as', 'my_as', null);
  pair('peer_groups', 'bgp_groups', []);
  pair('route_maps', 'routing_policies', []);
  pair('internet_exchange_points', 'fabrics', []);
  for (const k of ['prefix_lists', 'as_lists', 'communities', 'autonomous_systems', 'bfd_profiles', 'sessions'])
    if (!Array.isArray(ctx[k])) ctx[k] = [];
  if (isRecord(ctx.router)) {
    const r: Json = { ...ctx.router };
    const dflt: Json = {
      name: '',
      hostname: r.name ?? '',
      local_asn: (isRecord(ctx.local_as) ? ctx.local_as.asn : null) ?? 0,
      router_id: null,
      platform: '',
      driver: '',
      status: 'active',
      management_address: null,
      site: null,
      config_context: {},
    };
    for (const [k, v] of Object.entries(dflt)) if (r[k] === undefined) r[k] = v;
    ctx.router = r;
    ctx.device = r;
  }
  ctx.sessions = (ctx.sessions as unknown[]).map((raw) => {
    if (!isRecord(raw)) return raw;
    const s: Json = { ...raw };
    s.peer_ip ??= s.remote_ip;
    s.remote_ip ??= s.peer_ip;
    s.family ??= s.ip_version ?? (typeof s.peer_ip === 'string' ? (s.peer_ip.includes(':') ? 6 : 4) : null);
    s.ip_version ??= s.family;
    s.remote_asn ??= s.peer_asn;
    s.peer_asn ??= s.remote_asn;
    const pn = isRecord(s.peering_network) ? s.peering_network : null;
    if (s.network === undefined) s.network = pn ? { id: pn.id, name: pn.name, prefix: pn.prefix } : null;
    if (s.fabric === undefined) s.fabric = pn && isRecord(pn.fabric) ? pn.fabric : null;
    const dflt: Json = {
      name: s.peer_ip ?? '',
      description: '',
      status: 'active',
      enabled: true,
      ttl: null,
      multihop: null,
      local_asn: isRecord(ctx.router) ? ctx.router.local_asn : null,
      peer_name: '',
      irr_as_set: null,
      ipv4_max_prefixes: null,
      ipv6_max_prefixes: null,
      max_prefixes: null,
      local_ip: null,
      password: null,
      encrypted_password: null,
      relationship: null,
      service_reference: null,
      bfd_profile: null,
      peer_group: null,
      vrf: null,
      peering_network: null,
      address_families: [],
      afi_safis: [],
      is_route_server: false,
      import_routing_policies: [],
      export_routing_policies: [],
      communities: [],
      notes: null,
      config_context: {},
    };
    for (const [k, v] of Object.entries(dflt)) if (s[k] === undefined) s[k] = v;
    return s;
  });
  return ctx;
}
