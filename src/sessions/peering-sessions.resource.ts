// Peering sessions: the peering layer's wrapper around exactly one BGP peer.
import type { Expression, ExpressionBuilder, SelectQueryBuilder, SqlBool, Updateable } from 'kysely';
import { BGP_STATE_NAMES } from '../drivers/driver.types.ts';
import { z } from 'zod';
import { baseOutput, optText, slug, statusField } from '../platform/fields.ts';
import {
  assertExists,
  bool,
  idFilter,
  missingReference,
  nullableIdFilter,
  resourceQuery,
  textFilter,
  type Query,
  type Resource,
  type RowOf,
  type WriteContext,
} from '../platform/crud.ts';
import { parseAsn, parseIp, parsePrefix, prefixContains, type ParsedPrefix } from '../platform/ip.ts';
import { ConflictError, ValidationError } from '../platform/errors.ts';
import { storedEnum, type Executor } from '../platform/db.ts';
import { deploymentStarted } from '../deploy/deploy.schema.ts';
import type { PeeringSessionsTable } from '../platform/db.types.ts';
import { loadAddressFamilies, type AddressFamilyOut } from '../bgp/bgp-peers.resource.ts';
import { sessionSourceWarnings } from '../fabrics/fabrics.resource.ts';
import { ADMIN_DOWN, effectiveMaxPrefixes, effectiveState } from './session-rules.ts';

export const sessionInput = z
  .object({
    bgp_peer: z.number().int().min(1),
    relationship: z.number().int().min(1).nullable().optional(),
    network: z.number().int().min(1).nullable().optional().describe('null = "No Exchange"'),
    peer_asn: z.number().int().min(1).optional().describe('defaults to the peer ASN matching the BGP peer remote AS'),
    service_reference: z.string().trim().max(200).nullable().optional(),
    notes: optText,
  })
  .strict();

/** A session's create input (PATCH gives a subset). */
export type SessionInput = z.infer<typeof sessionInput>;

const ref = z.object({ id: z.number().int(), name: z.string() });
export const sessionOutput = z
  .object({
    bgp_peer: z.object({ id: z.number().int(), name: z.string().nullable() }),
    router: ref,
    vrf: z.string().nullable(),
    local_ip: z.string().nullable(),
    local_asn: z.number().int(),
    peer_ip: z.string(),
    family: z.number().int(),
    peer_asn: z.object({
      id: z.number().int(),
      asn: z.number().int(),
      name: z.string(),
      irr_as_set: z.string().nullable(),
    }),
    peer_group: ref.nullable(),
    relationship: z.object({ id: z.number().int(), slug: z.string(), name: z.string(), color: z.string() }).nullable(),
    network: z.object({ id: z.number().int(), name: z.string(), prefix: z.string() }).nullable(),
    fabric: z.object({ id: z.number().int(), name: z.string(), slug: z.string() }).nullable(),
    service_reference: z.string().nullable(),
    notes: z.string().nullable(),
    enabled: z.boolean(),
    status: statusField,
    state: z
      .enum(BGP_STATE_NAMES)
      .describe('BGP state as last polled; admin-down when the session is disabled in Peerdesk or on the router'),
    state_since: z.string().nullable(),
    prefixes_received: z.number().int().nullable(),
    prefixes_accepted: z.number().int().nullable(),
    prefixes_advertised: z.number().int().nullable(),
    max_prefixes: z.number().int().nullable(),
    last_error: z.string().nullable(),
    polled_at: z.string().nullable(),
    address_families: z.array(z.object({ afi_safi: z.string(), max_prefixes: z.number().int().nullable() }).loose()),
    warnings: z
      .array(z.string())
      .describe('problems to fix before deploying: no source address, no connection of the router on the LAN'),
    ...baseOutput,
  })
  .meta({ id: 'PeeringSession' });

/** The base session select with every join the list page shows (one query per page). */
export function sessionQuery(db: Executor) {
  return resourceQuery(
    db
      .selectFrom('peering_sessions as t')
      .innerJoin('bgp_peers as b', 'b.id', 't.bgp_peer_id')
      .innerJoin('routers as r', 'r.id', 'b.router_id')
      .innerJoin('peer_asns as a', 'a.id', 't.peer_asn_id')
      .leftJoin('peer_groups as g', 'g.id', 'b.peer_group_id')
      .leftJoin('relationships as rel', 'rel.id', 't.relationship_id')
      .leftJoin('peering_networks as n', 'n.id', 't.network_id')
      .leftJoin('fabrics as f', 'f.id', 'n.fabric_id')
      .selectAll('t')
      .select([
        'b.name as bgp_name',
        'b.router_id',
        'b.vrf',
        'b.source_ip',
        'b.local_asn',
        'b.peer_ip',
        'b.family',
        'b.enabled',
        'b.status',
        'b.state',
        'b.state_since',
        'b.prefixes_received',
        'b.prefixes_accepted',
        'b.prefixes_advertised',
        'b.last_error',
        'b.polled_at',
        'b.peer_group_id',
        'r.name as router_name',
        'a.asn',
        'a.name as peer_name',
        'a.irr_as_set',
        'a.ipv4_max_prefixes',
        'a.ipv6_max_prefixes',
        'g.name as peer_group_name',
        'g.ipv4_max_prefixes as g4max',
        'g.ipv6_max_prefixes as g6max',
        'rel.slug as rel_slug',
        'rel.name as rel_name',
        'rel.color as rel_color',
        'n.name as network_name',
        'n.prefix as network_prefix',
        'f.id as fabric_id',
        'f.name as fabric_name',
        'f.slug as fabric_slug',
      ]),
  );
}

/** A session row as `sessionQuery` selects it, with what `enrich` attaches. */
export type SessionRow = RowOf<typeof sessionQuery> & {
  /** The BGP peer's address families. */
  __afs?: AddressFamilyOut[];
  /** Problems to fix before deploying (see sessionSourceWarnings). */
  __warnings?: string[];
};

/** A session as the API shows it. */
export type SessionView = z.infer<typeof sessionOutput>;

/** Shapes a joined session row; the effective max-prefix is the family's, else the peer ASN's, else the group's. */
export function presentSession(r: SessionRow): SessionView {
  const afs = r.__afs ?? [];
  const fam = Number(r.family);
  const afMax = afs.find((a) => a.afi_safi === (fam === 4 ? 'ipv4-unicast' : 'ipv6-unicast'))?.max_prefixes ?? null;
  const max = effectiveMaxPrefixes(fam, afMax, r, { ipv4_max_prefixes: r.g4max, ipv6_max_prefixes: r.g6max });
  // The left-joined columns below are set whenever their foreign key is (the joined columns are NOT NULL).
  return {
    id: Number(r.id),
    bgp_peer: { id: Number(r.bgp_peer_id), name: r.bgp_name ?? null },
    router: { id: Number(r.router_id), name: r.router_name },
    vrf: r.vrf ? r.vrf : null,
    local_ip: r.source_ip ?? null,
    local_asn: Number(r.local_asn),
    peer_ip: r.peer_ip,
    family: fam,
    peer_asn: { id: Number(r.peer_asn_id), asn: Number(r.asn), name: r.peer_name, irr_as_set: r.irr_as_set ?? null },
    peer_group:
      r.peer_group_id && r.peer_group_name !== null ? { id: Number(r.peer_group_id), name: r.peer_group_name } : null,
    relationship:
      r.relationship_id && r.rel_slug !== null && r.rel_name !== null && r.rel_color !== null
        ? { id: Number(r.relationship_id), slug: r.rel_slug, name: r.rel_name, color: r.rel_color }
        : null,
    network:
      r.network_id && r.network_name !== null && r.network_prefix !== null
        ? { id: Number(r.network_id), name: r.network_name, prefix: r.network_prefix }
        : null,
    fabric:
      r.fabric_id && r.fabric_name !== null && r.fabric_slug !== null
        ? { id: Number(r.fabric_id), name: r.fabric_name, slug: r.fabric_slug }
        : null,
    service_reference: r.service_reference ?? null,
    notes: r.notes ?? null,
    enabled: bool(r.enabled),
    status: storedEnum(statusField.options, r.status, 'BGP peer status'),
    state: effectiveState(r.enabled, r.state),
    state_since: r.state_since ?? null,
    prefixes_received: r.prefixes_received ?? null,
    prefixes_accepted: r.prefixes_accepted ?? null,
    prefixes_advertised: r.prefixes_advertised ?? null,
    max_prefixes: max,
    last_error: r.last_error ?? null,
    polled_at: r.polled_at ?? null,
    address_families: afs.map((a) => ({ afi_safi: a.afi_safi, max_prefixes: a.max_prefixes })),
    warnings: r.__warnings ?? [],
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  };
}

/** Attaches the address families and the deploy warnings to a page of session rows (two queries). */
async function enrichSessions(db: Executor, rows: SessionRow[]): Promise<void> {
  const afs = await loadAddressFamilies(
    db,
    rows.map((r) => Number(r.bgp_peer_id)),
  );
  const warnings = await sessionSourceWarnings(db, rows);
  for (const r of rows) {
    r.__afs = afs.get(Number(r.bgp_peer_id)) ?? [];
    r.__warnings = warnings.get(Number(r.id)) ?? [];
  }
}

/** Checks a session's links: one session per BGP peer, matching ASN, IP inside the network. */
export async function sessionValues(
  input: Partial<SessionInput>,
  ctx: WriteContext,
  existing: SessionRow | null,
): Promise<Updateable<PeeringSessionsTable>> {
  const values: Updateable<PeeringSessionsTable> = {};
  const peerId = input.bgp_peer ?? existing?.bgp_peer_id;
  // A create's input has bgp_peer (required by the schema); an update keeps the stored one.
  if (peerId === undefined) throw new ValidationError('bgp_peer', 'a BGP peer is required');
  const peer = await ctx.db
    .selectFrom('bgp_peers')
    .select(['peer_ip', 'remote_asn'])
    .where('id', '=', peerId)
    .executeTakeFirst();
  if (!peer) throw missingReference('bgp_peer', 'bgp_peers', peerId);
  if (input.bgp_peer !== undefined) {
    let others = ctx.db.selectFrom('peering_sessions').select('id').where('bgp_peer_id', '=', input.bgp_peer);
    if (existing) others = others.where('id', '!=', existing.id);
    const taken = await others.executeTakeFirst();
    if (taken)
      throw new ConflictError(
        `BGP peer ${peer.peer_ip} already has peering session ${taken.id}; edit that session instead`,
        [{ field: 'bgp_peer', message: 'already has a peering session' }],
        'bgp_peer_taken',
      );
    values.bgp_peer_id = input.bgp_peer;
  }
  let peerAsnId = input.peer_asn ?? (existing && !('bgp_peer' in input) ? existing.peer_asn_id : undefined);
  if (peerAsnId === undefined) {
    const a = await ctx.db.selectFrom('peer_asns').select('id').where('asn', '=', peer.remote_asn).executeTakeFirst();
    if (!a) throw new ValidationError('peer_asn', `no peer ASN AS${peer.remote_asn} exists; create it first`);
    peerAsnId = Number(a.id);
  }
  const a = await ctx.db.selectFrom('peer_asns').select('asn').where('id', '=', peerAsnId).executeTakeFirst();
  if (!a) throw missingReference('peer_asn', 'peer_asns', peerAsnId);
  if (Number(a.asn) !== Number(peer.remote_asn))
    throw new ValidationError('peer_asn', `the BGP peer's remote AS is AS${peer.remote_asn}, not AS${a.asn}`);
  values.peer_asn_id = peerAsnId;
  if ('relationship' in input) {
    await assertExists(ctx.db, 'relationships', input.relationship, 'relationship');
    values.relationship_id = input.relationship ?? null;
  }
  const networkId = 'network' in input ? input.network : existing?.network_id;
  if ('network' in input) {
    values.network_id = input.network ?? null;
  }
  if (networkId) {
    const n = await ctx.db
      .selectFrom('peering_networks')
      .select('prefix')
      .where('id', '=', networkId)
      .executeTakeFirst();
    if (!n) throw missingReference('network', 'peering_networks', networkId);
    // Stored prefixes and peer addresses were parsed on the way in.
    const p = parsePrefix(n.prefix) as ParsedPrefix;
    const ip = parseIp(peer.peer_ip)!;
    if (!prefixContains(p, ip))
      throw new ValidationError('network', `peer IP ${ip.text} is outside the network ${p.text}`);
  }
  if (input.service_reference !== undefined) values.service_reference = input.service_reference;
  if (input.notes !== undefined) values.notes = input.notes;
  return values;
}

/** The ids of BGP peers, narrowed by a filter (the subquery of `peerWhere`). */
type PeerIds = SelectQueryBuilder<QueryTables, 'bgp_peers', { id: unknown }>;
/** The tables a resource query names (crud's loosely typed `Query`), and its expression builder. */
type QueryTables = Query extends SelectQueryBuilder<infer DB, infer _TB, infer _O> ? DB : never;
type QueryEb = ExpressionBuilder<QueryTables, string>;

/** A condition on the session's BGP peer, as a subquery on its primary key. */
function peerWhere(build: (b: PeerIds) => PeerIds) {
  return (eb: QueryEb) => eb('t.bgp_peer_id', 'in', build(eb.selectFrom('bgp_peers').select('id')));
}

const asnList = z.preprocess(
  (v) =>
    String(v)
      .split(',')
      .map((s) => parseAsn(s.trim())),
  z.array(z.number({ message: 'each value must be an ASN' })).min(1),
);

export const peeringSessions: Resource<SessionRow, SessionInput> = {
  path: 'peering-sessions',
  objectType: 'peering-session',
  table: 'peering_sessions',
  tag: 'peering',
  input: sessionInput,
  output: sessionOutput,
  deleteVariant: {
    query: z.object({
      remove_from_router: z
        .enum(['0', '1', 'true', 'false'])
        .optional()
        .describe(
          '1: also remove from the router — a deployment without this session; the job deletes the session and its BGP peer only when it ends done (202 with the deployment)',
        ),
    }),
    response: deploymentStarted,
    async handle(id, query, ctx) {
      if (query.remove_from_router !== '1' && query.remove_from_router !== 'true') return undefined;
      const p = ctx.principal;
      if (!p) throw new ValidationError('remove_from_router', 'a logged-in user is needed to deploy');
      const { proposeSessionAction } = await import('../deploy/session-actions.ts');
      const { presentDeployment } = await import('../deploy/deploy.service.ts');
      const out = await proposeSessionAction(
        ctx.db,
        id,
        'deconfigure',
        {},
        { userId: p.userId, username: p.username, role: p.role },
        ctx.secrets,
      );
      return { deployment: presentDeployment(out.deployment, true), job_id: out.jobId };
    },
  },
  briefOutput: z.object({ id: z.number().int(), peer_ip: z.string(), peer_asn: z.number().int(), router: z.string() }),
  query: sessionQuery,
  enrich: enrichSessions,
  present: presentSession,
  brief: (r) => ({ id: Number(r.id), peer_ip: r.peer_ip, peer_asn: Number(r.asn), router: r.router_name }),
  // Filters are written on the session row (subqueries on indexed keys) so counting needs no joins.
  filters: {
    id: idFilter('t.id'),
    relationship: {
      schema: z.preprocess(
        (v) =>
          String(v)
            .split(',')
            .map((s) => s.trim()),
        z.array(slug).min(1),
      ),
      apply: (q, v: string[]) =>
        q.where('t.relationship_id', 'in', (eb: QueryEb) =>
          eb.selectFrom('relationships').select('id').where('slug', 'in', v),
        ),
    },
    relationship_id: nullableIdFilter('t.relationship_id'),
    fabric: {
      schema: z.preprocess((v) => String(v).split(',').map(Number), z.array(z.number().int().min(0)).min(1)),
      apply: (q, v: number[]) =>
        q.where('t.network_id', 'in', (eb: QueryEb) =>
          eb.selectFrom('peering_networks').select('id').where('fabric_id', 'in', v),
        ),
    },
    network: nullableIdFilter('t.network_id'),
    router: {
      schema: z.preprocess((v) => String(v).split(',').map(Number), z.array(z.number().int().min(0)).min(1)),
      apply: (q, v: number[]) => q.where(peerWhere((b) => b.where('router_id', 'in', v))),
    },
    peer_asn: idFilter('t.peer_asn_id'),
    asn: {
      schema: asnList,
      apply: (q, v: number[]) =>
        q.where('t.peer_asn_id', 'in', (eb: QueryEb) => eb.selectFrom('peer_asns').select('id').where('asn', 'in', v)),
    },
    local_asn: { schema: asnList, apply: (q, v: number[]) => q.where(peerWhere((b) => b.where('local_asn', 'in', v))) },
    peer_group: {
      schema: z.union([
        z.literal('null'),
        z.preprocess((v) => String(v).split(',').map(Number), z.array(z.number().int().min(0)).min(1)),
      ]),
      apply: (q, v: 'null' | number[]) =>
        q.where(
          peerWhere((b) => (v === 'null' ? b.where('peer_group_id', 'is', null) : b.where('peer_group_id', 'in', v))),
        ),
    },
    state: {
      schema: z.preprocess(
        (v) =>
          String(v)
            .split(',')
            .map((s) => s.trim().toLowerCase()),
        z.array(z.string().max(20)).min(1),
      ),
      apply: (q, v: string[]) =>
        q.where(
          peerWhere((b) =>
            b.where((eb) => {
              const parts: Expression<SqlBool>[] = [];
              const live = v.filter((s) => s !== ADMIN_DOWN);
              if (live.length) parts.push(eb.and([eb('state', 'in', live), eb('enabled', '=', true)]));
              if (v.includes(ADMIN_DOWN)) parts.push(eb('enabled', '=', false));
              return eb.or(parts);
            }),
          ),
        ),
    },
    family: {
      schema: z.enum(['4', '6']).transform(Number),
      apply: (q, v: number) => q.where(peerWhere((b) => b.where('family', '=', v))),
    },
    has_source: {
      schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
      apply: (q, v: boolean) => q.where(peerWhere((b) => b.where('source_ip', v ? 'is not' : 'is', null))),
    },
    enabled: {
      schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
      apply: (q, v: boolean) => q.where(peerWhere((b) => b.where('enabled', '=', v))),
    },
    service_reference: textFilter('t.service_reference'),
    peer_ip: {
      schema: z.string().max(64),
      apply: (q, v: string) => q.where(peerWhere((b) => b.where('peer_ip', '=', parseIp(v)?.text ?? v))),
    },
  },
  countQuery: (db) => db.selectFrom('peering_sessions as t'),
  search: ['a.name', 'b.peer_ip', 'b.source_ip', 't.service_reference', 't.notes', 'r.name', 'a.asn', 'f.name'],
  ordering: {
    router: 'r.name',
    peer: 'a.name',
    asn: 'a.asn',
    peer_ip: 'b.peer_ip_key',
    state: 'b.state',
    relationship: 'rel.name',
    fabric: 'f.name',
    prefixes_received: 'b.prefixes_received',
    state_since: 'b.state_since',
    created_at: 't.created_at',
    id: 't.id',
    service_reference: 't.service_reference',
  },
  // Newest first: index order, so a filtered page never sorts the whole table.
  defaultOrdering: '-id',
  prepare: sessionValues,
  repr: (r) => `AS${r.asn ?? '?'} ${r.peer_ip ?? ''}`.trim(),
};
