// Part of the shared REST machinery (see ../crud.ts): reading one row or one page (filters, search, ordering).
import { sql } from 'kysely';
import type { Executor } from '../db.ts';
import { icontains } from '../db.ts';
import { NotFoundError, ValidationError, type FieldError } from '../errors.ts';
import type { Resource, Row } from './types.ts';

/** Loads one row through the resource's base query, or throws 404. */
export async function loadRow<R extends Row, In extends Row>(
  res: Resource<R, In>,
  db: Executor,
  id: number,
): Promise<R> {
  // Kysely's Simplify<R> of an object row type is R itself; TypeScript can't see that for a generic R.
  const row = (await res.query(db).where('t.id', '=', id).executeTakeFirst()) as R | undefined;
  if (!row) throw new NotFoundError(res.objectType, id);
  if (res.enrich) await res.enrich(db, [row]);
  return row;
}

/** A list request's validated query string: `limit`, `offset`, `q`, `ordering` and the resource's filters. */
export type ListParams = Record<string, unknown>;

/** The page bounds of a list query (numbers once the page query schema has validated it). */
export function pageBounds(params: ListParams): { limit: number; offset: number } {
  const { limit, offset } = params;
  if (typeof limit !== 'number' || typeof offset !== 'number')
    throw new TypeError('list parameters must be validated (limit and offset numbers)');
  return { limit, offset };
}

/** Applies filters, search and ordering, and returns one page plus the total count. */
export async function listRows(
  res: Resource,
  db: Executor,
  params: ListParams,
): Promise<{ count: number; rows: Row[] }> {
  const { limit, offset } = pageBounds(params);
  const needle = typeof params.q === 'string' ? params.q.trim() : '';
  const searching = needle !== '' && res.search.length > 0;
  // Counting without the presentation joins when the resource allows it (its filters are on `t`).
  const narrowCount = !searching && res.countQuery;
  let q = res.query(db);
  let cq = narrowCount ? res.countQuery!(db) : null;
  const errors: FieldError[] = [];
  for (const [name, f] of Object.entries(res.filters)) {
    const raw = params[name];
    if (raw === undefined || raw === '') continue;
    const parsed = f.schema.safeParse(raw);
    if (!parsed.success) {
      errors.push({ field: name, message: parsed.error.issues[0]?.message ?? 'is invalid' });
      continue;
    }
    q = f.apply(q, parsed.data);
    if (cq) cq = f.apply(cq, parsed.data);
  }
  if (errors.length) throw new ValidationError(errors);
  if (searching) {
    q = q.where((eb) => eb.or(res.search.map((c) => eb(icontains(c, needle), '=', true))));
  }
  const countRow = await (cq ?? q.clearSelect()).select(sql<number>`count(*)`.as('count')).executeTakeFirst();
  const orderSpec = (typeof params.ordering === 'string' && params.ordering) || res.defaultOrdering;
  const order: [string, 'asc' | 'desc'][] = [];
  for (const part of orderSpec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const desc = part.startsWith('-');
    const name = desc ? part.slice(1) : part;
    const col = res.ordering[name];
    if (!col)
      throw new ValidationError(
        'ordering',
        `unknown ordering "${name}"; use one of ${Object.keys(res.ordering).join(', ')}`,
      );
    order.push([col, desc ? 'desc' : 'asc']);
  }
  order.push(['t.id', 'asc']);
  // Two phases: page ids with only what filtering and ordering need, then the presentation joins
  // for those ids alone. When filters and ordering are all on the main table, phase one reads it alone.
  let pq = cq && order.every(([col]) => col.startsWith('t.')) ? cq : q.clearSelect();
  for (const [col, dir] of order) pq = pq.orderBy(col, dir);
  const ids = (await pq.select('t.id as id').limit(limit).offset(offset).execute()).map((r) => r.id);
  const byId = new Map<unknown, Row>();
  if (ids.length) for (const r of await res.query(db).where('t.id', 'in', ids).execute()) byId.set(r.id, r);
  const rows = ids.map((id) => byId.get(id)).filter((r): r is Row => r !== undefined);
  if (res.enrich && rows.length) await res.enrich(db, rows);
  return { count: Number(countRow?.count ?? 0), rows };
}
