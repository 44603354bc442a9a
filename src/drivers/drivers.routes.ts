// Polling endpoints: refresh the state of sessions (their routers) or of one router.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { enqueueJob } from '../jobs/jobs.service.ts';
import { NotFoundError } from '../platform/errors.ts';
import { POLLABLE_DRIVERS } from './registry.ts';

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
}
