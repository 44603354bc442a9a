// BGP peers: one neighbour on one router (and VRF), with address families and live state.
import { BGP_STATE_NAMES } from '../drivers/driver.types.ts';
import { z } from 'zod';
import type { Updateable } from 'kysely';
import { asn, baseOutput, ipAddress, maxPrefixes, optText, statusField } from '../platform/fields.ts';
import {
  assertExists,
  bool,
  boolFilter,
  containsFilter,
  idFilter,
  nullableIdFilter,
  resourceQuery,
  textFilter,
  type Resource,
  type Row,
  type RowOf,
  type WriteContext,
} from '../platform/crud.ts';
import { parseIp, parsePrefix, prefixContains, type ParsedIp, type ParsedPrefix } from '../platform/ip.ts';
import { ConflictError, ValidationError } from '../platform/errors.ts';
import type { Executor } from '../platform/db.ts';
import type { BgpPeersTable } from '../platform/db.types.ts';

export const AFI_SAFIS = [
  'ipv4-unicast',
  'ipv6-unicast',
  'ipv4-multicast',
  'ipv6-multicast',
  'ipv4-flowspec',
  'ipv6-flowspec',
  'l2vpn-evpn',
  'ipv4-vpn',
  'ipv6-vpn',
] as const;
export const BGP_STATES = [
  'idle',
  'connect',
  'active',
  'opensent',
  'openconfirm',
  'established',
  'admin-down',
  'unknown',
] as const;

const afInput = z
  .object({
    afi_safi: z.enum(AFI_SAFIS),
    enabled: z.boolean().optional(),
    import_policy: z.number().int().min(1).nullable().optional(),
    export_policy: z.number().int().min(1).nullable().optional(),
    prefix_list_in: z.number().int().min(1).nullable().optional(),
    prefix_list_out: z.number().int().min(1).nullable().optional(),
    max_prefixes: maxPrefixes.nullable().optional(),
  })
  .strict();
/** One address family as a write gives it. */
type AddressFamilyInput = z.infer<typeof afInput>;

export const bgpPeerInput = z
  .object({
    router: z.number().int().min(1),
    vrf: z.string().trim().min(1).max(64).nullable().optional(),
    name: z.string().trim().max(200).nullable().optional(),
    peer_ip: ipAddress,
    source_ip: ipAddress.nullable().optional(),
    local_asn: asn.optional().describe("defaults to the router's local ASN"),
    remote_asn: asn,
    peer_group: z.number().int().min(1).nullable().optional(),
    enabled: z.boolean().optional(),
    status: statusField.optional(),
    bfd_profile: z.number().int().min(1).nullable().optional(),
    multihop: z.number().int().min(1).max(255).nullable().optional(),
    ttl_security: z.boolean().optional(),
    password: z.string().min(1).max(80).nullable().optional().describe('MD5 password; write-only, stored encrypted'),
    description: optText,
    address_families: z
      .array(afInput)
      .max(9)
      .optional()
      .describe('replaces the whole set when given; default: the unicast family of peer_ip'),
  })
  .strict();
/** A BGP peer write's validated input (PATCH gives a subset). */
export type BgpPeerInput = z.infer<typeof bgpPeerInput>;

const ref = z.object({ id: z.number().int(), name: z.string() }).nullable();
const afOutput = z.object({
  afi_safi: z.string(),
  enabled: z.boolean(),
  import_policy: ref,
  export_policy: ref,
  prefix_list_in: ref,
  prefix_list_out: ref,
  max_prefixes: z.number().int().nullable(),
});
/** One address family as the API shows it. */
export type AddressFamilyOut = z.infer<typeof afOutput>;

export const bgpPeerOutput = z
  .object({
    router: z.object({ id: z.number().int(), name: z.string() }),
    vrf: z.string().nullable(),
    name: z.string().nullable(),
    peer_ip: z.string(),
    source_ip: z.string().nullable(),
    family: z.number().int(),
    local_asn: z.number().int(),
    remote_asn: z.number().int(),
    peer_group: ref,
    enabled: z.boolean(),
    status: statusField,
    bfd_profile: ref,
    multihop: z.number().int().nullable(),
    ttl_security: z.boolean(),
    password_set: z.boolean(),
    password: z.string().optional(),
    description: z.string().nullable(),
    address_families: z.array(afOutput),
    state: z
      .enum(BGP_STATE_NAMES)
      .describe('BGP state as last polled; admin-down when the session is disabled in Peerdesk or on the router'),
    state_since: z.string().nullable(),
    prefixes_received: z.number().int().nullable(),
    prefixes_accepted: z.number().int().nullable(),
    prefixes_advertised: z.number().int().nullable(),
    last_error: z.string().nullable(),
    polled_at: z.string().nullable(),
    peering_session: z.number().int().nullable(),
    ...baseOutput,
  })
  .meta({ id: 'BgpPeer' });

/** Loads address families of many peers in one query (no N+1), keyed by peer id. */
export async function loadAddressFamilies(db: Executor, peerIds: number[]): Promise<Map<number, AddressFamilyOut[]>> {
  const out = new Map<number, AddressFamilyOut[]>();
  if (!peerIds.length) return out;
  const rows = await db
    .selectFrom('bgp_peer_address_families as a')
    .leftJoin('routing_policies as ip', 'ip.id', 'a.import_policy_id')
    .leftJoin('routing_policies as ep', 'ep.id', 'a.export_policy_id')
    .leftJoin('prefix_lists as pi', 'pi.id', 'a.prefix_list_in_id')
    .leftJoin('prefix_lists as po', 'po.id', 'a.prefix_list_out_id')
    .selectAll('a')
    .select(['ip.name as import_name', 'ep.name as export_name', 'pi.name as pl_in_name', 'po.name as pl_out_name'])
    .where('a.bgp_peer_id', 'in', peerIds)
    .orderBy('a.id')
    .execute();
  const nref = (id: number | null, name: string | null) => (id ? { id: Number(id), name: String(name) } : null);
  for (const r of rows) {
    const list = out.get(Number(r.bgp_peer_id)) ?? [];
    list.push({
      afi_safi: r.afi_safi,
      enabled: bool(r.enabled),
      import_policy: nref(r.import_policy_id, r.import_name),
      export_policy: nref(r.export_policy_id, r.export_name),
      prefix_list_in: nref(r.prefix_list_in_id, r.pl_in_name),
      prefix_list_out: nref(r.prefix_list_out_id, r.pl_out_name),
      max_prefixes: r.max_prefixes ?? null,
    });
    out.set(Number(r.bgp_peer_id), list);
  }
  return out;
}

/** Shapes a joined BGP peer row for the API (address families attached by the caller). */
export function presentBgpPeer(
  r: BgpPeerRow,
  afs: AddressFamilyOut[] | undefined,
  includeSecrets: boolean,
  decrypt: (s: string) => string,
): Row {
  const nref = (id: number | null, name: string | null) => (id ? { id: Number(id), name: String(name) } : null);
  const out: Row = {
    id: Number(r.id),
    router: { id: Number(r.router_id), name: r.router_name },
    vrf: r.vrf ? r.vrf : null,
    name: r.name ?? null,
    peer_ip: r.peer_ip,
    source_ip: r.source_ip ?? null,
    family: Number(r.family),
    local_asn: Number(r.local_asn),
    remote_asn: Number(r.remote_asn),
    peer_group: nref(r.peer_group_id, r.peer_group_name),
    enabled: bool(r.enabled),
    status: r.status,
    bfd_profile: nref(r.bfd_profile_id, r.bfd_name),
    multihop: r.multihop ?? null,
    ttl_security: bool(r.ttl_security),
    password_set: !!r.password_enc,
    description: r.description ?? null,
    address_families: afs ?? [],
    state: r.state,
    state_since: r.state_since ?? null,
    prefixes_received: r.prefixes_received ?? null,
    prefixes_accepted: r.prefixes_accepted ?? null,
    prefixes_advertised: r.prefixes_advertised ?? null,
    last_error: r.last_error ?? null,
    polled_at: r.polled_at ?? null,
    peering_session: r.session_id ? Number(r.session_id) : null,
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  };
  if (includeSecrets && r.password_enc) out.password = decrypt(r.password_enc);
  return out;
}

/** The peer columns checkBgpPeer reads: the stored row with a write's values over it. */
export interface PeerToCheck {
  router_id: number;
  vrf?: string;
  peer_ip: string;
  source_ip?: string | null;
  remote_asn: number;
  peer_group_id?: number | null;
}

/** Parses an IP address read from a column or validated input, naming the field if it is not one. */
function ipOf(field: string, v: string): ParsedIp {
  const ip = parseIp(v);
  if (!ip) throw new ValidationError(field, `"${v}" is not a valid IPv4 or IPv6 address`);
  return ip;
}

/** Validates the peer-side invariants shared by the BGP peer API and the session wizard. */
export async function checkBgpPeer(db: Executor, merged: PeerToCheck, existingId: number | null): Promise<void> {
  const peer = ipOf('peer_ip', merged.peer_ip);
  if (merged.source_ip) {
    const src = ipOf('source_ip', merged.source_ip);
    if (src.family !== peer.family)
      throw new ValidationError('source_ip', `source ${src.text} and peer ${peer.text} must be of the same IP family`);
    if (src.text === peer.text) throw new ValidationError('source_ip', 'local and peer IP must differ');
  }
  const dup = await db
    .selectFrom('bgp_peers')
    .select('id')
    .where('router_id', '=', merged.router_id)
    .where('vrf', '=', merged.vrf ?? '')
    .where('peer_ip', '=', peer.text)
    .$if(existingId !== null, (q) => q.where('id', '!=', existingId))
    .executeTakeFirst();
  if (dup)
    throw new ConflictError(
      `the router already has a BGP peer ${peer.text}${merged.vrf ? ` in VRF ${merged.vrf}` : ''}`,
      [{ field: 'peer_ip', message: 'already a peer on this router and VRF' }],
    );
  if (merged.peer_group_id) {
    const g = await db
      .selectFrom('peer_groups')
      .select(['router_id'])
      .where('id', '=', merged.peer_group_id)
      .executeTakeFirst();
    if (!g) throw new ValidationError('peer_group', `no peer group with id ${merged.peer_group_id}`);
    if (Number(g.router_id) !== Number(merged.router_id))
      throw new ValidationError('peer_group', 'the peer group belongs to another router');
  }
  if (existingId !== null) {
    // A wrapped peer must keep matching its session: remote AS and network prefix.
    const s = await db
      .selectFrom('peering_sessions as s')
      .innerJoin('peer_asns as a', 'a.id', 's.peer_asn_id')
      .leftJoin('peering_networks as n', 'n.id', 's.network_id')
      .select(['a.asn', 'n.prefix'])
      .where('s.bgp_peer_id', '=', existingId)
      .executeTakeFirst();
    if (s && Number(s.asn) !== Number(merged.remote_asn))
      throw new ValidationError(
        'remote_asn',
        `this peer's session is with AS${s.asn}; the remote AS must stay AS${s.asn}`,
      );
    if (s?.prefix && !prefixContains(parsePrefix(s.prefix) as ParsedPrefix, peer))
      throw new ValidationError('peer_ip', `${peer.text} is outside the session's network ${s.prefix}`);
  }
}

/** Replaces a peer's address families, checking each reference. */
export async function writeAddressFamilies(
  db: Executor,
  peerId: number,
  afs: readonly AddressFamilyInput[],
): Promise<void> {
  const seen = new Set<string>();
  for (const [i, af] of afs.entries()) {
    if (seen.has(af.afi_safi))
      throw new ValidationError(`address_families.${i}.afi_safi`, `${af.afi_safi} is listed twice`);
    seen.add(af.afi_safi);
    for (const [f, t] of [
      ['import_policy', 'routing_policies'],
      ['export_policy', 'routing_policies'],
      ['prefix_list_in', 'prefix_lists'],
      ['prefix_list_out', 'prefix_lists'],
    ] as const) {
      await assertExists(db, t, af[f], `address_families.${i}.${f}`);
    }
  }
  await db.deleteFrom('bgp_peer_address_families').where('bgp_peer_id', '=', peerId).execute();
  if (afs.length)
    await db
      .insertInto('bgp_peer_address_families')
      .values(
        afs.map((af) => ({
          bgp_peer_id: peerId,
          afi_safi: af.afi_safi,
          enabled: af.enabled ?? true,
          import_policy_id: af.import_policy ?? null,
          export_policy_id: af.export_policy ?? null,
          prefix_list_in_id: af.prefix_list_in ?? null,
          prefix_list_out_id: af.prefix_list_out ?? null,
          max_prefixes: af.max_prefixes ?? null,
        })),
      )
      .execute();
}

/** The base BGP peer select with the joins its presenter needs. */
export function bgpPeerQuery(db: Executor) {
  return resourceQuery(
    db
      .selectFrom('bgp_peers as t')
      .innerJoin('routers as r', 'r.id', 't.router_id')
      .leftJoin('peer_groups as g', 'g.id', 't.peer_group_id')
      .leftJoin('bfd_profiles as bp', 'bp.id', 't.bfd_profile_id')
      .leftJoin('peering_sessions as s', 's.bgp_peer_id', 't.id')
      .selectAll('t')
      .select(['r.name as router_name', 'g.name as peer_group_name', 'bp.name as bfd_name', 's.id as session_id']),
  );
}
/** A BGP peer row as bgpPeerQuery selects it. */
export type BgpPeerRow = RowOf<typeof bgpPeerQuery>;

/** Maps API input to bgp_peers columns (shared by the resource and the session wizard). */
export async function bgpPeerValues(
  input: Partial<BgpPeerInput>,
  ctx: WriteContext,
  existing: BgpPeerRow | null,
): Promise<Updateable<BgpPeersTable>> {
  const values: Updateable<BgpPeersTable> = {};
  if ('router' in input) {
    const router = await assertExists(ctx.db, 'routers', input.router, 'router');
    values.router_id = input.router;
    if (!existing && input.local_asn === undefined && router) values.local_asn = Number(router.local_asn);
  }
  if (input.peer_ip !== undefined) {
    const ip = ipOf('peer_ip', input.peer_ip);
    values.peer_ip = ip.text;
    values.peer_ip_key = ip.key;
    values.family = ip.family;
  }
  if ('vrf' in input) values.vrf = input.vrf ?? '';
  if ('peer_group' in input) values.peer_group_id = input.peer_group ?? null;
  if ('bfd_profile' in input) {
    await assertExists(ctx.db, 'bfd_profiles', input.bfd_profile, 'bfd_profile');
    values.bfd_profile_id = input.bfd_profile ?? null;
  }
  if ('password' in input) values.password_enc = input.password ? ctx.secrets.encrypt(input.password) : null;
  if (input.name !== undefined) values.name = input.name;
  if (input.source_ip !== undefined) values.source_ip = input.source_ip;
  if (input.local_asn !== undefined) values.local_asn = input.local_asn;
  if (input.remote_asn !== undefined) values.remote_asn = input.remote_asn;
  if (input.enabled !== undefined) values.enabled = input.enabled;
  if (input.status !== undefined) values.status = input.status;
  if (input.multihop !== undefined) values.multihop = input.multihop;
  if (input.ttl_security !== undefined) values.ttl_security = input.ttl_security;
  if (input.description !== undefined) values.description = input.description;
  const merged = { ...existing, ...values };
  // A create's input has router, peer_ip and remote_asn (required by the schema); an update keeps the stored ones.
  if (merged.router_id === undefined) throw new ValidationError('router', 'a router is required');
  if (merged.peer_ip === undefined) throw new ValidationError('peer_ip', 'a peer IP address is required');
  if (merged.remote_asn === undefined) throw new ValidationError('remote_asn', 'a remote AS is required');
  await checkBgpPeer(
    ctx.db,
    { ...merged, router_id: merged.router_id, peer_ip: merged.peer_ip, remote_asn: merged.remote_asn },
    existing ? Number(existing.id) : null,
  );
  return values;
}

export const bgpPeers: Resource<BgpPeerRow & { __afs?: AddressFamilyOut[] }, BgpPeerInput> = {
  path: 'bgp-peers',
  objectType: 'bgp-peer',
  table: 'bgp_peers',
  tag: 'routing',
  hasSecrets: true,
  input: bgpPeerInput,
  output: bgpPeerOutput,
  briefOutput: z.object({
    id: z.number().int(),
    name: z.string().nullable(),
    peer_ip: z.string(),
    remote_asn: z.number().int(),
    router: z.object({ id: z.number().int(), name: z.string() }),
  }),
  query: bgpPeerQuery,
  async enrich(db, rows) {
    const afs = await loadAddressFamilies(
      db,
      rows.map((r) => Number(r.id)),
    );
    for (const r of rows) r.__afs = afs.get(Number(r.id)) ?? [];
  },
  present: (r, opts) => presentBgpPeer(r, r.__afs, opts.includeSecrets, (s) => opts.secrets.decrypt(s)),
  brief: (r) => ({
    id: Number(r.id),
    name: r.name ?? null,
    peer_ip: r.peer_ip,
    remote_asn: Number(r.remote_asn),
    router: { id: Number(r.router_id), name: r.router_name },
  }),
  filters: {
    id: idFilter('t.id'),
    router: idFilter('t.router_id'),
    vrf: { schema: z.string().max(64), apply: (q, v: string) => q.where('t.vrf', '=', v === 'global' ? '' : v) },
    peer_ip: { schema: ipAddress, apply: (q, v: string) => q.where('t.peer_ip', '=', v) },
    remote_asn: idFilter('t.remote_asn'),
    local_asn: idFilter('t.local_asn'),
    peer_group: nullableIdFilter('t.peer_group_id'),
    family: { schema: z.enum(['4', '6']).transform(Number), apply: (q, v: number) => q.where('t.family', '=', v) },
    state: textFilter('t.state'),
    enabled: boolFilter('t.enabled'),
    status: textFilter('t.status'),
    has_session: {
      schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
      apply: (q, v: boolean) => q.where('s.id', v ? 'is not' : 'is', null),
    },
    name: containsFilter('t.name'),
  },
  search: ['t.name', 't.peer_ip', 't.description', 'r.name', 't.remote_asn'],
  ordering: {
    router: 'r.name',
    peer_ip: 't.peer_ip_key',
    remote_asn: 't.remote_asn',
    state: 't.state',
    name: 't.name',
    id: 't.id',
  },
  defaultOrdering: 'router,peer_ip',
  async prepare(input, ctx, existing) {
    return bgpPeerValues(input, ctx, existing);
  },
  async afterWrite(id, input, ctx, existing) {
    if (input.address_families) await writeAddressFamilies(ctx.db, id, input.address_families);
    else if (!existing) {
      const fam = ipOf('peer_ip', input.peer_ip ?? '').family;
      await writeAddressFamilies(ctx.db, id, [{ afi_safi: fam === 4 ? 'ipv4-unicast' : 'ipv6-unicast' }]);
    }
  },
  async beforeDelete(row) {
    if (row.session_id)
      throw new ConflictError(
        `BGP peer ${row.peer_ip} is wrapped by peering session ${row.session_id}; delete the session first`,
        [],
        'protected',
      );
  },
  repr: (r) => `${r.router_name ?? ''} ${r.peer_ip}`.trim(),
};
