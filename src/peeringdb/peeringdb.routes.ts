// HTTP routes for PeeringDB: sync and mirror status, lookups, fabrics from exchanges, candidates,
// peer ASN divergence/sync, reverse opportunities and IX-F. Thin: validate, authorise, call, present.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../platform/db.ts';
import { ValidationError } from '../platform/errors.ts';
import { parseAsn } from '../platform/ip.ts';
import type { Actor } from '../changes/changes.service.ts';
import { listSyncRuns, mirrorStatus } from './peeringdb.sync.ts';
import * as svc from './peeringdb.service.ts';
import { compareIxf, importIxf } from './ixf.ts';
import {
  candidate,
  createSessionsOut,
  divergenceOut,
  exchangeDetail,
  exchangeSummary,
  fabricCreatedOut,
  fabricResyncOut,
  ixfComparison,
  ixfImportOut,
  jobQueued,
  networkAddressesOut,
  networkSummary,
  opportunities,
  peerAsnSyncResult,
  syncRun,
} from './peeringdb.schema.ts';

const tags = ['peeringdb'];
const id = z.coerce
  .number()
  .int()
  .min(1)
  .max(2 ** 53 - 1);
// An ASN as people write it (64500, AS64500, asdot 1.10), so the path parameter is text.
const asnParam = z
  .string()
  .describe('an ASN: 64500, AS64500 or asdot 1.10')
  .transform((v, ctx) => {
    const n = parseAsn(v);
    if (n === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an ASN like 64500 or AS64500' });
      return z.NEVER;
    }
    return n;
  });
const boolQuery = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const asnList = z.array(z.number().int().min(0).max(4294967295)).min(1).max(10_000);

function actorOf(req: FastifyRequest): Actor {
  const p = req.principal;
  return { userId: p?.userId ?? null, username: p?.username ?? null, requestId: req.id };
}

function page(req: FastifyRequest, count: number, limit: number, offset: number) {
  const url = new URL(req.url, 'http://x');
  const link = (o: number) => {
    url.searchParams.set('offset', String(o));
    url.searchParams.set('limit', String(limit));
    return url.pathname + url.search;
  };
  return {
    next: offset + limit < count ? link(offset + limit) : null,
    previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
  };
}

/** Mounts the PeeringDB routes (the core provides db, requireRole and enqueueJob decorators). */
export default async function peeringdbRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = (): Db => app.db;
  const viewer = app.requireRole('viewer');
  const operator = app.requireRole('operator');

  const enqueue = async (req: FastifyRequest, kind: string, payload: unknown): Promise<number> => {
    if (typeof app.enqueueJob !== 'function') throw new Error('the job queue is not available in this server');
    return Number(await app.enqueueJob(kind, payload, req.principal?.userId ?? null));
  };

  // ----- sync and mirror ---------------------------------------------------------------------
  r.post(
    '/api/peeringdb/sync',
    {
      schema: {
        tags,
        summary: 'Queue a PeeringDB sync (full the first time, incremental after)',
        body: z.object({ full: z.boolean().optional() }).strict().optional(),
        response: { 202: jobQueued },
      },
      preValidation: operator,
    },
    async (req, reply) => {
      const jobId = await enqueue(req, 'peeringdb.sync', { full: req.body?.full ?? false });
      return reply.code(202).send({ job_id: jobId, kind: 'peeringdb.sync' });
    },
  );

  r.get(
    '/api/peeringdb/sync-runs',
    {
      schema: {
        tags,
        summary: 'PeeringDB sync runs, newest first',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: {
          200: z.object({
            count: z.number().int(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(syncRun),
          }),
        },
      },
      preValidation: viewer,
    },
    async (req) => {
      const { limit, offset } = req.query;
      const res = await listSyncRuns(db(), { limit, offset });
      return { count: res.count, ...page(req, res.count, limit, offset), results: res.results };
    },
  );

  r.get(
    '/api/peeringdb/status',
    {
      schema: {
        tags,
        summary: 'Mirror state: rows and last update per type, last run and last success',
        response: {
          200: z.object({
            url: z.string(),
            api_key_configured: z.boolean(),
            types: z.record(
              z.string(),
              z.object({
                count: z.number().int(),
                last_updated: z.string().nullable(),
                last_sync_at: z.string().nullable(),
              }),
            ),
            last_run: syncRun.nullable(),
            last_success: syncRun.nullable(),
          }),
        },
      },
      preValidation: viewer,
    },
    async () => {
      const cfg = app.config;
      const s = await mirrorStatus(db());
      return {
        url: cfg.PEERDESK_PEERINGDB_URL ?? 'https://www.peeringdb.com/api',
        api_key_configured: !!cfg.PEERDESK_PEERINGDB_API_KEY,
        ...s,
      };
    },
  );

  // ----- lookups for the wizard ---------------------------------------------------------------
  r.get(
    '/api/peeringdb/networks',
    {
      schema: {
        tags,
        summary: 'Search PeeringDB networks by name or ASN',
        querystring: z.object({
          q: z.string().trim().min(1).max(200),
          limit: z.coerce.number().int().min(1).max(200).default(20),
        }),
        response: {
          200: z.object({
            count: z.number().int(),
            next: z.null(),
            previous: z.null(),
            results: z.array(networkSummary),
          }),
        },
      },
      preValidation: viewer,
    },
    async (req) => {
      const results = await svc.searchNetworks(db(), req.query.q, req.query.limit);
      return { count: results.length, next: null, previous: null, results };
    },
  );

  r.get(
    '/api/peeringdb/networks/:asn/addresses',
    {
      schema: {
        tags,
        summary: "A network's addresses on one fabric (from netixlan), with existing sessions marked",
        params: z.object({ asn: asnParam }),
        querystring: z.object({ fabric: id, router: id.optional().describe('mark has_session for this router only') }),
        response: { 200: networkAddressesOut },
      },
      preValidation: viewer,
    },
    async (req) => svc.networkAddresses(db(), req.params.asn, req.query.fabric, req.query.router ?? null),
  );

  r.get(
    '/api/peeringdb/exchanges',
    {
      schema: {
        tags,
        summary: 'Search PeeringDB exchanges by name, city or id',
        querystring: z.object({
          q: z.string().trim().max(200).default(''),
          limit: z.coerce.number().int().min(1).max(500).default(20),
        }),
        response: {
          200: z.object({
            count: z.number().int(),
            next: z.null(),
            previous: z.null(),
            results: z.array(exchangeSummary),
          }),
        },
      },
      preValidation: viewer,
    },
    async (req) => {
      const results = await svc.searchExchanges(db(), req.query.q, req.query.limit);
      return { count: results.length, next: null, previous: null, results };
    },
  );

  r.get(
    '/api/peeringdb/exchanges/:id',
    {
      schema: {
        tags,
        summary: 'One exchange with its LANs, prefixes and member counts',
        params: z.object({ id }),
        response: { 200: exchangeDetail },
      },
      preValidation: viewer,
    },
    async (req) => svc.getExchange(db(), req.params.id),
  );

  // ----- fabrics from PeeringDB ---------------------------------------------------------------
  r.post(
    '/api/fabrics/from-peeringdb',
    {
      schema: {
        tags,
        summary: 'Create a fabric from a PeeringDB exchange: one network per ixlan prefix (IPv4 and IPv6)',
        body: z.object({ ix_id: z.number().int().min(1), name: z.string().trim().min(1).max(200).optional() }).strict(),
        response: { 201: fabricCreatedOut },
      },
      preValidation: operator,
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await svc.createFabricFromExchange(db(), req.body.ix_id, actorOf(req), { name: req.body.name })),
  );

  r.post(
    '/api/fabrics/:id/resync-peeringdb',
    {
      schema: {
        tags,
        summary: "Update a fabric's networks from PeeringDB (prefixes, MTU, route-server ASN, ids)",
        params: z.object({ id }),
        response: { 200: fabricResyncOut },
      },
      preValidation: operator,
    },
    async (req) => svc.resyncFabric(db(), req.params.id, actorOf(req)),
  );

  // ----- candidates ------------------------------------------------------------------------------
  r.get(
    '/api/fabrics/:id/candidates',
    {
      schema: {
        tags,
        summary: 'Networks on the fabric without a session from us on at least one address, ranked by score',
        params: z.object({ id }),
        querystring: z.object({
          include_hidden: boolQuery.optional(),
          router: id
            .optional()
            .describe(
              "candidates of this router: addresses it has no session with (another router's session does not count)",
            ),
          q: z.string().trim().max(200).optional(),
          policy: z.string().trim().max(40).optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: {
          200: z.object({
            count: z.number().int(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(candidate),
          }),
        },
      },
      preValidation: viewer,
    },
    async (req) => {
      const all = await svc.listCandidates(db(), req.params.id, {
        includeHidden: req.query.include_hidden,
        q: req.query.q,
        policy: req.query.policy,
        routerId: req.query.router ?? null,
      });
      const { limit, offset } = req.query;
      return { count: all.length, ...page(req, all.length, limit, offset), results: all.slice(offset, offset + limit) };
    },
  );

  r.post(
    '/api/fabrics/:id/candidates/hide',
    {
      schema: {
        tags,
        summary: 'Hide candidates on this fabric, optionally until a date',
        params: z.object({ id }),
        body: z
          .object({
            asns: asnList,
            until: z.string().max(40).nullable().optional(),
            reason: z.string().max(500).nullable().optional(),
          })
          .strict(),
        response: { 200: z.object({ hidden: z.array(z.number().int()), until: z.string().nullable() }) },
      },
      preValidation: operator,
    },
    async (req) =>
      svc.hideCandidates(
        db(),
        req.params.id,
        req.body.asns,
        { until: req.body.until, reason: req.body.reason },
        actorOf(req),
      ),
  );

  r.post(
    '/api/fabrics/:id/candidates/unhide',
    {
      schema: {
        tags,
        summary: 'Show hidden candidates again',
        params: z.object({ id }),
        body: z.object({ asns: asnList }).strict(),
        response: { 200: z.object({ unhidden: z.array(z.number().int()) }) },
      },
      preValidation: operator,
    },
    async (req) => svc.unhideCandidates(db(), req.params.id, req.body.asns),
  );

  r.post(
    '/api/fabrics/:id/candidates/create-sessions',
    {
      schema: {
        tags,
        summary:
          "Create peer ASNs (if missing), BGP peers and peering sessions from the router's candidates, in one transaction (the wizard's write path)",
        params: z.object({ id }),
        body: z
          .object({
            router_id: z.number().int().min(1),
            peer_group_id: z.number().int().min(1).nullable().optional(),
            relationship_id: z.number().int().min(1).nullable().optional(),
            enabled: z.boolean().optional(),
            candidates: z
              .array(
                z
                  .object({
                    asn: z.number().int().min(0).max(4294967295),
                    addresses: z.array(z.string().max(64)).max(64).optional(),
                  })
                  .strict(),
              )
              .min(1)
              .max(5000),
          })
          .strict(),
        response: { 201: createSessionsOut },
      },
      preValidation: operator,
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await svc.createSessionsFromCandidates(db(), req.params.id, req.body, actorOf(req), app.secrets)),
  );

  r.get(
    '/api/asns/:asn/peering-opportunities',
    {
      schema: {
        tags,
        summary:
          'For one ASN: every fabric of ours where we could peer with it, and exchanges we share without a fabric',
        params: z.object({ asn: asnParam }),
        response: { 200: opportunities },
      },
      preValidation: viewer,
    },
    async (req) => svc.peeringOpportunities(db(), req.params.asn),
  );

  // ----- peer ASNs ------------------------------------------------------------------------------
  r.get(
    '/api/peer-asns/:id/peeringdb',
    {
      schema: {
        tags,
        summary: 'Local values against PeeringDB (divergence view)',
        params: z.object({ id }),
        response: { 200: divergenceOut },
      },
      preValidation: viewer,
    },
    async (req) => svc.peerAsnDivergence(db(), req.params.id),
  );

  r.post(
    '/api/peer-asns/:id/peeringdb',
    {
      schema: {
        tags,
        summary: 'Sync one peer ASN from PeeringDB now (followed fields; empty PeeringDB values never overwrite)',
        params: z.object({ id }),
        response: { 200: z.object({ result: peerAsnSyncResult, divergence: divergenceOut }) },
      },
      preValidation: operator,
    },
    async (req) => {
      const result = await svc.syncPeerAsn(db(), req.params.id, actorOf(req));
      return { result, divergence: await svc.peerAsnDivergence(db(), req.params.id) };
    },
  );

  r.post(
    '/api/peer-asns/sync-peeringdb',
    {
      schema: {
        tags,
        summary: 'Queue a job that syncs every peer ASN (or the given ones) from PeeringDB',
        body: z
          .object({ peer_asn_ids: z.array(z.number().int().min(1)).max(100_000).optional() })
          .strict()
          .optional(),
        response: { 202: jobQueued },
      },
      preValidation: operator,
    },
    async (req, reply) => {
      const jobId = await enqueue(
        req,
        'peeringdb.sync_peer_asns',
        req.body?.peer_asn_ids ? { peer_asn_ids: req.body.peer_asn_ids } : {},
      );
      return reply.code(202).send({ job_id: jobId, kind: 'peeringdb.sync_peer_asns' });
    },
  );

  // ----- IX-F --------------------------------------------------------------------------------
  r.post(
    '/api/fabrics/:id/ixf',
    {
      schema: {
        tags,
        summary: 'Import an IX-F member export (schema 0.6–1.0) for this fabric, from a URL or inline JSON',
        params: z.object({ id }),
        body: z
          .object({
            url: z.string().max(2000).optional(),
            data: z.record(z.string(), z.unknown()).optional().describe('the IX-F JSON export'),
            ixp_id: z.number().int().nullable().optional(),
          })
          .strict(),
        response: { 201: ixfImportOut },
      },
      preValidation: operator,
    },
    async (req, reply) => {
      if (!req.body.url && !req.body.data) throw new ValidationError('url', 'give the export as url or data');
      return reply.code(201).send(await importIxf(db(), req.params.id, req.body, actorOf(req)));
    },
  );

  r.get(
    '/api/fabrics/:id/ixf',
    {
      schema: {
        tags,
        summary:
          'Compare the imported IX-F member list with PeeringDB (members only in one, differing IPs, route-server flags)',
        params: z.object({ id }),
        response: { 200: ixfComparison },
      },
      preValidation: viewer,
    },
    async (req) => compareIxf(db(), req.params.id),
  );
}
