// Part of the shared REST machinery (see ../crud.ts): mounting one resource's REST routes on the app.
import { withTx } from '../db.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Executor } from '../db.ts';
import { generationOf } from '../db.ts';
import { DomainError, PreconditionFailedError } from '../errors.ts';
import { boundIntegers, INT32_MAX, str } from '../fields.ts';
import type { Principal } from '../principal.ts';
import { roleAtLeast } from '../principal.ts';
import type { ResponseCache } from './cache.ts';
import type { Filter, Resource, Row, WriteContext } from './types.ts';
import { listRows, loadRow, pageBounds } from './list.ts';
import { createOne, deleteOne, etagOf, updateOne, versionFromIfMatch } from './write.ts';

const pageSchema = (item: z.ZodType) =>
  z.object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });

const idParams = z.object({ id: z.coerce.number().int().min(1).max(INT32_MAX) });
/** A delete's answer: 204 without a body (`type: null` is documented as no content). */
const deleted = z.null().describe('Deleted');

/** Builds the `next`/`previous` links of a page. */
export function pageLinks(req: FastifyRequest, count: number, limit: number, offset: number) {
  const base = new URL(req.url, 'http://x');
  const link = (o: number) => {
    base.searchParams.set('offset', String(o));
    base.searchParams.set('limit', String(limit));
    return base.pathname + base.search;
  };
  return {
    next: offset + limit < count ? link(offset + limit) : null,
    previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
  };
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
  const a = app;
  const filterShape: Record<string, z.ZodType> = {};
  // An enum filter (one value of a stored enum) is documented as that enum; the others take text.
  for (const [name, f] of Object.entries(res.filters))
    filterShape[name] =
      f.schema instanceof z.ZodEnum ? f.schema.optional() : z.string().optional().describe(describeFilter(f));
  const listQuery = pageQuery.extend(filterShape).loose();
  const wantSecrets = (req: FastifyRequest, q: { include_secrets?: string }) => {
    const asked = q.include_secrets === '1' || q.include_secrets === 'true';
    if (!asked) return false;
    const p = req.principal as Principal | null;
    if (!p || !roleAtLeast(p.role, 'admin'))
      throw new DomainError('forbidden', 403, 'include_secrets requires the admin role');
    return true;
  };
  const present = (req: FastifyRequest, row: Row, secrets: boolean) =>
    res.present(row, { includeSecrets: secrets, secrets: a.secrets });
  const ctxOf = (req: FastifyRequest, db: Executor): WriteContext => ({
    db,
    principal: req.principal,
    secrets: a.secrets,
    requestId: req.id,
    config: a.config,
  });
  // Integers in bodies are bounded to their 32-bit columns here, once for every resource.
  const input = boundIntegers(res.input);
  const tx = <T>(fn: (db: Executor) => Promise<T>) => withTx(a.db, fn);
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
  r.get(
    base,
    {
      schema: { tags: [res.tag], summary: `List ${res.path}`, querystring: listQuery, response: { 200: listSchema } },
      preValidation: a.requireRole('viewer'),
    },
    async (req, reply) => {
      const q = req.query;
      const secrets = wantSecrets(req, q);
      const gen = a.responseCache && !secrets ? generationOf(a.db) : undefined;
      const key = gen?.reliable ? `${gen.current()}|${req.url}` : null;
      const compute = async () => {
        const { count, rows } = await listRows(res, a.db, q);
        const { limit, offset } = pageBounds(q);
        const brief = q.brief === '1' || q.brief === 'true';
        const page = {
          count,
          ...pageLinks(req, count, limit, offset),
          results: rows.map((row) => (brief ? res.brief(row) : present(req, row, secrets))),
        };
        // Pre-serialized bodies skip the serializer: check them against the schema here in tests.
        if (validateResponses) {
          const checked = listSchema.safeParse(page);
          if (!checked.success)
            throw new Error(
              `response of GET ${base} does not match its schema at ${checked.error.issues[0].path.join('.')}: ${checked.error.issues[0].message}`,
            );
        }
        return JSON.stringify(page);
      };
      if (!key) return sendSerialized(reply, await compute());
      const { body, hit } = await (a.responseCache as ResponseCache).getOrCompute(key, compute);
      if (hit) reply.header('x-cache', 'hit');
      return sendSerialized(reply, body);
    },
  );

  r.get(
    `${base}:id/`,
    {
      schema: {
        tags: [res.tag],
        summary: `Get one ${res.objectType}`,
        params: idParams,
        querystring: pageQuery.pick({ include_secrets: true, brief: true }),
        response: { 200: res.output },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req, reply) => {
      const secrets = wantSecrets(req, req.query);
      const row = await loadRow(res, a.db, req.params.id);
      if (req.query.brief === '1' || req.query.brief === 'true')
        return reply.header('etag', etagOf(row)).send(res.brief(row));
      return sendOne(reply, req, row, secrets);
    },
  );

  r.post(
    base,
    {
      schema: { tags: [res.tag], summary: `Create a ${res.objectType}`, body: input, response: { 201: res.output } },
      preValidation: a.requireRole(writeRole),
    },
    async (req, reply) => {
      const row = await tx((db) => createOne(res, ctxOf(req, db), req.body as Row));
      return sendOne(reply, req, row, false, 201);
    },
  );

  r.put(
    `${base}:id/`,
    {
      schema: {
        tags: [res.tag],
        summary: `Replace a ${res.objectType}`,
        params: idParams,
        body: input,
        response: { 200: res.output },
      },
      preValidation: a.requireRole(writeRole),
    },
    async (req, reply) => {
      const expected = ifMatch(req, req.params.id);
      const row = await tx((db) => updateOne(res, ctxOf(req, db), req.params.id, req.body as Row, expected));
      return sendOne(reply, req, row, false);
    },
  );

  const partial = input.partial();
  r.patch(
    `${base}:id/`,
    {
      schema: {
        tags: [res.tag],
        summary: `Update fields of a ${res.objectType}`,
        params: idParams,
        body: partial,
        response: { 200: res.output },
      },
      preValidation: a.requireRole(writeRole),
    },
    async (req, reply) => {
      const expected = ifMatch(req, req.params.id);
      const row = await tx((db) => updateOne(res, ctxOf(req, db), req.params.id, req.body as Row, expected));
      return sendOne(reply, req, row, false);
    },
  );

  // Strict: an unknown flag is a 400, never silently ignored (a delete must do exactly what was asked).
  const deleteQuery = z
    .object({
      replace_with: z.coerce
        .number()
        .int()
        .min(1)
        .max(INT32_MAX)
        .optional()
        .describe(
          'when the object is still referenced: move the references to this object first (else 409 with the counts)',
        ),
      ...(res.deleteVariant?.query.shape ?? {}),
    })
    .strict();
  r.delete(
    `${base}:id/`,
    {
      schema: {
        tags: [res.tag],
        summary: `Delete a ${res.objectType}`,
        params: idParams,
        querystring: deleteQuery,
        response: { 204: deleted, ...(res.deleteVariant ? { 202: res.deleteVariant.response } : {}) },
      },
      preValidation: a.requireRole(writeRole),
    },
    async (req, reply) => {
      const expected = ifMatch(req, req.params.id);
      const { replace_with } = req.query as z.infer<typeof deleteQuery>;
      if (res.deleteVariant) {
        const body = await res.deleteVariant.handle(
          req.params.id,
          req.query as Record<string, unknown>,
          ctxOf(req, a.db),
        );
        if (body !== undefined) return reply.code(202).send(body);
      }
      await tx((db) =>
        deleteOne(res, { ...ctxOf(req, db), replaceWith: replace_with ?? null }, req.params.id, expected),
      );
      return reply.code(204).send(null);
    },
  );

  // Bulk variants: all-or-nothing in one transaction; errors name the item index.
  const bulkUpdate = z
    .array(partial.safeExtend({ id: z.number().int().min(1).max(INT32_MAX) }))
    .min(1)
    .max(1000);
  const bulkDelete = z
    .array(z.object({ id: z.number().int().min(1).max(INT32_MAX) }).strict())
    .min(1)
    .max(1000);
  const atIndex = async <T>(i: number, fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DomainError) {
        err.fields = err.fields.length
          ? err.fields.map((f) => ({ field: `${i}.${f.field}`, message: f.message }))
          : [{ field: String(i), message: err.message }];
        err.message = `item ${i}: ${err.message}`;
      }
      throw err;
    }
  };
  r.post(
    `${base}bulk/`,
    {
      schema: {
        tags: [res.tag],
        summary: `Create several ${res.path} (all or nothing)`,
        body: z.array(input).min(1).max(1000),
        response: { 201: z.array(res.output) },
      },
      preValidation: a.requireRole(writeRole),
    },
    async (req, reply) => {
      const rows = await tx(async (db) => {
        const out: Row[] = [];
        for (const [i, item] of (req.body as Row[]).entries())
          out.push(await atIndex(i, () => createOne(res, ctxOf(req, db), item)));
        return out;
      });
      return reply.code(201).send(rows.map((row) => present(req, row, false)));
    },
  );
  r.patch(
    `${base}bulk/`,
    {
      schema: {
        tags: [res.tag],
        summary: `Update several ${res.path} (all or nothing)`,
        body: bulkUpdate,
        response: { 200: z.array(res.output) },
      },
      preValidation: a.requireRole(writeRole),
    },
    async (req) => {
      const rows = await tx(async (db) => {
        const out: Row[] = [];
        for (const [i, { id, ...item }] of req.body.entries())
          out.push(await atIndex(i, () => updateOne(res, ctxOf(req, db), id, item, null)));
        return out;
      });
      return rows.map((row) => present(req, row, false));
    },
  );
  r.delete(
    `${base}bulk/`,
    {
      schema: {
        tags: [res.tag],
        summary: `Delete several ${res.path} (all or nothing)`,
        body: bulkDelete,
        response: { 204: deleted },
      },
      preValidation: a.requireRole(writeRole),
    },
    async (req, reply) => {
      await tx(async (db) => {
        for (const [i, { id }] of req.body.entries()) await atIndex(i, () => deleteOne(res, ctxOf(req, db), id, null));
      });
      return reply.code(204).send(null);
    },
  );
}

/** Sends a page serialized (and checked) beforehand: the route's typed reply expects the object. */
function sendSerialized(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}

function describeFilter(f: Filter): string {
  if (f.schema.def.type === 'pipe' || f.schema._zod.def.type === 'pipe') return 'comma-separated list';
  return 'filter';
}
