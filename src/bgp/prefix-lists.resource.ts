// Prefix lists with ordered entries; manual ones are edited here, IRR ones are fed by the IRR refresh.
import { z } from 'zod';
import { sql, type Insertable, type Updateable } from 'kysely';
import { baseOutput, optText, prefix } from '../platform/fields.ts';
import {
  assertExists,
  assertUnique,
  containsFilter,
  idFilter,
  resourceQuery,
  textFilter,
  type Resource,
  type RowOf,
} from '../platform/crud.ts';
import { parsePrefix, type ParsedPrefix } from '../platform/ip.ts';
import { ConflictError, ValidationError } from '../platform/errors.ts';
import { storedEnum, type Executor } from '../platform/db.ts';
import type { PrefixListEntriesTable, PrefixListsTable } from '../platform/db.types.ts';
import { protectOrReplace } from '../relationships/references.ts';

/** What a prefix list entry does with a matching route. */
export const PREFIX_LIST_ACTIONS = ['permit', 'deny'] as const;
/** Where a prefix list's entries come from: edited here, or fed by the IRR refresh. */
export const PREFIX_LIST_SOURCES = ['manual', 'irr'] as const;

const entryInput = z
  .object({
    seq: z.number().int().min(1).max(4294967295).optional(),
    action: z.enum(PREFIX_LIST_ACTIONS).optional(),
    prefix,
    ge: z.number().int().min(0).max(128).nullable().optional(),
    le: z.number().int().min(0).max(128).nullable().optional(),
  })
  .strict();

/** One entry as a write gives it (seq and action optional). */
export type EntryInput = z.infer<typeof entryInput>;

const input = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits, _ . : -'),
    family: z.union([z.literal(4), z.literal(6)]),
    source: z.enum(PREFIX_LIST_SOURCES).optional(),
    peer_asn: z.number().int().min(1).nullable().optional(),
    irr_query: z.string().max(200).nullable().optional(),
    description: optText,
    entries: z.array(entryInput).max(200_000).optional().describe('replaces all entries when given'),
  })
  .strict();
/** A prefix list write's validated input (PATCH gives a subset). */
type PrefixListInput = z.infer<typeof input>;

const entryOutput = z.object({
  seq: z.number().int(),
  action: z.enum(PREFIX_LIST_ACTIONS),
  prefix: z.string(),
  ge: z.number().int().nullable(),
  le: z.number().int().nullable(),
});
/** One entry as the API shows it. */
export type EntryOut = z.infer<typeof entryOutput>;
const output = z
  .object({
    name: z.string(),
    family: z.number().int(),
    source: z.enum(PREFIX_LIST_SOURCES),
    peer_asn: z.object({ id: z.number().int(), asn: z.number().int(), name: z.string() }).nullable(),
    irr_query: z.string().nullable(),
    description: z.string().nullable(),
    entry_count: z.number().int(),
    entries: z.array(entryOutput).optional(),
    ...baseOutput,
  })
  .meta({ id: 'PrefixList' });

/** Loads the entries of many lists in one query, keyed by list id. */
export async function loadEntries(db: Executor, ids: number[]): Promise<Map<number, EntryOut[]>> {
  const out = new Map<number, EntryOut[]>();
  if (!ids.length) return out;
  const rows = await db
    .selectFrom('prefix_list_entries')
    .selectAll()
    .where('prefix_list_id', 'in', ids)
    .orderBy('prefix_list_id')
    .orderBy('seq')
    .execute();
  for (const r of rows) {
    const list = out.get(Number(r.prefix_list_id)) ?? [];
    list.push({
      seq: Number(r.seq),
      action: storedEnum(PREFIX_LIST_ACTIONS, r.action, 'prefix list action'),
      prefix: r.prefix,
      ge: r.ge ?? null,
      le: r.le ?? null,
    });
    out.set(Number(r.prefix_list_id), list);
  }
  return out;
}

/** Validates and replaces a list's entries (seq defaults to 5, 10, 15… in given order). */
export async function writeEntries(
  db: Executor,
  listId: number,
  family: number,
  entries: readonly EntryInput[],
): Promise<void> {
  const rows: Insertable<PrefixListEntriesTable>[] = [];
  const seqs = new Set<number>();
  for (const [i, e] of entries.entries()) {
    const p = parsePrefix(e.prefix) as ParsedPrefix;
    if (p.family !== family) throw new ValidationError(`entries.${i}.prefix`, `${p.text} is not IPv${family}`);
    const max = family === 4 ? 32 : 128;
    const ge = e.ge ?? null;
    const le = e.le ?? null;
    if (ge !== null && (ge < p.length || ge > max))
      throw new ValidationError(`entries.${i}.ge`, `ge must be between ${p.length} and ${max}`);
    if (le !== null && (le < (ge ?? p.length) || le > max))
      throw new ValidationError(`entries.${i}.le`, `le must be between ${ge ?? p.length} and ${max}`);
    const seq = e.seq ?? (i + 1) * 5;
    if (seqs.has(seq)) throw new ValidationError(`entries.${i}.seq`, `sequence ${seq} is used twice`);
    seqs.add(seq);
    rows.push({ prefix_list_id: listId, seq, action: e.action ?? 'permit', prefix: p.text, prefix_key: p.key, ge, le });
  }
  await db.deleteFrom('prefix_list_entries').where('prefix_list_id', '=', listId).execute();
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('prefix_list_entries')
      .values(rows.slice(i, i + 500))
      .execute();
}

const prefixListQuery = (db: Executor) =>
  resourceQuery(
    db
      .selectFrom('prefix_lists as t')
      .leftJoin('peer_asns as a', 'a.id', 't.peer_asn_id')
      .selectAll('t')
      .select(['a.asn as peer_asn_asn', 'a.name as peer_asn_name'])
      .select(
        sql<number>`(select count(*) from prefix_list_entries e where e.prefix_list_id = t.id)`.as('entry_count'),
      ),
  );

export const prefixLists: Resource<RowOf<typeof prefixListQuery> & { __entries?: EntryOut[] }, PrefixListInput> = {
  path: 'prefix-lists',
  objectType: 'prefix-list',
  table: 'prefix_lists',
  tag: 'routing',
  input,
  output,
  briefOutput: z.object({ id: z.number().int(), name: z.string(), family: z.number().int() }),
  query: prefixListQuery,
  async enrich(db, rows) {
    // Entries only for single-object reads: lists of lists stay small.
    if (rows.length !== 1) return;
    rows[0].__entries = (await loadEntries(db, [Number(rows[0].id)])).get(Number(rows[0].id)) ?? [];
  },
  present: (r) => ({
    id: Number(r.id),
    name: r.name,
    family: Number(r.family),
    source: storedEnum(PREFIX_LIST_SOURCES, r.source, 'prefix list source'),
    peer_asn: r.peer_asn_id ? { id: Number(r.peer_asn_id), asn: Number(r.peer_asn_asn), name: r.peer_asn_name } : null,
    irr_query: r.irr_query ?? null,
    description: r.description ?? null,
    entry_count: Number(r.entry_count ?? 0),
    ...(r.__entries ? { entries: r.__entries } : {}),
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  }),
  brief: (r) => ({ id: Number(r.id), name: r.name, family: Number(r.family) }),
  filters: {
    id: idFilter('t.id'),
    family: { schema: z.enum(['4', '6']).transform(Number), apply: (q, v: number) => q.where('t.family', '=', v) },
    source: textFilter('t.source'),
    peer_asn: idFilter('t.peer_asn_id'),
    name: containsFilter('t.name'),
  },
  search: ['t.name', 't.description', 't.irr_query'],
  ordering: { name: 't.name', family: 't.family', id: 't.id' },
  defaultOrdering: 'name',
  async prepare(inp, ctx, existing) {
    const values: Updateable<PrefixListsTable> = {};
    if ('name' in inp)
      await assertUnique(ctx.db, 'prefix_lists', 'name', inp.name, existing ? Number(existing.id) : null);
    if ('peer_asn' in inp) {
      await assertExists(ctx.db, 'peer_asns', inp.peer_asn, 'peer_asn');
      values.peer_asn_id = inp.peer_asn ?? null;
    }
    if (
      existing &&
      'family' in inp &&
      inp.family !== Number(existing.family) &&
      Number(existing.entry_count) > 0 &&
      !inp.entries
    )
      throw new ConflictError('cannot change the family of a list with entries', [
        { field: 'family', message: 'list has entries' },
      ]);
    if ('name' in inp) values.name = inp.name;
    if ('family' in inp) values.family = inp.family;
    if ('source' in inp) values.source = inp.source;
    if ('irr_query' in inp) values.irr_query = inp.irr_query;
    if ('description' in inp) values.description = inp.description;
    return values;
  },
  async afterWrite(id, inp, ctx, existing) {
    if (inp.entries) await writeEntries(ctx.db, id, inp.family ?? Number(existing?.family), inp.entries);
  },
  // BGP peers' address families would silently lose their filter (ON DELETE SET NULL): refuse, or move them.
  beforeDelete: (row, ctx) =>
    protectOrReplace(ctx, { table: 'prefix_lists', noun: 'prefix list', row }, [
      {
        table: 'bgp_peer_address_families',
        column: 'prefix_list_in_id',
        label: 'BGP peer address families (in)',
        one: 'BGP peer address family (in)',
      },
      {
        table: 'bgp_peer_address_families',
        column: 'prefix_list_out_id',
        label: 'BGP peer address families (out)',
        one: 'BGP peer address family (out)',
      },
    ]),
  repr: (r) => r.name,
};
