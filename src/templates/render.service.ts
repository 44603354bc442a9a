// render-config: builds the template context from the database with a fixed number of queries
// (whatever the number of sessions), renders a stored or shipped template, and caches the result
// per (template version, data generation).
import type { Selectable } from 'kysely';
import type { Executor, Db } from '../platform/db.ts';
import { generationOf, storedEnum } from '../platform/db.ts';
import type { PeerAsnsTable } from '../platform/db.types.ts';
import { COMMUNITY_KINDS, POLICY_DIRECTIONS } from '../routers/catalogue.resource.ts';
import { PREFIX_LIST_ACTIONS, PREFIX_LIST_SOURCES } from '../bgp/prefix-lists.resource.ts';
import { bool, json, type Row } from '../platform/crud.ts';
import { NotFoundError, ValidationError } from '../platform/errors.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { TemplateError, TemplateSyntaxError } from './engine/index.ts';
import { readShippedTemplate } from './environment.ts';
import { renderIsolated } from './render-pool.ts';
import { engineOptions, SHIPPED_TEMPLATE_OPTIONS, type TemplateOptions } from './templates.resource.ts';
import { renderWarnings } from './warnings.ts';
import { effectiveMaxPrefixes } from '../sessions/session-rules.ts';
import type {
  AddressFamilyCtx,
  AutonomousSystemCtx,
  ConfigContext,
  FabricCtx,
  PeerGroupCtx,
  PrefixListCtx,
  RenderContext,
  RouterCtx,
  RoutingPolicyCtx,
  RoutingPolicyRef,
  SessionCtx,
} from './context.ts';

/** Ids per `in (...)` list: SQLite allows 32,766 bound variables, PostgreSQL 65,535 per statement. */
export const ID_CHUNK = 500;

/** Runs a query once per chunk of ids (once when they fit in one) and joins the rows, re-sorted when chunked. */
async function inChunks<R>(
  ids: readonly number[],
  run: (chunk: number[]) => Promise<R[]>,
  sort?: (a: R, b: R) => number,
): Promise<R[]> {
  if (ids.length <= ID_CHUNK) return run([...ids]);
  const out: R[] = [];
  for (let i = 0; i < ids.length; i += ID_CHUNK) out.push(...(await run(ids.slice(i, i + ID_CHUNK))));
  return sort ? out.sort(sort) : out;
}
const cmp = (a: unknown, b: unknown) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);

export interface ContextTarget {
  routerId?: number;
  sessionIds?: number[];
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const AFIS = ['ipv4', 'ipv6', 'l2vpn'] as const satisfies readonly AddressFamilyCtx['afi'][];
const SAFIS = [
  'unicast',
  'multicast',
  'vpn',
  'flowspec',
  'evpn',
] as const satisfies readonly AddressFamilyCtx['safi'][];
/** `ipv4-unicast` → afi `ipv4`, safi `unicast` (the stored names are the bgp-peers input enum). */
const afiParts = (afiSafi: string) => {
  const [afi, safi] = afiSafi.split('-');
  return {
    afi: storedEnum(AFIS, afi ?? '', 'address family'),
    safi: storedEnum(SAFIS, safi ?? 'unicast', 'subsequent address family'),
  };
};

/** A peer AS as the context shows it: a stored row, or our own AS when it has none. */
type AsRow = Pick<Selectable<PeerAsnsTable>, 'id' | 'asn' | 'name' | 'affiliated'> &
  Partial<Pick<Selectable<PeerAsnsTable>, 'irr_as_set' | 'ipv4_max_prefixes' | 'ipv6_max_prefixes' | 'peeringdb_id'>>;

/** Loads everything a template needs for a router (or a list of sessions) in constant queries. */
export async function buildRenderContext(
  db: Executor,
  target: ContextTarget,
  opts: { includeSecrets: boolean; secrets?: SecretBox },
): Promise<RenderContext> {
  let routerId = target.routerId;
  // Duplicates are harmless; thousands of ids are read in chunks (never one huge `in (...)`).
  const sessionIds = target.sessionIds?.length ? [...new Set(target.sessionIds)] : undefined;
  if (sessionIds) {
    const rows = await inChunks(sessionIds, (chunk) =>
      db
        .selectFrom('peering_sessions as s')
        .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
        .select(['s.id', 'b.router_id'])
        .where('s.id', 'in', chunk)
        .execute(),
    );
    const found = new Set(rows.map((r) => Number(r.id)));
    const missing = sessionIds.filter((id) => !found.has(id));
    if (missing.length)
      throw new ValidationError(
        'sessions',
        `no peering session with id ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ` and ${missing.length - 20} more` : ''}`,
      );
    const routers = new Set(rows.map((r) => Number(r.router_id)));
    if (routers.size > 1)
      throw new ValidationError('sessions', 'the sessions are on different routers; render one router at a time');
    routerId = [...routers][0];
  }
  if (!routerId) throw new ValidationError('router', 'give a router or a list of sessions');
  const r = await db
    .selectFrom('routers as r')
    .leftJoin('platforms as p', 'p.id', 'r.platform_id')
    .selectAll('r')
    .select(['p.name as platform_name', 'p.driver'])
    .where('r.id', '=', routerId)
    .executeTakeFirst();
  if (!r) throw new NotFoundError('router', routerId);
  const decrypt = (v: string | null) => (opts.includeSecrets && opts.secrets && v ? opts.secrets.decrypt(v) : null);

  // 1 query: every BGP peer of the router (or the chosen sessions) with its session, AS and LAN.
  let pq = db
    .selectFrom('bgp_peers as b')
    .leftJoin('peering_sessions as s', 's.bgp_peer_id', 'b.id')
    .leftJoin('peer_asns as a', 'a.id', 's.peer_asn_id')
    .leftJoin('peer_asns as ra', 'ra.asn', 'b.remote_asn')
    .leftJoin('relationships as rel', 'rel.id', 's.relationship_id')
    .leftJoin('peering_networks as n', 'n.id', 's.network_id')
    .leftJoin('fabrics as f', 'f.id', 'n.fabric_id')
    .leftJoin('peer_groups as g', 'g.id', 'b.peer_group_id')
    .leftJoin('bfd_profiles as bp', 'bp.id', 'b.bfd_profile_id')
    .selectAll('b')
    .select([
      's.id as session_id',
      's.service_reference',
      's.notes',
      'a.id as asn_id',
      'ra.id as ra_id',
      'ra.name as ra_name',
      'ra.irr_as_set as ra_irr',
      'ra.ipv4_max_prefixes as ra_max4',
      'ra.ipv6_max_prefixes as ra_max6',
      'a.name as asn_name',
      'a.irr_as_set',
      'a.ipv4_max_prefixes',
      'a.ipv6_max_prefixes',
      'rel.slug as rel_slug',
      'rel.name as rel_name',
      'rel.color as rel_color',
      'n.id as network_id',
      'n.name as network_name',
      'n.prefix as network_prefix',
      'n.route_server_asn',
      'f.id as fabric_id',
      'f.name as fabric_name',
      'f.slug as fabric_slug',
      'f.type as fabric_type',
      'g.name as group_name',
      'bp.name as bfd_name',
    ])
    .where('b.router_id', '=', routerId);
  // Up to ID_CHUNK chosen sessions are selected in SQL; more are picked from the router's peers here.
  if (sessionIds && sessionIds.length <= ID_CHUNK) pq = pq.where('s.id', 'in', sessionIds);
  const wanted = sessionIds && sessionIds.length > ID_CHUNK ? new Set(sessionIds) : null;
  const peers = (await pq.orderBy('b.peer_ip_key').execute()).filter(
    (p) => !wanted || (p.session_id !== null && wanted.has(Number(p.session_id))),
  );
  const peerIds = peers.map((p) => Number(p.id));

  // 1 query each: address families, peer groups, policies, communities, BFD profiles, connections.
  // Address families by subquery, not a list of thousands of ids.
  const allAfs = peerIds.length
    ? await db
        .selectFrom('bgp_peer_address_families as af')
        .selectAll('af')
        .where('af.bgp_peer_id', 'in', (eb) => {
          let sq = eb.selectFrom('bgp_peers as b').select('b.id').where('b.router_id', '=', routerId!);
          if (sessionIds && peerIds.length <= ID_CHUNK) sq = sq.where('b.id', 'in', peerIds);
          return sq;
        })
        .orderBy('af.id')
        .execute()
    : [];
  const peerIdSet = new Set(peerIds);
  const afs = allAfs.filter((a) => peerIdSet.has(Number(a.bgp_peer_id)));
  const groups = await db
    .selectFrom('peer_groups as g')
    .leftJoin('bfd_profiles as bp', 'bp.id', 'g.bfd_profile_id')
    .selectAll('g')
    .select('bp.name as bfd_name')
    .where('g.router_id', '=', routerId)
    .orderBy('g.name')
    .execute();
  const policies = await db.selectFrom('routing_policies').selectAll().orderBy('weight').orderBy('name').execute();
  const communities = await db.selectFrom('communities').selectAll().orderBy('name').execute();
  const bfd = await db.selectFrom('bfd_profiles').selectAll().orderBy('name').execute();
  const conns = await db
    .selectFrom('peering_connections as c')
    .innerJoin('peering_networks as n', 'n.id', 'c.network_id')
    .select(['c.ipv4_address', 'c.ipv6_address', 'n.fabric_id'])
    .where('c.router_id', '=', routerId)
    .execute();

  // Prefix lists: those the address families use, plus the IRR lists of the peers' ASes (2 queries).
  const asnIds = [...new Set(peers.map((p) => num(p.asn_id ?? p.ra_id)).filter((x): x is number => x !== null))];
  const usedListIds = [
    ...new Set(
      afs.flatMap((a) => [num(a.prefix_list_in_id), num(a.prefix_list_out_id)]).filter((x): x is number => x !== null),
    ),
  ];
  // ...and our own AS's IRR lists (the default export filter), by subquery.
  const listQuery = (listIds: number[], ofAsns: number[], withLocal: boolean) =>
    db
      .selectFrom('prefix_lists as l')
      .leftJoin('peer_asns as a', 'a.id', 'l.peer_asn_id')
      .selectAll('l')
      .select(['a.asn', 'a.irr_as_set'])
      .where((eb) =>
        eb.or([
          eb('l.id', 'in', listIds.length ? listIds : [-1]),
          eb('l.peer_asn_id', 'in', ofAsns.length ? ofAsns : [-1]),
          ...(withLocal
            ? [eb('l.peer_asn_id', 'in', (q) => q.selectFrom('peer_asns').select('id').where('asn', '=', r.local_asn))]
            : []),
        ]),
      )
      .orderBy('l.name')
      .execute();
  const byName = (a: Row, b: Row) => cmp(a.name, b.name);
  let lists: Awaited<ReturnType<typeof listQuery>>;
  if (usedListIds.length <= ID_CHUNK && asnIds.length <= ID_CHUNK) lists = await listQuery(usedListIds, asnIds, true);
  else {
    const seen = new Set<number>();
    lists = [
      ...(await listQuery([], [], true)),
      ...(await inChunks(usedListIds, (c) => listQuery(c, [], false))),
      ...(await inChunks(asnIds, (c) => listQuery([], c, false))),
    ]
      .filter((l) => (seen.has(Number(l.id)) ? false : (seen.add(Number(l.id)), true)))
      .sort(byName);
  }
  const asPathLists = await inChunks(
    asnIds,
    (c) =>
      c.length
        ? db
            .selectFrom('as_path_lists as l')
            .innerJoin('peer_asns as a', 'a.id', 'l.peer_asn_id')
            .select(['l.name', 'l.query', 'l.asns', 'a.asn', 'a.irr_as_set'])
            .where('l.peer_asn_id', 'in', c)
            .orderBy('l.name')
            .execute()
        : Promise.resolve([]),
    byName,
  );
  const entries = await inChunks(
    lists.map((l) => Number(l.id)),
    (c) =>
      c.length
        ? db
            .selectFrom('prefix_list_entries')
            .selectAll()
            .where('prefix_list_id', 'in', c)
            .orderBy('prefix_list_id')
            .orderBy('seq')
            .execute()
        : Promise.resolve([]),
    (a, b) => Number(a.prefix_list_id) - Number(b.prefix_list_id) || Number(a.seq) - Number(b.seq),
  );
  // Fabrics of the router's sessions and connections, with their networks (2 queries).
  const fabricIds = [
    ...new Set(
      [...peers.map((p) => num(p.fabric_id)), ...conns.map((c) => num(c.fabric_id))].filter(
        (x): x is number => x !== null,
      ),
    ),
  ];
  const fabrics = await inChunks(
    fabricIds,
    (c) =>
      c.length
        ? db.selectFrom('fabrics').selectAll().where('id', 'in', c).orderBy('name').execute()
        : Promise.resolve([]),
    byName,
  );
  const networks = await inChunks(
    fabricIds,
    (c) =>
      c.length
        ? db.selectFrom('peering_networks').selectAll().where('fabric_id', 'in', c).orderBy('name').execute()
        : Promise.resolve([]),
    byName,
  );
  const asnQuery = (c: number[]) =>
    db
      .selectFrom('peer_asns')
      .selectAll()
      .where((eb) => eb.or([eb('id', 'in', c.length ? c : [-1]), eb('asn', '=', r.local_asn)]))
      .orderBy('asn')
      .execute();
  const asnsRaw = await inChunks(asnIds, asnQuery, (a, b) => Number(a.asn) - Number(b.asn));
  const asns = asnsRaw.filter((a, i) => i === 0 || Number(asnsRaw[i - 1].id) !== Number(a.id));

  const policyById = new Map(policies.map((p) => [Number(p.id), p]));
  const polRef = (id: unknown): RoutingPolicyRef[] => {
    const p = id ? policyById.get(Number(id)) : undefined;
    return p ? [{ name: p.name, slug: p.slug, weight: Number(p.weight) }] : [];
  };
  const listName = new Map(lists.map((l) => [Number(l.id), l.name]));
  const afsByPeer = new Map<number, typeof afs>();
  for (const a of afs) {
    const list = afsByPeer.get(Number(a.bgp_peer_id));
    if (list) list.push(a);
    else afsByPeer.set(Number(a.bgp_peer_id), [a]);
  }
  const groupById = new Map(groups.map((g) => [Number(g.id), g]));

  const asCtx = (a: AsRow): AutonomousSystemCtx => ({
    id: Number(a.id),
    asn: Number(a.asn),
    name: a.name,
    affiliated: bool(a.affiliated),
    irr_as_set: a.irr_as_set ?? null,
    ipv4_max_prefixes: num(a.ipv4_max_prefixes),
    ipv6_max_prefixes: num(a.ipv6_max_prefixes),
    peeringdb_id: num(a.peeringdb_id),
    import_routing_policies: [],
    export_routing_policies: [],
    communities: [],
    contacts: [],
    config_context: {},
  });

  const sessions: SessionCtx[] = peers.map((p) => {
    const fam = Number(p.family) as 4 | 6;
    const g = p.peer_group_id ? groupById.get(Number(p.peer_group_id)) : undefined;
    const peerAfs = afsByPeer.get(Number(p.id)) ?? [];
    // The peer ASN is the session's, else the one matching the remote AS (an unwrapped BGP peer).
    const peerAsnMax = {
      ipv4_max_prefixes: p.ipv4_max_prefixes ?? p.ra_max4,
      ipv6_max_prefixes: p.ipv6_max_prefixes ?? p.ra_max6,
    };
    const inherited = (f: number) => effectiveMaxPrefixes(f, null, peerAsnMax, g);
    const address_families: AddressFamilyCtx[] = peerAfs.map((a) => {
      const { afi, safi } = afiParts(a.afi_safi);
      // Per-family limits (peer ASN, peer group) are for IPv4 and IPv6; an EVPN family has only its own.
      const f = afi === 'ipv4' ? 4 : afi === 'ipv6' ? 6 : 0;
      return {
        afi,
        safi,
        afi_safi: a.afi_safi,
        route_map_in: a.import_policy_id ? (policyById.get(Number(a.import_policy_id))?.name ?? null) : null,
        route_map_out: a.export_policy_id ? (policyById.get(Number(a.export_policy_id))?.name ?? null) : null,
        prefix_list_in: a.prefix_list_in_id ? (listName.get(Number(a.prefix_list_in_id)) ?? null) : null,
        prefix_list_out: a.prefix_list_out_id ? (listName.get(Number(a.prefix_list_out_id)) ?? null) : null,
        max_prefixes: effectiveMaxPrefixes(f, a.max_prefixes, peerAsnMax, g),
      };
    });
    const peerAsn = Number(p.remote_asn);
    const ownMax =
      address_families.find((a) => a.afi === `ipv${fam}` && a.safi === 'unicast')?.max_prefixes ?? inherited(fam);
    return {
      id: p.session_id ? Number(p.session_id) : Number(p.id),
      bgp_peer_id: Number(p.id),
      peer_ip: p.peer_ip,
      family: fam,
      remote_asn: peerAsn,
      network: p.network_id
        ? { id: Number(p.network_id), name: p.network_name ?? '', prefix: p.network_prefix ?? '' }
        : null,
      fabric: p.fabric_id ? { id: Number(p.fabric_id), name: p.fabric_name ?? '', slug: p.fabric_slug ?? '' } : null,
      notes: p.notes ?? null,
      max_prefixes: ownMax ?? null,
      name: p.name ?? `AS${peerAsn}`,
      description: p.description ?? p.notes ?? '',
      status: p.status,
      enabled: bool(p.enabled),
      ttl: num(p.multihop),
      multihop: num(p.multihop) !== null && Number(p.multihop) > 1 ? Number(p.multihop) : null,
      local_asn: Number(p.local_asn),
      peer_asn: peerAsn,
      peer_name: p.asn_name ?? p.ra_name ?? p.name ?? `AS${peerAsn}`,
      irr_as_set: p.irr_as_set ?? p.ra_irr ?? null,
      ipv4_max_prefixes: inherited(4),
      ipv6_max_prefixes: inherited(6),
      local_ip: p.source_ip ?? null,
      remote_ip: p.peer_ip,
      ip_version: fam,
      password: decrypt(p.password_enc),
      encrypted_password: null,
      relationship: p.rel_slug ? { slug: p.rel_slug, name: p.rel_name ?? '', color: p.rel_color ?? '' } : null,
      service_reference: p.service_reference ?? null,
      bfd_profile: p.bfd_name ?? null,
      peer_group: p.group_name ?? null,
      vrf: p.vrf ? p.vrf : null,
      peering_network: p.network_id
        ? {
            id: Number(p.network_id),
            name: p.network_name ?? '',
            prefix: p.network_prefix ?? '',
            fabric: {
              id: Number(p.fabric_id),
              name: p.fabric_name ?? '',
              slug: p.fabric_slug ?? '',
              type: p.fabric_type ?? '',
            },
          }
        : null,
      address_families,
      afi_safis: address_families.map((a) => a.afi_safi),
      is_route_server:
        p.route_server_asn !== null && p.route_server_asn !== undefined && Number(p.route_server_asn) === peerAsn,
      import_routing_policies: peerAfs.flatMap((a) => polRef(a.import_policy_id)),
      export_routing_policies: peerAfs.flatMap((a) => polRef(a.export_policy_id)),
      communities: [],
      state: p.state ?? null,
      received_prefixes: num(p.prefixes_received),
      accepted_prefixes: num(p.prefixes_accepted),
      advertised_prefixes: num(p.prefixes_advertised),
      config_context: {},
    };
  });

  const sessionsByGroup = new Map<number, number[]>();
  for (const p of peers) {
    if (!p.peer_group_id) continue;
    const list = sessionsByGroup.get(Number(p.peer_group_id)) ?? [];
    list.push(p.session_id ? Number(p.session_id) : Number(p.id));
    sessionsByGroup.set(Number(p.peer_group_id), list);
  }
  const peer_groups: PeerGroupCtx[] = groups.map((g) => ({
    id: Number(g.id),
    name: g.name,
    description: g.description ?? '',
    remote_asn: num(g.remote_asn),
    ttl: num(g.multihop),
    multihop: num(g.multihop),
    bfd_profile: g.bfd_name ?? null,
    password: decrypt(g.password_enc),
    address_families: (
      [
        ['ipv4-unicast', g.ipv4_max_prefixes],
        ['ipv6-unicast', g.ipv6_max_prefixes],
      ] as const
    ).map(([afi_safi, max]) => ({
      ...afiParts(afi_safi),
      afi_safi,
      route_map_in: policyById.get(Number(g.import_policy_id))?.name ?? null,
      route_map_out: policyById.get(Number(g.export_policy_id))?.name ?? null,
      prefix_list_in: null,
      prefix_list_out: null,
      max_prefixes: num(max),
    })),
    import_routing_policies: polRef(g.import_policy_id),
    export_routing_policies: polRef(g.export_policy_id),
    session_ids: sessionsByGroup.get(Number(g.id)) ?? [],
    config_context: {},
  }));

  const entriesBy = new Map<number, typeof entries>();
  for (const e of entries) {
    const list = entriesBy.get(Number(e.prefix_list_id));
    if (list) list.push(e);
    else entriesBy.set(Number(e.prefix_list_id), [e]);
  }
  const prefix_lists: PrefixListCtx[] = lists.map((l) => ({
    id: Number(l.id),
    name: l.name,
    family: Number(l.family) as 4 | 6,
    source: storedEnum(PREFIX_LIST_SOURCES, l.source, 'prefix list source'),
    asn: num(l.asn),
    as_set: l.irr_query ?? l.irr_as_set ?? null,
    entries: (entriesBy.get(Number(l.id)) ?? []).map((e) => ({
      seq: Number(e.seq),
      action: storedEnum(PREFIX_LIST_ACTIONS, e.action, 'prefix list action'),
      prefix: e.prefix,
      ge: num(e.ge),
      le: num(e.le),
    })),
  }));

  const routing: RoutingPolicyCtx[] = policies.map((p) => ({
    id: Number(p.id),
    name: p.name,
    slug: p.slug,
    weight: Number(p.weight),
    type: storedEnum(POLICY_DIRECTIONS, p.direction, 'policy direction'),
    address_family: Number(p.address_family) as 0 | 4 | 6,
    description: p.description ?? '',
    config_context: json<ConfigContext>(p.config, {}),
  }));
  const fabricCtx: FabricCtx[] = fabrics.map((f) => {
    const mine = conns.filter((c) => Number(c.fabric_id) === Number(f.id));
    return {
      id: Number(f.id),
      name: f.name,
      slug: f.slug,
      type: f.type,
      status: f.status,
      peeringdb_ix_id: num(f.peeringdb_ix_id),
      networks: networks
        .filter((n) => Number(n.fabric_id) === Number(f.id))
        .map((n) => ({
          id: Number(n.id),
          name: n.name,
          prefix: n.prefix,
          vlan: num(n.vlan),
          rs_asn: num(n.route_server_asn),
        })),
      local_ips: mine.flatMap((c) => [c.ipv4_address, c.ipv6_address].filter(Boolean) as string[]),
      import_routing_policies: [],
      export_routing_policies: [],
      communities: [],
      config_context: {},
    };
  });
  const routerCtx: RouterCtx = {
    id: Number(r.id),
    name: r.name,
    hostname: r.hostname ?? r.name,
    platform: r.platform_name ?? '',
    driver: r.driver ?? '',
    local_asn: Number(r.local_asn),
    router_id: r.router_id ?? null,
    status: r.status,
    management_address: r.hostname ?? null,
    site: null,
    config_context: {},
  };
  const localRow = asns.find((a) => Number(a.asn) === Number(r.local_asn));
  const localAs = localRow
    ? asCtx(localRow)
    : { ...asCtx({ id: 0, asn: r.local_asn, name: `AS${r.local_asn}`, affiliated: true }), affiliated: true };
  const asnIdSet = new Set(asnIds);
  const autonomous = asns.filter((a) => asnIdSet.has(Number(a.id))).map(asCtx);
  return {
    router: routerCtx,
    device: routerCtx,
    local_as: localAs,
    my_as: localAs,
    sessions,
    peer_groups,
    bgp_groups: peer_groups,
    route_maps: routing,
    routing_policies: routing,
    prefix_lists,
    as_lists: asPathLists.map((l) => ({
      name: l.name,
      asn: num(l.asn),
      as_set: l.query ?? l.irr_as_set ?? null,
      asns: json<number[]>(l.asns, []),
    })),
    communities: communities.map((c) => ({
      id: Number(c.id),
      name: c.name,
      slug: c.slug,
      kind: storedEnum(COMMUNITY_KINDS, c.kind, 'community kind'),
      value: c.value,
      type: c.role === 'ingress' || c.role === 'egress' ? c.role : null,
      description: c.description ?? '',
    })),
    autonomous_systems: autonomous,
    internet_exchange_points: fabricCtx,
    fabrics: fabricCtx,
    bfd_profiles: bfd.map((b) => ({
      name: b.name,
      min_rx_ms: Number(b.min_rx_ms),
      min_tx_ms: Number(b.min_tx_ms),
      multiplier: Number(b.multiplier),
    })),
    generated_at: new Date().toISOString(),
  };
}

export interface TemplateSource {
  id: number | null;
  name: string;
  body: string;
  options: TemplateOptions;
  version: number;
}

/** Finds a template by id or name among stored templates, then shipped ones (`junos.j2`, …). */
export async function loadTemplate(db: Executor, ref: number | string, field = 'template'): Promise<TemplateSource> {
  const row = await (
    typeof ref === 'number'
      ? db.selectFrom('config_templates').selectAll().where('id', '=', ref)
      : db.selectFrom('config_templates').selectAll().where('name', '=', ref)
  ).executeTakeFirst();
  if (row)
    return {
      id: Number(row.id),
      name: row.name,
      body: row.body,
      options: json<TemplateOptions>(row.options, {}),
      version: Number(row.version),
    };
  if (typeof ref === 'string') {
    const body = readShippedTemplate(ref) ?? readShippedTemplate(`${ref}.j2`);
    // Shipped templates control whitespace with '-' markers under Jinja2's default options, and are strict.
    if (body !== undefined) return { id: null, name: ref, body, options: SHIPPED_TEMPLATE_OPTIONS, version: 0 };
  }
  throw new ValidationError(field, `no template ${JSON.stringify(ref)} (stored or shipped)`);
}

/** Renders a template over a context; errors become a 400 naming the line, never text in the config. */
export async function renderTemplate(db: Executor, tpl: TemplateSource, context: RenderContext): Promise<string> {
  const stored = await db.selectFrom('config_templates').select(['name', 'body']).execute();
  const byName = new Map(stored.map((s) => [s.name, s.body]));
  try {
    // In the worker pool: a hostile template can neither stall the event loop nor exhaust the API's heap.
    return await renderIsolated({
      body: tpl.body,
      name: tpl.name,
      options: engineOptions(tpl.options),
      templates: Object.fromEntries(byName),
      context,
    });
  } catch (err) {
    if (err instanceof TemplateSyntaxError)
      throw new ValidationError('template', `syntax error at line ${err.line}, column ${err.column}: ${err.message}`);
    if (err instanceof TemplateError)
      throw new ValidationError('template', `render error${err.line ? ` at line ${err.line}` : ''}: ${err.message}`);
    throw err;
  }
}

// Per database handle: the same ids and generations can exist in two databases of one process.
const renderCaches = new WeakMap<object, Map<string, { content: string; sessionCount: number; warnings: string[] }>>();

/** The render-config operation: context + template, cached per template version and data generation. */
export async function renderConfig(
  db: Db,
  input: {
    template: number | string;
    routerId?: number;
    sessionIds?: number[];
    includeSecrets: boolean;
    secrets: SecretBox;
    withContext?: boolean;
  },
) {
  const tpl = await loadTemplate(db, input.template);
  const gen = generationOf(db);
  let renderCache = renderCaches.get(db);
  if (!renderCache) renderCaches.set(db, (renderCache = new Map()));
  const key = gen?.reliable
    ? JSON.stringify([
        tpl.id,
        tpl.name,
        tpl.version,
        input.routerId,
        input.sessionIds,
        input.includeSecrets,
        gen.current(),
      ])
    : null;
  const cached = key && !input.withContext ? renderCache.get(key) : undefined;
  if (cached) return { ...cached, router: null as RouterCtx | null, context: undefined, cached: true, template: tpl };
  const context = await buildRenderContext(
    db,
    { routerId: input.routerId, sessionIds: input.sessionIds },
    { includeSecrets: input.includeSecrets, secrets: input.secrets },
  );
  const content = await renderTemplate(db, tpl, context);
  const warnings = renderWarnings(context);
  if (key) {
    if (renderCache.size > 200) renderCache.delete(renderCache.keys().next().value!);
    renderCache.set(key, { content, sessionCount: context.sessions.length, warnings });
  }
  return {
    content,
    sessionCount: context.sessions.length,
    warnings,
    router: context.router,
    context: input.withContext ? context : undefined,
    cached: false,
    template: tpl,
  };
}

/** CLI helper: `peerdesk render --router NAME [--template NAME]` (template defaults to the router's). */
export async function renderForRouterByName(input: {
  router: string;
  template?: string;
  includeSecrets?: boolean;
}): Promise<{ content: string }> {
  const { cliContext } = await import('../cli/util.ts');
  const ctx = await cliContext();
  try {
    const r = await ctx.db
      .selectFrom('routers as r')
      .leftJoin('platforms as p', 'p.id', 'r.platform_id')
      .select(['r.id', 'r.config_template_id', 'p.driver'])
      .where('r.name', '=', input.router)
      .executeTakeFirst();
    if (!r) throw new Error(`no router named ${input.router}`);
    const template =
      input.template ?? (r.config_template_id ? Number(r.config_template_id) : r.driver ? `${r.driver}.j2` : undefined);
    if (template === undefined)
      throw new Error('the router has no default template and no platform driver; pass --template');
    const out = await renderConfig(ctx.db, {
      template,
      routerId: Number(r.id),
      includeSecrets: input.includeSecrets ?? true,
      secrets: ctx.secrets,
    });
    return { content: out.content };
  } finally {
    await ctx.db.destroy();
  }
}
