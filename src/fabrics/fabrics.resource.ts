// Peering fabrics (IXs and private fabrics), their networks (LANs) and our connections to them.
import { z } from 'zod';
import { sql } from 'kysely';
import { baseOutput, ipAddress, name, optText, prefix, slug, slugify, statusField, vlan } from '../platform/fields.ts';
import {
  assertExists,
  idFilter,
  resourceQuery,
  textFilter,
  type Resource,
  type Row,
  type RowOf,
} from '../platform/crud.ts';
import { parseIp, parsePrefix, prefixContains, type ParsedIp, type ParsedPrefix } from '../platform/ip.ts';
import { type Executor } from '../platform/db.ts';
import { ConflictError, ValidationError } from '../platform/errors.ts';
import { simpleResource } from '../platform/simple-resource.ts';
import { asn } from '../platform/fields.ts';

export const FABRIC_TYPES = ['ixp', 'private', 'transit', 'cloud', 'other'] as const;

export const fabrics = simpleResource({
  path: 'fabrics',
  objectType: 'fabric',
  table: 'fabrics',
  tag: 'peering',
  fields: {
    name,
    slug: slug.optional(),
    type: z.enum(FABRIC_TYPES).optional(),
    status: statusField.optional(),
    peeringdb_ix_id: z.number().int().min(1).nullable().optional(),
    default_peer_group: z.string().trim().max(100).nullable().optional(),
    description: optText,
  },
  outputFields: {
    name: z.string(),
    slug: z.string(),
    type: z.string(),
    status: z.string(),
    peeringdb_ix_id: z.number().int().nullable(),
    default_peer_group: z.string().nullable(),
    description: z.string().nullable(),
  },
  unique: ['name', 'slug'],
  defaults: (i) => ({ slug: slugify(String(i.name ?? '')), type: 'ixp', status: 'active' }),
  filters: {
    id: idFilter('t.id'),
    slug: textFilter('t.slug'),
    type: textFilter('t.type'),
    status: textFilter('t.status'),
    peeringdb_ix_id: idFilter('t.peeringdb_ix_id'),
  },
  search: ['t.name', 't.slug', 't.description'],
  ordering: { name: 't.name', type: 't.type', id: 't.id' },
  defaultOrdering: 'name',
  brief: ['name', 'slug', 'type'],
  repr: (r) => String(r.name),
  async beforeDelete(row, ctx) {
    const used = await ctx.db
      .selectFrom('peering_sessions as s')
      .innerJoin('peering_networks as n', 'n.id', 's.network_id')
      .select((eb) => eb.fn.countAll().as('c'))
      .where('n.fabric_id', '=', Number(row.id))
      .executeTakeFirst();
    const n = Number(used?.c ?? 0);
    if (n)
      throw new ConflictError(
        `fabric ${row.name} is used by ${n} peering session${n === 1 ? '' : 's'} on its networks; move or delete them first`,
        [{ field: 'peering_sessions', message: `${n} peering sessions` }],
        'protected',
      );
  },
});

const fabricBrief = z.object({ id: z.number().int(), name: z.string(), slug: z.string(), type: z.string() });

const networkInput = z
  .object({
    fabric: z.number().int().min(1),
    name,
    prefix,
    vlan: vlan.nullable().optional(),
    status: statusField.optional(),
    peeringdb_ixlan_id: z.number().int().min(1).nullable().optional(),
    peeringdb_ixpfx_id: z.number().int().min(1).nullable().optional(),
    route_server_asn: asn.nullable().optional(),
    mtu: z.number().int().min(576).max(65535).nullable().optional(),
    description: optText,
  })
  .strict();

const networkOutput = z
  .object({
    fabric: fabricBrief,
    name: z.string(),
    prefix: z.string(),
    family: z.number().int(),
    vlan: z.number().int().nullable(),
    status: z.string(),
    peeringdb_ixlan_id: z.number().int().nullable(),
    peeringdb_ixpfx_id: z.number().int().nullable(),
    route_server_asn: z.number().int().nullable(),
    mtu: z.number().int().nullable(),
    description: z.string().nullable(),
    session_count: z.number().int(),
    sessions_without_source: z
      .number()
      .int()
      .describe('sessions on this LAN whose BGP peer has no local (source) address'),
    warnings: z
      .array(z.string())
      .describe('sessions without a source address, routers with sessions here but no connection of this family'),
    ...baseOutput,
  })
  .meta({ id: 'PeeringNetwork' });

/** Checks the network's IPs of existing sessions and connections still fit a new prefix. */
async function assertNetworkMembersFit(db: Executor, networkId: number, p: ParsedPrefix) {
  const peers = await db
    .selectFrom('peering_sessions as s')
    .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
    .select(['b.peer_ip'])
    .where('s.network_id', '=', networkId)
    .execute();
  const outside = peers.map((r) => r.peer_ip).filter((ip) => !prefixContains(p, parseIp(ip)!));
  if (outside.length)
    throw new ValidationError(
      'prefix',
      `sessions on this network use ${outside.slice(0, 3).join(', ')}, outside ${p.text}`,
    );
}

const networkQuery = (db: Executor) =>
  resourceQuery(
    db
      .selectFrom('peering_networks as t')
      .innerJoin('fabrics as f', 'f.id', 't.fabric_id')
      .selectAll('t')
      .select(['f.name as fabric_name', 'f.slug as fabric_slug', 'f.type as fabric_type'])
      .select(sql<number>`(select count(*) from peering_sessions s where s.network_id = t.id)`.as('session_count')),
  );

/** A network row with what `enrich` adds: sessions without a source address and the warnings. */
type NetworkRow = RowOf<typeof networkQuery> & { __nosource?: number; __warnings?: string[] };

/** Network input fields stored as they come, in the column of the same name. */
const NETWORK_COLUMNS = [
  'name',
  'vlan',
  'status',
  'peeringdb_ixlan_id',
  'peeringdb_ixpfx_id',
  'route_server_asn',
  'mtu',
  'description',
] as const satisfies readonly (keyof z.infer<typeof networkInput>)[];

export const peeringNetworks: Resource<NetworkRow, z.infer<typeof networkInput>> = {
  path: 'peering-networks',
  objectType: 'peering-network',
  table: 'peering_networks',
  tag: 'peering',
  input: networkInput,
  output: networkOutput,
  briefOutput: z.object({ id: z.number().int(), name: z.string(), prefix: z.string(), fabric: fabricBrief }),
  query: networkQuery,
  present: (r) => ({
    id: Number(r.id),
    fabric: { id: Number(r.fabric_id), name: r.fabric_name, slug: r.fabric_slug, type: r.fabric_type },
    name: r.name,
    prefix: r.prefix,
    family: Number(r.family),
    vlan: r.vlan ?? null,
    status: r.status,
    peeringdb_ixlan_id: r.peeringdb_ixlan_id ?? null,
    peeringdb_ixpfx_id: r.peeringdb_ixpfx_id ?? null,
    route_server_asn:
      r.route_server_asn === null || r.route_server_asn === undefined ? null : Number(r.route_server_asn),
    mtu: r.mtu ?? null,
    description: r.description ?? null,
    session_count: Number(r.session_count ?? 0),
    sessions_without_source: Number(r.__nosource ?? 0),
    warnings: r.__warnings ?? [],
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  }),
  brief: (r) => ({
    id: Number(r.id),
    name: r.name,
    prefix: r.prefix,
    fabric: { id: Number(r.fabric_id), name: r.fabric_name, slug: r.fabric_slug, type: r.fabric_type },
  }),
  async enrich(db, rows) {
    const ids = rows.map((r) => Number(r.id));
    const sessions = await db
      .selectFrom('peering_sessions as s')
      .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
      .innerJoin('routers as r', 'r.id', 'b.router_id')
      .select(['s.network_id', 'b.router_id', 'b.source_ip', 'r.name as router_name'])
      .where('s.network_id', 'in', ids)
      .execute();
    const fabricIds = [...new Set(rows.map((r) => Number(r.fabric_id)))];
    const conns = await connectionAddresses(db, [...new Set(sessions.map((s) => Number(s.router_id)))], fabricIds);
    for (const r of rows) {
      const p = parsePrefix(r.prefix) as ParsedPrefix;
      const mine = sessions.filter((s) => Number(s.network_id) === Number(r.id));
      const noSource = mine.filter((s) => !s.source_ip).length;
      const uncovered = [
        ...new Set(
          mine
            .filter(
              (s) =>
                !conns.some(
                  (c) =>
                    c.routerId === Number(s.router_id) &&
                    c.fabricId === Number(r.fabric_id) &&
                    c.family === p.family &&
                    prefixContains(p, c.ip),
                ),
            )
            .map((s) => String(s.router_name)),
        ),
      ];
      const warnings: string[] = [];
      if (noSource)
        warnings.push(
          `${noSource} session${noSource === 1 ? '' : 's'} on this network ha${noSource === 1 ? 's' : 've'} no source address.`,
        );
      if (uncovered.length)
        warnings.push(
          `${uncovered.join(', ')} ha${uncovered.length === 1 ? 's' : 've'} sessions here but no connection with an IPv${p.family} address on ${p.text}.`,
        );
      r.__nosource = noSource;
      r.__warnings = warnings;
    }
  },
  filters: {
    id: idFilter('t.id'),
    fabric: idFilter('t.fabric_id'),
    fabric_slug: textFilter('f.slug'),
    family: { schema: z.enum(['4', '6']).transform(Number), apply: (q, v: number) => q.where('t.family', '=', v) },
    status: textFilter('t.status'),
    vlan: idFilter('t.vlan'),
    peeringdb_ixlan_id: idFilter('t.peeringdb_ixlan_id'),
  },
  search: ['t.name', 't.prefix', 'f.name', 't.description'],
  ordering: { name: 't.name', prefix: 't.prefix_key', fabric: 'f.name', vlan: 't.vlan', id: 't.id' },
  defaultOrdering: 'fabric,name',
  async prepare(input, ctx, existing) {
    const values: Row = {};
    const fabricId = input.fabric ?? existing?.fabric_id;
    if ('fabric' in input) {
      await assertExists(ctx.db, 'fabrics', input.fabric, 'fabric');
      values.fabric_id = input.fabric;
    }
    const nm = input.name ?? existing?.name;
    if ('name' in input || 'fabric' in input) {
      // A create's input has both (the schema requires them), an update's stored row has them.
      if (fabricId === undefined) throw new ValidationError('fabric', 'required');
      if (nm === undefined) throw new ValidationError('name', 'required');
      let dupQuery = ctx.db
        .selectFrom('peering_networks')
        .select('id')
        .where('fabric_id', '=', fabricId)
        .where('name', '=', nm);
      if (existing) dupQuery = dupQuery.where('id', '!=', existing.id);
      const dup = await dupQuery.executeTakeFirst();
      if (dup)
        throw new ConflictError(`fabric already has a network named "${nm}"`, [
          { field: 'name', message: 'already used in this fabric' },
        ]);
    }
    if (input.prefix !== undefined) {
      const p = parsePrefix(input.prefix) as ParsedPrefix;
      values.prefix = p.text;
      values.prefix_key = p.key;
      values.family = p.family;
      if (existing) await assertNetworkMembersFit(ctx.db, Number(existing.id), p);
    }
    for (const k of NETWORK_COLUMNS) if (k in input) values[k] = input[k];
    return values;
  },
  async beforeDelete(row, ctx) {
    const used = await ctx.db
      .selectFrom('peering_sessions')
      .select((eb) => eb.fn.countAll().as('c'))
      .where('network_id', '=', row.id)
      .executeTakeFirst();
    const n = Number(used?.c ?? 0);
    if (n)
      throw new ConflictError(
        `network ${row.name} is used by ${n} peering session${n === 1 ? '' : 's'}; move or delete them first`,
        [{ field: 'peering_sessions', message: `${n} peering sessions` }],
        'protected',
      );
  },
  repr: (r) => `${r.fabric_name ?? ''} ${r.name}`.trim(),
};

const connectionInput = z
  .object({
    network: z.number().int().min(1),
    router: z.number().int().min(1),
    interface: z.string().trim().min(1).max(100),
    ipv4_address: ipAddress.nullable().optional(),
    ipv6_address: ipAddress.nullable().optional(),
    status: statusField.optional(),
    description: optText,
  })
  .strict();

const connectionOutput = z
  .object({
    network: z.object({ id: z.number().int(), name: z.string(), prefix: z.string() }),
    fabric: fabricBrief,
    router: z.object({ id: z.number().int(), name: z.string() }),
    interface: z.string(),
    ipv4_address: z.string().nullable(),
    ipv6_address: z.string().nullable(),
    status: z.string(),
    description: z.string().nullable(),
    ...baseOutput,
  })
  .meta({ id: 'PeeringConnection' });

const connectionQuery = (db: Executor) =>
  resourceQuery(
    db
      .selectFrom('peering_connections as t')
      .innerJoin('peering_networks as n', 'n.id', 't.network_id')
      .innerJoin('fabrics as f', 'f.id', 'n.fabric_id')
      .innerJoin('routers as r', 'r.id', 't.router_id')
      .selectAll('t')
      .select([
        'n.name as network_name',
        'n.prefix as network_prefix',
        'f.id as fabric_id',
        'f.name as fabric_name',
        'f.slug as fabric_slug',
        'f.type as fabric_type',
        'r.name as router_name',
      ]),
  );

/** Connection input fields stored as they come, in the column of the same name. */
const CONNECTION_COLUMNS = [
  'interface',
  'ipv4_address',
  'ipv6_address',
  'status',
  'description',
] as const satisfies readonly (keyof z.infer<typeof connectionInput>)[];

export const peeringConnections: Resource<RowOf<typeof connectionQuery>, z.infer<typeof connectionInput>> = {
  path: 'peering-connections',
  objectType: 'peering-connection',
  table: 'peering_connections',
  tag: 'peering',
  input: connectionInput,
  output: connectionOutput,
  briefOutput: z.object({
    id: z.number().int(),
    interface: z.string(),
    router: z.object({ id: z.number().int(), name: z.string() }),
  }),
  query: connectionQuery,
  present: (r) => ({
    id: Number(r.id),
    network: { id: Number(r.network_id), name: r.network_name, prefix: r.network_prefix },
    fabric: { id: Number(r.fabric_id), name: r.fabric_name, slug: r.fabric_slug, type: r.fabric_type },
    router: { id: Number(r.router_id), name: r.router_name },
    interface: r.interface,
    ipv4_address: r.ipv4_address ?? null,
    ipv6_address: r.ipv6_address ?? null,
    status: r.status,
    description: r.description ?? null,
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  }),
  brief: (r) => ({
    id: Number(r.id),
    interface: r.interface,
    router: { id: Number(r.router_id), name: r.router_name },
  }),
  filters: {
    id: idFilter('t.id'),
    network: idFilter('t.network_id'),
    fabric: idFilter('n.fabric_id'),
    router: idFilter('t.router_id'),
    status: textFilter('t.status'),
  },
  search: ['t.interface', 't.ipv4_address', 't.ipv6_address', 'r.name', 'n.name', 'f.name'],
  ordering: { router: 'r.name', interface: 't.interface', network: 'n.name', id: 't.id' },
  defaultOrdering: 'router,interface',
  async prepare(input, ctx, existing) {
    const values: Row = {};
    const networkId = input.network ?? existing?.network_id;
    // A create's input names the network (the schema requires it), an update's stored row has it.
    if (networkId === undefined) throw new ValidationError('network', 'required');
    const network = await ctx.db
      .selectFrom('peering_networks')
      .select(['fabric_id', 'prefix'])
      .where('id', '=', networkId)
      .executeTakeFirst();
    if (!network) throw new ValidationError('network', `no peering network with id ${networkId}`);
    if ('network' in input) values.network_id = input.network;
    if ('router' in input) {
      await assertExists(ctx.db, 'routers', input.router, 'router');
      values.router_id = input.router;
    }
    const p = parsePrefix(network.prefix) as ParsedPrefix;
    for (const [field, fam] of [
      ['ipv4_address', 4],
      ['ipv6_address', 6],
    ] as const) {
      const v = field in input ? input[field] : existing?.[field];
      if (v === null || v === undefined) continue;
      const ip = parseIp(v)!;
      if (ip.family !== fam) throw new ValidationError(field, `${v} is not an IPv${fam} address`);
      if (p.family === fam) {
        if (!prefixContains(p, ip)) throw new ValidationError(field, `${v} is outside the network ${p.text}`);
        continue;
      }
      // A dual-stack connection: the other family's address must sit on a sibling LAN of the same fabric.
      const siblings = (
        await ctx.db
          .selectFrom('peering_networks')
          .select(['prefix'])
          .where('fabric_id', '=', network.fabric_id)
          .where('family', '=', fam)
          .execute()
      ).map((n) => parsePrefix(n.prefix) as ParsedPrefix);
      if (!siblings.length)
        throw new ValidationError(
          field,
          `${v} is an IPv${fam} address but the network ${p.text} is IPv${p.family} and its fabric has no IPv${fam} network; add one first`,
        );
      if (!siblings.some((sp) => prefixContains(sp, ip)))
        throw new ValidationError(
          field,
          `${v} is outside every IPv${fam} network of this fabric (${siblings.map((sp) => sp.text).join(', ')})`,
        );
    }
    for (const k of CONNECTION_COLUMNS) if (k in input) values[k] = input[k];
    return values;
  },
  repr: (r) => `${r.router_name ?? ''} ${r.interface}`.trim(),
};

/** Our connections' addresses on a fabric, as (router, family, address) rows. */
async function connectionAddresses(
  db: Executor,
  routerIds: number[],
  fabricIds: number[],
): Promise<{ routerId: number; fabricId: number; networkId: number; family: 4 | 6; ip: ParsedIp }[]> {
  if (!routerIds.length || !fabricIds.length) return [];
  const rows = await db
    .selectFrom('peering_connections as c')
    .innerJoin('peering_networks as n', 'n.id', 'c.network_id')
    .select(['c.router_id', 'c.network_id', 'n.fabric_id', 'c.ipv4_address', 'c.ipv6_address'])
    .where('c.router_id', 'in', routerIds)
    .where('n.fabric_id', 'in', fabricIds)
    .orderBy('c.id')
    .execute();
  const out: { routerId: number; fabricId: number; networkId: number; family: 4 | 6; ip: ParsedIp }[] = [];
  for (const r of rows) {
    for (const [col, family] of [
      ['ipv4_address', 4],
      ['ipv6_address', 6],
    ] as const) {
      const ip = r[col] ? parseIp(String(r[col]).split('/')[0]!) : null;
      if (ip && ip.family === family)
        out.push({
          routerId: Number(r.router_id),
          fabricId: Number(r.fabric_id),
          networkId: Number(r.network_id),
          family,
          ip,
        });
    }
  }
  return out;
}

/**
 * Our source address for a session on a network: the router's connection on that network, else a
 * dual-stack connection on a sibling LAN of the same fabric whose address of the family lies inside
 * the network's prefix. Null when the router has no such connection.
 */
export async function sourceAddressFor(db: Executor, routerId: number, networkId: number): Promise<string | null> {
  const net = await db
    .selectFrom('peering_networks')
    .select(['id', 'fabric_id', 'prefix'])
    .where('id', '=', networkId)
    .executeTakeFirst();
  if (!net) return null;
  const p = parsePrefix(net.prefix) as ParsedPrefix;
  const addrs = (await connectionAddresses(db, [routerId], [Number(net.fabric_id)])).filter(
    (a) => a.family === p.family && prefixContains(p, a.ip),
  );
  const best = addrs.find((a) => a.networkId === Number(net.id)) ?? addrs[0];
  return best ? best.ip.text : null;
}

/** What sessionSourceWarnings reads of a peering session row (its BGP peer, router, network and fabric). */
export interface SessionPlacement {
  id: number;
  router_id: number;
  router_name: string;
  family: number;
  source_ip: string | null;
  network_id: number | null;
  network_name: string | null;
  network_prefix: string | null;
  fabric_id: number | null;
  fabric_name: string | null;
}

/** Session problems the pages warn about: no source address, no connection of the router on the LAN. */
export async function sessionSourceWarnings(
  db: Executor,
  rows: readonly SessionPlacement[],
): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  const onLan = rows.filter((r) => r.network_id && r.fabric_id);
  const conns = await connectionAddresses(
    db,
    [...new Set(onLan.map((r) => Number(r.router_id)))],
    [...new Set(onLan.map((r) => Number(r.fabric_id)))],
  );
  for (const r of rows) {
    const list: string[] = [];
    const fam = Number(r.family);
    let covered = true;
    if (r.network_id && r.fabric_id && r.network_prefix) {
      const p = parsePrefix(r.network_prefix);
      covered =
        !('error' in p) &&
        conns.some(
          (c) =>
            c.routerId === Number(r.router_id) &&
            c.fabricId === Number(r.fabric_id) &&
            c.family === fam &&
            prefixContains(p, c.ip),
        );
      if (!covered)
        list.push(
          `${r.router_name} has no connection with an IPv${fam} address on ${r.network_name} (${r.network_prefix}): add one (or add the IPv${fam} address to its connection on ${r.fabric_name}) so the session has a source.`,
        );
    }
    if (!r.source_ip)
      list.push(
        covered && r.network_id
          ? `No source address: the BGP peer has no local IP although ${r.router_name} has one on ${r.network_name}; set it on the BGP peer.`
          : 'No source address: the BGP peer has no local IP, so the rendered config has no update-source.',
      );
    out.set(Number(r.id), list);
  }
  return out;
}
