// Polling endpoints: refresh the state of sessions (their routers) or of one router.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { enqueueJob } from '../jobs/jobs.service.ts';
import { NotFoundError } from '../platform/errors.ts';
import { POLLABLE_DRIVERS } from '../drivers/registry.ts';
import type { FastifyRequest } from 'fastify';
import { loadRow, type WriteContext } from '../platform/crud.ts';
import type { Executor } from '../platform/db.ts';
import { peeringSessions, sessionOutput } from '../sessions/peering-sessions.resource.ts';
import { setAdminState } from '../sessions/sessions.service.ts';

/** Mounts /api/peering-sessions/refresh/ and /api/routers/{id}/poll/. */
export default async function driverRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app as any;
  const queued = z.object({ job_id: z.number().int(), routers: z.array(z.number().int()) });
  r.post('/api/peering-sessions/refresh/', {
    schema: { tags: ['peering'], summary: "Poll live state: the given sessions' routers, or every router with polling enabled", body: z.object({ session_ids: z.array(z.number().int().min(1)).max(10_000).optional() }).strict(), response: { 202: queued } },
    preValidation: a.requireRole('operator'),
  }, async (req, reply) => {
    let ids: number[];
    if (req.body.session_ids?.length) {
      const rows = await a.db.selectFrom('peering_sessions as s').innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id').select('b.router_id').distinct().where('s.id', 'in', req.body.session_ids).execute();
      ids = rows.map((x: any) => Number(x.router_id));
    } else {
      ids = (await a.db.selectFrom('routers').select('id').where('polling_enabled', '=', true).execute()).map((x: any) => Number(x.id));
    }
    const jobId = await enqueueJob(a.db, 'bgp.poll', { router_ids: ids }, { userId: (req as any).principal.userId });
    return reply.code(202).send({ job_id: jobId, routers: ids });
  });
  r.post('/api/routers/:id/poll/', {
    schema: { tags: ['routing'], summary: `Poll this router's BGP state now (drivers: ${POLLABLE_DRIVERS.join(', ')})`, params: z.object({ id: z.coerce.number().int().min(1) }), response: { 202: queued } },
    preValidation: a.requireRole('operator'),
  }, async (req, reply) => {
    const router = await a.db.selectFrom('routers').select('id').where('id', '=', req.params.id).executeTakeFirst();
    if (!router) throw new NotFoundError('router', req.params.id);
    const jobId = await enqueueJob(a.db, 'bgp.poll', { router_ids: [req.params.id] }, { userId: (req as any).principal.userId });
    return reply.code(202).send({ job_id: jobId, routers: [req.params.id] });
  });
  const ctxOf = (req: FastifyRequest, db: Executor): WriteContext => ({ db, principal: a.principalOf(req), secrets: a.secrets, requestId: req.id });
  const tx = <T>(fn: (db: Executor) => Promise<T>) => a.db.transaction().execute(fn) as Promise<T>;
  const idParams = z.object({ id: z.coerce.number().int().min(1) });
  for (const [action, enabled] of [['admin-up', true], ['admin-down', false]] as const) {
    r.post(`/api/peering-sessions/:id/${action}/`, {
      schema: { tags: ['peering'], summary: `${action === 'admin-up' ? 'Enable' : 'Shut down'} the session's BGP peer`, params: idParams, response: { 200: sessionOutput } },
      preValidation: a.requireRole('operator'),
    }, async (req) => {
      const [row] = await tx((db) => setAdminState(ctxOf(req, db), [req.params.id], enabled));
      return peeringSessions.present(row, { includeSecrets: false, secrets: a.secrets }) as any;
    });
  }

  r.post('/api/peering-sessions/bulk-admin/', {
    schema: { tags: ['peering'], summary: 'Admin up or down several sessions (all or nothing)', body: z.object({ ids: z.array(z.number().int().min(1)).min(1).max(1000), enabled: z.boolean() }).strict(), response: { 200: z.array(sessionOutput) } },
    preValidation: a.requireRole('operator'),
  }, async (req) => {
    const rows = await tx((db) => setAdminState(ctxOf(req, db), req.body.ids, req.body.enabled));
    return rows.map((row) => peeringSessions.present(row, { includeSecrets: false, secrets: a.secrets })) as any;
  });

  r.get('/api/peering-sessions/:id/state-history/', {
    schema: {
      tags: ['peering'],
      summary: 'State changes and prefix counts of the session over time',
      params: idParams,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(500) }),
      response: { 200: z.array(z.object({ time: z.string(), state: z.string(), previous_state: z.string().nullable(), reason: z.string().nullable(), prefixes_received: z.number().int().nullable(), prefixes_accepted: z.number().int().nullable(), prefixes_advertised: z.number().int().nullable() })) },
    },
    preValidation: a.requireRole('viewer'),
  }, async (req) => {
    const s = await loadRow(peeringSessions, a.db, req.params.id);
    const rows = await a.db.selectFrom('session_state_events').selectAll().where('bgp_peer_id', '=', s.bgp_peer_id).orderBy('time', 'desc').limit(req.query.limit).execute();
    return rows.reverse().map((e: any) => ({ time: e.time, state: e.state, previous_state: e.previous_state ?? null, reason: e.reason ?? null, prefixes_received: e.prefixes_received ?? null, prefixes_accepted: e.prefixes_accepted ?? null, prefixes_advertised: e.prefixes_advertised ?? null }));
  });
}
