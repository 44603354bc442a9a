// IRR endpoints: expand and validate on demand, import a peer's AS-SET, versions/diffs and reviews.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, UpstreamError } from '../platform/errors.ts';
import { isIrrSetName } from '../platform/ip.ts';
import { enqueueJob } from '../jobs/jobs.service.ts';
import { json, pageLinks } from '../platform/crud.ts';
import type { IrrPool } from './whois.client.ts';
import { asSetReport, expandReport, type AsSetReport } from './irr.schema.ts';
import {
  approveVersion,
  defaultPool,
  importForPeerAsn,
  LIST_OUTCOME_STATUSES,
  PREFIX_LIST_VERSION_STATUSES,
  PREFIX_LIST_VERSIONS,
  presentVersion,
  rejectVersion,
} from './irr.service.ts';
import { listVersions } from '../platform/versions.ts';

const setName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine(
    isIrrSetName,
    'must be an AS-SET like AS-EXAMPLE, AS64500:AS-CUSTOMERS or RIPE::AS-EXAMPLE, or an ASN like AS64500',
  );
const sources = z
  .array(z.string().regex(/^[A-Za-z0-9-]+$/))
  .max(20)
  .optional();
const versionOut = z
  .object({
    id: z.number().int(),
    prefix_list: z.number().int(),
    version: z.number().int(),
    created_at: z.string(),
    status: z.enum(PREFIX_LIST_VERSION_STATUSES),
    reason: z.string().nullable(),
    irr_server: z.string().nullable(),
    sources: z.string().nullable(),
    query: z.string().nullable(),
    prefix_count: z.number().int(),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    decided_by: z.string().nullable(),
    decided_at: z.string().nullable(),
    entries: z
      .array(z.object({ prefix: z.string(), ge: z.number().int().nullable(), le: z.number().int().nullable() }))
      .optional()
      .describe("the version's prefixes (single-version reads only)"),
  })
  .meta({ id: 'PrefixListVersion' });
const importOut = z.object({
  peer_asn: z.object({ id: z.number().int(), asn: z.number().int() }),
  query: z.string(),
  lists: z.array(
    z.object({
      family: z.number().int(),
      prefix_list: z.object({ id: z.number().int(), name: z.string() }),
      version: z.number().int(),
      status: z.enum(LIST_OUTCOME_STATUSES),
      prefix_count: z.number().int(),
      added: z.number().int(),
      removed: z.number().int(),
      reason: z.string().nullable(),
    }),
  ),
  as_path_list: z.object({ id: z.number().int(), name: z.string(), asn_count: z.number().int() }),
  warnings: z.array(z.string()),
});

/** Mounts /api/irr/*, peer ASN import, prefix list versions and AS-path lists. */
export default async function irrRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app;
  const db = () => a.db;
  let pool: IrrPool | null = null;
  const getPool = async () => (pool ??= await defaultPool());
  app.addHook('onClose', async () => pool?.close());
  const actor = (req: FastifyRequest) => ({
    userId: req.principal?.userId ?? null,
    username: req.principal?.username ?? null,
    requestId: req.id,
  });
  const idParams = z.object({ id: z.coerce.number().int().min(1) });
  const upstream = async <T>(fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Error && (err.name === 'IrrError' || ('code' in err && /^IRR_/.test(String(err.code)))))
        throw new UpstreamError(`IRR query failed: ${err.message}`, 'irr_error');
      throw err;
    }
  };

  r.post(
    '/api/irr/expand/',
    {
      schema: {
        tags: ['irr'],
        summary: 'Expand an AS-SET or ASN into prefixes (bgpq4-identical), optionally formatted for a router',
        body: z
          .object({
            target: setName,
            family: z.enum(['4', '6', 'both']).default('both'),
            aggregate: z.boolean().optional(),
            max_length: z.number().int().min(0).max(128).optional(),
            sources,
            format: z.enum(['json', 'plain', 'junos', 'eos', 'ios', 'iosxr', 'bird', 'openbgpd']).optional(),
            name: z.string().max(64).optional(),
          })
          .strict(),
        response: {
          200: z.object({
            target: z.string(),
            prefixes: z.object({ ipv4: z.array(z.string()), ipv6: z.array(z.string()) }),
            origins: z.array(z.number().int()),
            report: expandReport,
            text: z.object({ ipv4: z.string().optional(), ipv6: z.string().optional() }).optional(),
          }),
        },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const b = req.body;
      const { expandAsSet } = await import('./expand.ts');
      const families = b.family === 'both' ? [4, 6] : [Number(b.family)];
      const res = await upstream(async () =>
        expandAsSet(
          b.target,
          { families: families as (4 | 6)[], sources: b.sources, aggregate: b.aggregate, maxLength: b.max_length },
          await getPool(),
        ),
      );
      let text: { ipv4?: string; ipv6?: string } | undefined;
      if (b.format) {
        const { formatPrefixList } = await import('./formats.ts');
        text = {};
        if (families.includes(4)) text.ipv4 = formatPrefixList(res.entries.ipv4, 4, b.format, b.name ?? 'NN');
        if (families.includes(6)) text.ipv6 = formatPrefixList(res.entries.ipv6, 6, b.format, b.name ?? 'NN');
      }
      return {
        target: res.target,
        prefixes: res.prefixes,
        origins: res.origins,
        report: res.report,
        ...(text ? { text } : {}),
      };
    },
  );

  r.post(
    '/api/irr/validate/',
    {
      schema: {
        tags: ['irr'],
        summary:
          'Validate an AS-SET: known to Peerdesk? exists in the IRR? members, depth, loops, missing sets, prefix counts',
        body: z.object({ as_set: setName, sources, check_irr: z.boolean().default(true) }).strict(),
        response: {
          200: z.object({
            as_set: z.string(),
            known: z.array(z.object({ id: z.number().int(), asn: z.number().int(), name: z.string() })),
            prefix_lists: z.array(z.object({ id: z.number().int(), name: z.string(), family: z.number().int() })),
            irr: asSetReport.nullable().describe('the IRR check (null when check_irr is false)'),
          }),
        },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const b = req.body;
      const known = await db()
        .selectFrom('peer_asns')
        .select(['id', 'asn', 'name'])
        .where('irr_as_set', '=', b.as_set)
        .orderBy('asn')
        .execute();
      const lists = known.length
        ? await db()
            .selectFrom('prefix_lists')
            .select(['id', 'name', 'family'])
            .where(
              'peer_asn_id',
              'in',
              known.map((k) => k.id),
            )
            .where('source', '=', 'irr')
            .execute()
        : [];
      let irr: AsSetReport | null = null;
      if (b.check_irr) {
        const { validateAsSet } = await import('./expand.ts');
        irr = await upstream(async () => validateAsSet(b.as_set, { sources: b.sources }, await getPool()));
      }
      return {
        as_set: b.as_set,
        known: known.map((k) => ({ id: Number(k.id), asn: Number(k.asn), name: k.name })),
        prefix_lists: lists.map((l) => ({ id: Number(l.id), name: l.name, family: Number(l.family) })),
        irr,
      };
    },
  );

  r.post(
    '/api/peer-asns/:id/irr-import/',
    {
      schema: {
        tags: ['irr'],
        summary:
          "Expand the peer's AS-SET (or the one given) and store its prefix lists and AS-path list (the wizard's Import)",
        params: idParams,
        body: z
          .object({
            as_set: setName.optional(),
            sources,
            aggregate: z.boolean().optional(),
            force: z
              .boolean()
              .optional()
              .describe('accept an empty or >50% smaller result instead of holding it for review'),
          })
          .strict(),
        response: { 200: importOut },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req) => {
      return upstream(async () =>
        importForPeerAsn(
          a.db,
          req.params.id,
          {
            asSet: req.body.as_set,
            sources: req.body.sources,
            aggregate: req.body.aggregate,
            force: req.body.force,
            actor: actor(req),
          },
          await getPool(),
        ),
      );
    },
  );

  r.post(
    '/api/irr/refresh/',
    {
      schema: {
        tags: ['irr'],
        summary: 'Queue the IRR refresh job (all peers with an AS-SET, or the given ones)',
        body: z
          .object({
            peer_asn_ids: z.array(z.number().int().min(1)).max(100_000).optional(),
            concurrency: z.number().int().min(1).max(256).optional(),
          })
          .strict(),
        response: { 202: z.object({ job_id: z.number().int() }) },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => {
      const id = await enqueueJob(
        a.db,
        'irr.refresh_all',
        {
          ...(req.body.peer_asn_ids ? { peer_asn_ids: req.body.peer_asn_ids } : {}),
          ...(req.body.concurrency ? { concurrency: req.body.concurrency } : {}),
        },
        { userId: req.principal?.userId ?? null },
      );
      return reply.code(202).send({ job_id: id });
    },
  );

  r.get(
    '/api/prefix-lists/:id/versions/',
    {
      schema: {
        tags: ['irr'],
        summary: 'Versions of a prefix list, newest first, with added/removed prefixes',
        params: idParams,
        response: { 200: z.array(versionOut) },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const l = await a.db.selectFrom('prefix_lists').select('id').where('id', '=', req.params.id).executeTakeFirst();
      if (!l) throw new NotFoundError('prefix-list', req.params.id);
      return (await listVersions(a.db, PREFIX_LIST_VERSIONS, req.params.id)).map((v) => presentVersion(v));
    },
  );

  r.get(
    '/api/prefix-list-versions/',
    {
      schema: {
        tags: ['irr'],
        summary: 'Prefix list versions across lists (status=held for the review queue)',
        querystring: z.object({
          status: z.enum(PREFIX_LIST_VERSION_STATUSES).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: {
          200: z.object({
            count: z.number(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(versionOut.extend({ prefix_list_name: z.string() })),
          }),
        },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      let q = db().selectFrom('prefix_list_versions as v').innerJoin('prefix_lists as l', 'l.id', 'v.prefix_list_id');
      if (req.query.status) q = q.where('v.status', '=', req.query.status);
      const count = Number((await q.select((eb) => eb.fn.countAll().as('c')).executeTakeFirstOrThrow()).c);
      const rows = await q
        .selectAll('v')
        .select('l.name as list_name')
        .orderBy('v.id', 'desc')
        .limit(req.query.limit)
        .offset(req.query.offset)
        .execute();
      return {
        count,
        ...pageLinks(req, count, req.query.limit, req.query.offset),
        results: rows.map((v) => ({ ...presentVersion(v), prefix_list_name: v.list_name })),
      };
    },
  );

  r.get(
    '/api/prefix-list-versions/:id/',
    {
      schema: {
        tags: ['irr'],
        summary: 'One version with its entries',
        params: idParams,
        response: { 200: versionOut },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const v = await a.db
        .selectFrom('prefix_list_versions')
        .selectAll()
        .where('id', '=', req.params.id)
        .executeTakeFirst();
      if (!v) throw new NotFoundError('prefix-list-version', req.params.id);
      return presentVersion(v, true);
    },
  );

  for (const [action, fn] of [
    ['approve', approveVersion],
    ['reject', rejectVersion],
  ] as const) {
    r.post(
      `/api/prefix-list-versions/:id/${action}/`,
      {
        schema: {
          tags: ['irr'],
          summary: `${action === 'approve' ? 'Accept' : 'Reject'} a refresh held for review`,
          params: idParams,
          response: { 200: versionOut },
        },
        preValidation: a.requireRole('operator'),
      },
      async (req) => {
        const v = await fn(a.db, req.params.id, actor(req));
        return presentVersion(v);
      },
    );
  }

  r.get(
    '/api/as-path-lists/',
    {
      schema: {
        tags: ['irr'],
        summary: 'AS-path lists (origin ASNs of each peer’s AS-SET)',
        querystring: z.object({
          peer_asn: z.coerce.number().int().optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: {
          200: z.object({
            count: z.number(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(
              z.object({
                id: z.number().int(),
                name: z.string(),
                peer_asn: z.number().int().nullable(),
                query: z.string().nullable(),
                asns: z.array(z.number().int()),
                updated_at: z.string(),
              }),
            ),
          }),
        },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      let q = db().selectFrom('as_path_lists');
      if (req.query.peer_asn !== undefined) q = q.where('peer_asn_id', '=', req.query.peer_asn);
      const count = Number((await q.select((eb) => eb.fn.countAll().as('c')).executeTakeFirstOrThrow()).c);
      const rows = await q.selectAll().orderBy('name').limit(req.query.limit).offset(req.query.offset).execute();
      return {
        count,
        ...pageLinks(req, count, req.query.limit, req.query.offset),
        results: rows.map((l) => ({
          id: Number(l.id),
          name: l.name,
          peer_asn: l.peer_asn_id ? Number(l.peer_asn_id) : null,
          query: l.query ?? null,
          asns: json<number[]>(l.asns, []),
          updated_at: l.updated_at,
        })),
      };
    },
  );
}
