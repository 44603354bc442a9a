// The shared REST machinery: one resource definition gives list/retrieve/create/update/delete,
// bulk variants, filters, search, ordering, ETags and the change log, the same for every object.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SelectQueryBuilder } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Executor } from './db.ts';
import { dialectOf, generationOf, icontains, isForeignKeyViolation, isUniqueViolation, now } from './db.ts';
import { ConflictError, DomainError, NotFoundError, PreconditionFailedError, ValidationError, type FieldError } from './errors.ts';
import type { SecretBox } from './crypto.ts';
import type { Config } from './config.ts';
import { boundIntegers, INT32_MAX, str } from './fields.ts';
import { ASN_MAX } from './ip.ts';
import type { Principal, Role } from '../auth/auth.service.ts';
import { roleAtLeast } from '../auth/auth.service.ts';
import { recordChange } from '../changes/changes.service.ts';

export type Row = Record<string, any>;
export type Query = SelectQueryBuilder<any, any, any>;

/** What a write sees: the transaction, the caller and the secret box. */
export interface WriteContext {
  db: Executor;
  principal: Principal | null;
  secrets: SecretBox;
  requestId?: string;
  /** The server's configuration (e.g. PEERDESK_SOCKET_DIRS for router addresses), when known. */
  config?: Config;
  /** On delete: move references to this object of the same type instead of refusing (`?replace_with=`). */
  replaceWith?: number | null;
}

/** How an object is shown: secrets only when asked for by a role allowed to see them. */
export interface PresentOptions {
  includeSecrets: boolean;
  secrets: SecretBox;
}

/** A query-string filter: its schema (for docs and parsing) and how it narrows the query. */
export interface Filter {
  schema: z.ZodType;
  apply(q: Query, value: any): Query;
}

/** Everything the machinery needs to serve one kind of object. */
export interface Resource {
  /** URL segment under /api/, plural kebab-case. */
  path: string;
  /** Name in the change log and errors, e.g. `peer-asn`. */
  objectType: string;
  table: string;
  tag: string;
  writeRole?: Role;
  /** The full create body (strict); PATCH accepts any subset. */
  input: z.ZodObject<any>;
  output: z.ZodType;
  briefOutput: z.ZodType;
  /** Base select (with joins) whose rows `present` understands; the main table is aliased `t`. */
  query(db: Executor): Query;
  present(row: Row, opts: PresentOptions): Row;
  brief(row: Row): Row;
  filters: Record<string, Filter>;
  /** The main table alone (aliased `t`) for counting, when every filter is written on `t`. */
  countQuery?(db: Executor): Query;
  /** Qualified columns searched by `q`. */
  search: string[];
  /** Ordering names to qualified columns. */
  ordering: Record<string, string>;
  defaultOrdering: string;
  /** Turns validated input into column values, checking references and invariants. */
  prepare(input: Row, ctx: WriteContext, existing: Row | null): Promise<Row>;
  /** Writes dependent rows (e.g. address families) after the main row. */
  afterWrite?(id: number, input: Row, ctx: WriteContext, existing: Row | null): Promise<void>;
  /** Refuses or prepares a delete (e.g. 409 when protected). */
  beforeDelete?(row: Row, ctx: WriteContext): Promise<void>;
  /**
   * Extra query flags of this resource's DELETE and what they do instead of a plain delete: when
   * `handle` returns a body, the answer is 202 with it (e.g. a session removed from its router first).
   */
  deleteVariant?: {
    query: z.ZodObject;
    handle(id: number, query: Record<string, unknown>, ctx: WriteContext): Promise<unknown | undefined>;
  };
  repr(row: Row): string;
  /** Batch-loads related rows for a page of rows (one query per relation, never per row). */
  enrich?(db: Executor, rows: Row[]): Promise<void>;
  /** Secret-bearing presenters: whether include_secrets is allowed (admin only by default). */
  hasSecrets?: boolean;
}

// ---------- shared filter helpers --------------------------------------------------------

const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (Array.isArray(v) ? v.flatMap((x) => String(x).split(',')) : String(v).split(',')).map((s) => s.trim()).filter(Boolean), z.array(item).min(1));

// Integer filters are bounded to their column on both engines: ASN columns are bigint holding
// 32-bit unsigned ASNs, every other integer column (ids, VLANs, PeeringDB ids) fits 32 bits signed.
const intItem = (column: string, max?: number) =>
  z.coerce.number().int('must be whole numbers').min(0).max(max ?? (/asn$/.test(column) ? ASN_MAX : INT32_MAX), `must be at most ${max ?? (/asn$/.test(column) ? ASN_MAX : INT32_MAX)}`);

/** Filter on a column equal to one of a comma-separated list of integers (bounded to the column's type). */
export function idFilter(column: string, max?: number): Filter {
  return { schema: list(intItem(column, max)), apply: (q, v: number[]) => q.where(column, 'in', v) };
}
/** Filter on a column equal to one of a comma-separated list of strings. */
export function textFilter(column: string): Filter {
  return { schema: list(str().max(200)), apply: (q, v: string[]) => q.where(column, 'in', v) };
}
/** Case-insensitive substring filter. */
export function containsFilter(column: string): Filter {
  return { schema: str().max(200), apply: (q, v: string) => q.where(icontains(column, v)) };
}
/** Boolean filter accepting true/false/1/0. */
export function boolFilter(column: string): Filter {
  return {
    schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
    apply: (q, v: boolean) => q.where(column, '=', v),
  };
}
/** Filter on a nullable reference: an id list, or `null` for "none". */
export function nullableIdFilter(column: string): Filter {
  return {
    schema: z.union([z.literal('null'), list(intItem(column))]),
    apply: (q, v: 'null' | number[]) => (v === 'null' ? q.where(column, 'is', null) : q.where(column, 'in', v)),
  };
}

// ---------- query helpers ------------------------------------------------------------------

/** Normalises SQLite's 0/1 to booleans (PostgreSQL already returns booleans). */
export function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}
/** Parses a stored JSON text column. */
export function json<T = unknown>(v: unknown, fallback: T): T {
  if (v === null || v === undefined || v === '') return fallback;
  if (typeof v !== 'string') return v as T;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}

/** Loads one row through the resource's base query, or throws 404. */
export async function loadRow(res: Resource, db: Executor, id: number): Promise<Row> {
  const row = await res.query(db).where('t.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(res.objectType, id);
  if (res.enrich) await res.enrich(db, [row]);
  return row;
}

/** Asserts a referenced row exists, naming the input field when not. */
export async function assertExists(db: Executor, table: string, id: number | null | undefined, field: string): Promise<Row | null> {
  if (id === null || id === undefined) return null;
  const row = await db.selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new ValidationError(field, `no ${table.replace(/_/g, ' ').replace(/s$/, '')} with id ${id}`);
  return row;
}

/** Refuses a duplicate on a unique column with a 409 naming the field. */
export async function assertUnique(db: Executor, table: string, column: string, value: unknown, exceptId: number | null, field = column): Promise<void> {
  if (value === null || value === undefined) return;
  let q = db.selectFrom(table).select('id').where(column, '=', value);
  if (exceptId !== null) q = q.where('id', '!=', exceptId);
  if (await q.executeTakeFirst()) throw new ConflictError(`${field} ${JSON.stringify(value)} is already in use`, [{ field, message: 'already in use' }]);
}

/** ETag of a stored row: its id and version. */
export function etagOf(row: Row): string {
  return `"${row.id}.${row.version ?? 1}"`;
}

function versionFromIfMatch(header: string | undefined, id: number): number | null {
  if (!header || header === '*') return null;
  const m = /"(\d+)\.(\d+)"/.exec(header);
  if (!m || Number(m[1]) !== id) return -1;
  return Number(m[2]);
}

// ---------- list ------------------------------------------------------------------------------

export interface ListParams {
  limit: number;
  offset: number;
  q?: string;
  ordering?: string;
  brief?: boolean;
  [filter: string]: unknown;
}

/** Applies filters, search and ordering, and returns one page plus the total count. */
export async function listRows(res: Resource, db: Executor, params: Row): Promise<{ count: number; rows: Row[] }> {
  const searching = typeof params.q === 'string' && params.q.trim() !== '' && res.search.length > 0;
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
    const needle = params.q.trim();
    q = q.where((eb) => eb.or(res.search.map((c) => eb(icontains(c, needle) as any, '=', true as any) as any)));
  }
  const countRow = await (cq ?? q.clearSelect()).select(sql<number>`count(*)`.as('count')).executeTakeFirst();
  const orderSpec = (typeof params.ordering === 'string' && params.ordering) || res.defaultOrdering;
  const order: [string, 'asc' | 'desc'][] = [];
  for (const part of orderSpec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const desc = part.startsWith('-');
    const name = desc ? part.slice(1) : part;
    const col = res.ordering[name];
    if (!col) throw new ValidationError('ordering', `unknown ordering "${name}"; use one of ${Object.keys(res.ordering).join(', ')}`);
    order.push([col, desc ? 'desc' : 'asc']);
  }
  order.push(['t.id', 'asc']);
  // Two phases: page ids with only what filtering and ordering need, then the presentation joins
  // for those ids alone. When filters and ordering are all on the main table, phase one reads it alone.
  let pq = cq && order.every(([col]) => col.startsWith('t.')) ? cq : q.clearSelect();
  for (const [col, dir] of order) pq = pq.orderBy(col, dir);
  const ids = (await pq.select('t.id as id').limit(params.limit).offset(params.offset).execute()).map((r) => r.id);
  const byId = new Map<unknown, Row>();
  if (ids.length) for (const r of await res.query(db).where('t.id', 'in', ids).execute()) byId.set(r.id, r);
  const rows = ids.map((id) => byId.get(id)).filter((r): r is Row => r !== undefined);
  if (res.enrich && rows.length) await res.enrich(db, rows);
  return { count: Number(countRow?.count ?? 0), rows };
}

// ---------- writes ------------------------------------------------------------------------------

function actorOf(ctx: WriteContext) {
  return { userId: ctx.principal?.userId ?? null, username: ctx.principal?.username ?? null, requestId: ctx.requestId ?? null };
}

async function wrapDbErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    if (isUniqueViolation(err)) throw new ConflictError('an object with the same unique values already exists');
    if (isForeignKeyViolation(err)) throw new ConflictError('the write would break a reference between objects', [], 'reference_conflict');
    throw err;
  }
}

const presentPlain = (res: Resource, row: Row, secrets: SecretBox) => res.present(row, { includeSecrets: false, secrets });

/** Creates one object inside an open transaction; returns its stored row. */
export async function createOne(res: Resource, ctx: WriteContext, input: Row): Promise<Row> {
  const values = await res.prepare(input, ctx, null);
  const t = now();
  const inserted = await wrapDbErrors(() =>
    ctx.db.insertInto(res.table).values({ ...values, created_at: t, updated_at: t, version: 1 }).returning('id').executeTakeFirstOrThrow(),
  );
  const id = Number(inserted.id);
  if (res.afterWrite) await res.afterWrite(id, input, ctx, null);
  const row = await loadRow(res, ctx.db, id);
  await recordChange(ctx.db, actorOf(ctx), { action: 'create', objectType: res.objectType, objectId: id, repr: res.repr(row), after: presentPlain(res, row, ctx.secrets) });
  return row;
}

/**
 * Serialises writers of one row for the rest of the transaction. On PostgreSQL (read committed)
 * two writers could otherwise read the same version and the later compare-and-set would fail with
 * a 412 although neither sent If-Match; SQLite transactions are serialised already.
 */
async function lockRow(res: Resource, db: Executor, id: number): Promise<void> {
  if (dialectOf(db) === 'postgres') await db.selectFrom(res.table).select('id').where('id', '=', id).forUpdate().execute();
}

/** Updates one object (full or partial input), checking the expected version when given (412 only then). */
export async function updateOne(res: Resource, ctx: WriteContext, id: number, input: Row, expectedVersion: number | null): Promise<Row> {
  await lockRow(res, ctx.db, id);
  const existing = await loadRow(res, ctx.db, id);
  if (expectedVersion !== null && expectedVersion !== Number(existing.version)) throw new PreconditionFailedError();
  const values = await res.prepare(input, ctx, existing);
  const version = Number(existing.version);
  const result = await wrapDbErrors(() =>
    ctx.db
      .updateTable(res.table)
      .set({ ...values, updated_at: now(), version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst(),
  );
  // Two writers that read the same version: only one update matches it.
  if (Number(result.numUpdatedRows) === 0) throw new PreconditionFailedError();
  if (res.afterWrite) await res.afterWrite(id, input, ctx, existing);
  const row = await loadRow(res, ctx.db, id);
  await recordChange(ctx.db, actorOf(ctx), {
    action: 'update',
    objectType: res.objectType,
    objectId: id,
    repr: res.repr(row),
    before: presentPlain(res, existing, ctx.secrets),
    after: presentPlain(res, row, ctx.secrets),
  });
  return row;
}

/** Deletes one object, after the resource's protection checks. */
export async function deleteOne(res: Resource, ctx: WriteContext, id: number, expectedVersion: number | null): Promise<void> {
  await lockRow(res, ctx.db, id);
  const existing = await loadRow(res, ctx.db, id);
  if (expectedVersion !== null && expectedVersion !== Number(existing.version)) throw new PreconditionFailedError();
  if (res.beforeDelete) await res.beforeDelete(existing, ctx);
  await wrapDbErrors(() => ctx.db.deleteFrom(res.table).where('id', '=', id).execute());
  await recordChange(ctx.db, actorOf(ctx), { action: 'delete', objectType: res.objectType, objectId: id, repr: res.repr(existing), before: presentPlain(res, existing, ctx.secrets) });
}

// ---------- read cache ----------------------------------------------------------------------------

/**
 * Serialized list pages keyed by data generation and URL: any write anywhere changes the generation
 * (see generation.ts), so entries never go stale, they just stop being found. Bounded by bytes.
 */
export class ResponseCache {
  #map = new Map<string, string>();
  #inflight = new Map<string, Promise<string>>();
  #bytes = 0;
  readonly maxBytes: number;
  constructor(maxBytes = 64 * 1024 * 1024) {
    this.maxBytes = maxBytes;
  }
  /** The cached body for a key, refreshed as most recently used. */
  get(key: string): string | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }
  /** The cached body, or the one being computed for the same key (concurrent misses share one query). */
  async getOrCompute(key: string, compute: () => Promise<string>): Promise<{ body: string; hit: boolean }> {
    const cached = this.get(key);
    if (cached !== undefined) return { body: cached, hit: true };
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = compute().then((body) => {
        this.set(key, body);
        return body;
      });
      this.#inflight.set(key, pending);
      pending.finally(() => this.#inflight.delete(key)).catch(() => {});
      return { body: await pending, hit: false };
    }
    return { body: await pending, hit: true };
  }
  /** Stores a body, evicting the least recently used entries beyond the byte budget. */
  set(key: string, body: string): void {
    if (body.length > this.maxBytes / 8) return;
    const old = this.#map.get(key);
    if (old !== undefined) this.#bytes -= old.length;
    this.#map.set(key, body);
    this.#bytes += body.length;
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= v.length;
    }
  }
}

// ---------- routes --------------------------------------------------------------------------------

const pageSchema = (item: z.ZodType) =>
  z.object({ count: z.number().int(), next: z.string().nullable(), previous: z.string().nullable(), results: z.array(item) });

const idParams = z.object({ id: z.coerce.number().int().min(1).max(INT32_MAX) });

/** Builds the `next`/`previous` links of a page. */
export function pageLinks(req: FastifyRequest, count: number, limit: number, offset: number) {
  const base = new URL(req.url, 'http://x');
  const link = (o: number) => {
    base.searchParams.set('offset', String(o));
    base.searchParams.set('limit', String(limit));
    return base.pathname + base.search;
  };
  return { next: offset + limit < count ? link(offset + limit) : null, previous: offset > 0 ? link(Math.max(0, offset - limit)) : null };
}

/** Shared page parameters, for resources and custom list endpoints alike. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  q: str().max(200).optional(),
  ordering: str().max(200).optional(),
  brief: z.enum(['1', '0', 'true', 'false']).optional(),
  include_secrets: z.enum(['1', '0', 'true', 'false']).optional(),
});

/** Mounts the REST routes of one resource on the app. */
export function registerResource(app: FastifyInstance, res: Resource): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = `/api/${res.path}/`;
  const writeRole = res.writeRole ?? 'operator';
  const a = app as any;
  const filterShape: Record<string, z.ZodType> = {};
  for (const [name, f] of Object.entries(res.filters)) filterShape[name] = z.string().optional().describe(describeFilter(f));
  const listQuery = pageQuery.extend(filterShape).loose();
  const wantSecrets = (req: FastifyRequest, q: { include_secrets?: string }) => {
    const asked = q.include_secrets === '1' || q.include_secrets === 'true';
    if (!asked) return false;
    const p = (req as any).principal as Principal | null;
    if (!p || !roleAtLeast(p.role, 'admin')) throw new DomainError('forbidden', 403, 'include_secrets requires the admin role');
    return true;
  };
  const present = (req: FastifyRequest, row: Row, secrets: boolean) => res.present(row, { includeSecrets: secrets, secrets: a.secrets });
  const ctxOf = (req: FastifyRequest, db: Executor): WriteContext => ({ db, principal: (req as any).principal, secrets: a.secrets, requestId: req.id, config: a.config });
  // Integers in bodies are bounded to their 32-bit columns here, once for every resource.
  const input = boundIntegers(res.input);
  const tx = <T>(fn: (db: Executor) => Promise<T>) => a.db.transaction().execute(fn) as Promise<T>;
  const ifMatch = (req: FastifyRequest, id: number) => {
    const v = versionFromIfMatch(req.headers['if-match'] as string | undefined, id);
    if (v === -1) throw new PreconditionFailedError('If-Match does not match this object');
    return v;
  };
  const sendOne = (reply: FastifyReply, req: FastifyRequest, row: Row, secrets: boolean, code = 200) => {
    reply.header('etag', etagOf(row));
    return reply.code(code).send(present(req, row, secrets));
  };

  const listSchema = pageSchema(z.union([res.output, res.briefOutput]));
  const validateResponses = process.env.PEERDESK_VALIDATE_RESPONSES === '1';
  r.get(base, { schema: { tags: [res.tag], summary: `List ${res.path}`, querystring: listQuery, response: { 200: listSchema } }, preValidation: a.requireRole('viewer') }, async (req, reply) => {
    const q = req.query as Row;
    const secrets = wantSecrets(req, q);
    const gen = a.responseCache && !secrets ? generationOf(a.db) : undefined;
    const key = gen?.reliable ? `${gen.current()}|${req.url}` : null;
    const compute = async () => {
      const { count, rows } = await listRows(res, a.db, q);
      const brief = q.brief === '1' || q.brief === 'true';
      const page = { count, ...pageLinks(req, count, q.limit, q.offset), results: rows.map((row) => (brief ? res.brief(row) : present(req, row, secrets))) };
      // Pre-serialized bodies skip the serializer: check them against the schema here in tests.
      if (validateResponses) {
        const checked = listSchema.safeParse(page);
        if (!checked.success) throw new Error(`response of GET ${base} does not match its schema at ${checked.error.issues[0].path.join('.')}: ${checked.error.issues[0].message}`);
      }
      return JSON.stringify(page);
    };
    if (!key) return reply.type('application/json; charset=utf-8').send((await compute()) as any);
    const { body, hit } = await (a.responseCache as ResponseCache).getOrCompute(key, compute);
    if (hit) reply.header('x-cache', 'hit');
    return reply.type('application/json; charset=utf-8').send(body as any);
  });

  r.get(`${base}:id/`, { schema: { tags: [res.tag], summary: `Get one ${res.objectType}`, params: idParams, querystring: pageQuery.pick({ include_secrets: true, brief: true }), response: { 200: res.output } }, preValidation: a.requireRole('viewer') }, async (req, reply) => {
    const secrets = wantSecrets(req, req.query);
    const row = await loadRow(res, a.db, req.params.id);
    if (req.query.brief === '1' || req.query.brief === 'true') return reply.header('etag', etagOf(row)).send(res.brief(row));
    return sendOne(reply, req, row, secrets);
  });

  r.post(base, { schema: { tags: [res.tag], summary: `Create a ${res.objectType}`, body: input, response: { 201: res.output } }, preValidation: a.requireRole(writeRole) }, async (req, reply) => {
    const row = await tx((db) => createOne(res, ctxOf(req, db), req.body as Row));
    return sendOne(reply, req, row, false, 201);
  });

  r.put(`${base}:id/`, { schema: { tags: [res.tag], summary: `Replace a ${res.objectType}`, params: idParams, body: input, response: { 200: res.output } }, preValidation: a.requireRole(writeRole) }, async (req, reply) => {
    const expected = ifMatch(req, req.params.id);
    const row = await tx((db) => updateOne(res, ctxOf(req, db), req.params.id, req.body as Row, expected));
    return sendOne(reply, req, row, false);
  });

  const partial = input.partial();
  r.patch(`${base}:id/`, { schema: { tags: [res.tag], summary: `Update fields of a ${res.objectType}`, params: idParams, body: partial, response: { 200: res.output } }, preValidation: a.requireRole(writeRole) }, async (req, reply) => {
    const expected = ifMatch(req, req.params.id);
    const row = await tx((db) => updateOne(res, ctxOf(req, db), req.params.id, req.body as Row, expected));
    return sendOne(reply, req, row, false);
  });

  // Strict: an unknown flag is a 400, never silently ignored (a delete must do exactly what was asked).
  const deleteQuery = z
    .object({ replace_with: z.coerce.number().int().min(1).max(INT32_MAX).optional().describe('when the object is still referenced: move the references to this object first (else 409 with the counts)'), ...(res.deleteVariant?.query.shape ?? {}) })
    .strict();
  r.delete(`${base}:id/`, { schema: { tags: [res.tag], summary: `Delete a ${res.objectType}`, params: idParams, querystring: deleteQuery }, preValidation: a.requireRole(writeRole) }, async (req, reply) => {
    const expected = ifMatch(req, req.params.id);
    const { replace_with } = req.query as z.infer<typeof deleteQuery>;
    if (res.deleteVariant) {
      const body = await res.deleteVariant.handle(req.params.id, req.query as Record<string, unknown>, ctxOf(req, a.db));
      if (body !== undefined) return reply.code(202).send(body);
    }
    await tx((db) => deleteOne(res, { ...ctxOf(req, db), replaceWith: replace_with ?? null }, req.params.id, expected));
    return reply.code(204).send();
  });

  // Bulk variants: all-or-nothing in one transaction; errors name the item index.
  const bulkUpdate = z.array((partial as any).safeExtend({ id: z.number().int().min(1).max(INT32_MAX) }) as typeof partial).min(1).max(1000);
  const bulkDelete = z.array(z.object({ id: z.number().int().min(1).max(INT32_MAX) }).strict()).min(1).max(1000);
  const atIndex = async <T>(i: number, fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DomainError) {
        (err as any).fields = err.fields.length ? err.fields.map((f) => ({ field: `${i}.${f.field}`, message: f.message })) : [{ field: String(i), message: err.message }];
        err.message = `item ${i}: ${err.message}`;
      }
      throw err;
    }
  };
  r.post(`${base}bulk/`, { schema: { tags: [res.tag], summary: `Create several ${res.path} (all or nothing)`, body: z.array(input).min(1).max(1000), response: { 201: z.array(res.output) } }, preValidation: a.requireRole(writeRole) }, async (req, reply) => {
    const rows = await tx(async (db) => {
      const out: Row[] = [];
      for (const [i, item] of (req.body as Row[]).entries()) out.push(await atIndex(i, () => createOne(res, ctxOf(req, db), item)));
      return out;
    });
    return reply.code(201).send(rows.map((row) => present(req, row, false)));
  });
  r.patch(`${base}bulk/`, { schema: { tags: [res.tag], summary: `Update several ${res.path} (all or nothing)`, body: bulkUpdate, response: { 200: z.array(res.output) } }, preValidation: a.requireRole(writeRole) }, async (req) => {
    const rows = await tx(async (db) => {
      const out: Row[] = [];
      for (const [i, { id, ...item }] of (req.body as Row[]).entries()) out.push(await atIndex(i, () => updateOne(res, ctxOf(req, db), id, item, null)));
      return out;
    });
    return rows.map((row) => present(req, row, false));
  });
  r.delete(`${base}bulk/`, { schema: { tags: [res.tag], summary: `Delete several ${res.path} (all or nothing)`, body: bulkDelete }, preValidation: a.requireRole(writeRole) }, async (req, reply) => {
    await tx(async (db) => {
      for (const [i, { id }] of (req.body as Row[]).entries()) await atIndex(i, () => deleteOne(res, ctxOf(req, db), id, null));
    });
    return reply.code(204).send();
  });
}

function describeFilter(f: Filter): string {
  const s = f.schema as any;
  if (s?.def?.type === 'pipe' || s?._zod?.def?.type === 'pipe') return 'comma-separated list';
  return 'filter';
}
