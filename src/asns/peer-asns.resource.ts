// Peer ASNs: the remote networks we peer with (or our own, when affiliated), with IRR and max-prefix data.
import { z } from 'zod';
import { sql, type Updateable } from 'kysely';
import { asn, irrAsSet, maxPrefixes, name, optText } from '../platform/fields.ts';
import {
  assertUnique,
  bool,
  boolFilter,
  containsFilter,
  idFilter,
  resourceQuery,
  type Resource,
  type RowOf,
} from '../platform/crud.ts';
import type { Executor } from '../platform/db.ts';
import type { PeerAsnsTable } from '../platform/db.types.ts';
import { baseOutput } from '../platform/fields.ts';
import { parseAsn } from '../platform/ip.ts';
import { ConflictError } from '../platform/errors.ts';

const input = z
  .object({
    asn,
    name,
    affiliated: z.boolean().optional(),
    irr_as_set: irrAsSet.nullable().optional(),
    irr_sources: z
      .string()
      .trim()
      .max(200)
      .regex(/^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$/, 'comma-separated IRR source names like RIPE,ARIN')
      .nullable()
      .optional(),
    ipv4_max_prefixes: maxPrefixes.nullable().optional(),
    ipv6_max_prefixes: maxPrefixes.nullable().optional(),
    peeringdb_id: z.number().int().min(1).nullable().optional(),
    follow_peeringdb_name: z.boolean().optional(),
    follow_peeringdb_irr_as_set: z.boolean().optional(),
    follow_peeringdb_max_prefixes: z.boolean().optional(),
    comments: optText,
  })
  .strict();

const output = z
  .object({
    asn: z.number().int(),
    name: z.string(),
    affiliated: z.boolean(),
    irr_as_set: z.string().nullable(),
    irr_sources: z.string().nullable(),
    ipv4_max_prefixes: z.number().int().nullable(),
    ipv6_max_prefixes: z.number().int().nullable(),
    peeringdb_id: z.number().int().nullable(),
    peeringdb_synced_at: z.string().nullable(),
    follow_peeringdb_name: z.boolean(),
    follow_peeringdb_irr_as_set: z.boolean(),
    follow_peeringdb_max_prefixes: z.boolean(),
    comments: z.string().nullable(),
    session_count: z.number().int(),
    ...baseOutput,
  })
  .meta({ id: 'PeerAsn' });

/** A peer ASN's create input (PATCH gives a subset). */
export type PeerAsnInput = z.infer<typeof input>;

const peerAsnQuery = (db: Executor) =>
  resourceQuery(
    db
      .selectFrom('peer_asns as t')
      .selectAll('t')
      .select(sql<number>`(select count(*) from peering_sessions s where s.peer_asn_id = t.id)`.as('session_count')),
  );

/** A peer ASN row as the resource selects it. */
export type PeerAsnRow = RowOf<typeof peerAsnQuery>;

export const peerAsns: Resource<PeerAsnRow, PeerAsnInput> = {
  path: 'peer-asns',
  objectType: 'peer-asn',
  table: 'peer_asns',
  tag: 'peering',
  input,
  output,
  briefOutput: z.object({ id: z.number().int(), asn: z.number().int(), name: z.string() }),
  query: peerAsnQuery,
  present: (r) => ({
    id: Number(r.id),
    asn: Number(r.asn),
    name: r.name,
    affiliated: bool(r.affiliated),
    irr_as_set: r.irr_as_set ?? null,
    irr_sources: r.irr_sources ?? null,
    ipv4_max_prefixes: r.ipv4_max_prefixes ?? null,
    ipv6_max_prefixes: r.ipv6_max_prefixes ?? null,
    peeringdb_id: r.peeringdb_id ?? null,
    peeringdb_synced_at: r.peeringdb_synced_at ?? null,
    follow_peeringdb_name: bool(r.follow_peeringdb_name),
    follow_peeringdb_irr_as_set: bool(r.follow_peeringdb_irr_as_set),
    follow_peeringdb_max_prefixes: bool(r.follow_peeringdb_max_prefixes),
    comments: r.comments ?? null,
    session_count: Number(r.session_count ?? 0),
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  }),
  brief: (r) => ({ id: Number(r.id), asn: Number(r.asn), name: r.name }),
  filters: {
    id: idFilter('t.id'),
    asn: {
      schema: z.preprocess(
        (v) =>
          String(v)
            .split(',')
            .map((s) => parseAsn(s.trim())),
        z.array(z.number({ message: 'each value must be an ASN' })).min(1),
      ),
      apply: (q, v: number[]) => q.where('t.asn', 'in', v),
    },
    affiliated: boolFilter('t.affiliated'),
    irr_as_set: containsFilter('t.irr_as_set'),
    name: containsFilter('t.name'),
    peeringdb_id: idFilter('t.peeringdb_id'),
  },
  search: ['t.name', 't.irr_as_set', 't.asn'],
  ordering: { asn: 't.asn', name: 't.name', id: 't.id', updated_at: 't.updated_at' },
  defaultOrdering: 'asn',
  async prepare(inputRow, ctx, existing) {
    if ('asn' in inputRow) {
      await assertUnique(ctx.db, 'peer_asns', 'asn', inputRow.asn, existing ? Number(existing.id) : null);
      if (existing && Number(existing.asn) !== inputRow.asn) {
        const used = await ctx.db
          .selectFrom('peering_sessions')
          .select('id')
          .where('peer_asn_id', '=', existing.id)
          .executeTakeFirst();
        if (used)
          throw new ConflictError('cannot change the ASN of a peer that has sessions; their BGP peers use it', [
            { field: 'asn', message: 'in use by sessions' },
          ]);
      }
    }
    // Every input field is the column of the same name.
    const values: Updateable<PeerAsnsTable> = {};
    if (inputRow.asn !== undefined) values.asn = inputRow.asn;
    if (inputRow.name !== undefined) values.name = inputRow.name;
    if (inputRow.affiliated !== undefined) values.affiliated = inputRow.affiliated;
    if (inputRow.irr_as_set !== undefined) values.irr_as_set = inputRow.irr_as_set;
    if (inputRow.irr_sources !== undefined) values.irr_sources = inputRow.irr_sources;
    if (inputRow.ipv4_max_prefixes !== undefined) values.ipv4_max_prefixes = inputRow.ipv4_max_prefixes;
    if (inputRow.ipv6_max_prefixes !== undefined) values.ipv6_max_prefixes = inputRow.ipv6_max_prefixes;
    if (inputRow.peeringdb_id !== undefined) values.peeringdb_id = inputRow.peeringdb_id;
    if (inputRow.follow_peeringdb_name !== undefined) values.follow_peeringdb_name = inputRow.follow_peeringdb_name;
    if (inputRow.follow_peeringdb_irr_as_set !== undefined)
      values.follow_peeringdb_irr_as_set = inputRow.follow_peeringdb_irr_as_set;
    if (inputRow.follow_peeringdb_max_prefixes !== undefined)
      values.follow_peeringdb_max_prefixes = inputRow.follow_peeringdb_max_prefixes;
    if (inputRow.comments !== undefined) values.comments = inputRow.comments;
    return values;
  },
  async beforeDelete(row, ctx) {
    const used = await ctx.db
      .selectFrom('peering_sessions')
      .select('id')
      .where('peer_asn_id', '=', row.id)
      .executeTakeFirst();
    if (used) throw new ConflictError(`AS${row.asn} still has peering sessions; delete them first`, [], 'protected');
  },
  repr: (r) => `AS${r.asn} ${r.name}`,
};
