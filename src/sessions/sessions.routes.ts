// Session endpoints beyond CRUD: wizard create, admin up/down (single and bulk), delete, state history.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadRow, type WriteContext } from '../platform/crud.ts';
import type { Executor } from '../platform/db.ts';
import { peeringSessions, sessionOutput } from './peering-sessions.resource.ts';
import { createFromWizard, deleteSessions, setAdminState, wizardInput } from './sessions.service.ts';

/** Mounts the session workflow routes. */
export default async function sessionRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app as any;
  const ctxOf = (req: FastifyRequest, db: Executor): WriteContext => ({ db, principal: a.principalOf(req), secrets: a.secrets, requestId: req.id });
  const tx = <T>(fn: (db: Executor) => Promise<T>) => a.db.transaction().execute(fn) as Promise<T>;
  const present = async (ids: number[]) => {
    const rows = [];
    for (const id of ids) rows.push(peeringSessions.present(await loadRow(peeringSessions, a.db, id), { includeSecrets: false, secrets: a.secrets }));
    return rows;
  };

  r.post('/api/peering-sessions/wizard/', {
    schema: { tags: ['peering'], summary: 'Create sessions from the five-step wizard (peer ASN if new, one BGP peer + session per address)', body: wizardInput, response: { 201: z.array(sessionOutput) } },
    preValidation: a.requireRole('operator'),
  }, async (req, reply) => {
    const ids = await tx((db) => createFromWizard(ctxOf(req, db), req.body));
    return reply.code(201).send((await present(ids)) as any);
  });

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

  r.post('/api/peering-sessions/bulk-delete/', {
    schema: { tags: ['peering'], summary: 'Delete sessions, optionally with their BGP peers (all or nothing)', body: z.object({ ids: z.array(z.number().int().min(1)).min(1).max(1000), delete_bgp_peers: z.boolean().optional() }).strict() },
    preValidation: a.requireRole('operator'),
  }, async (req, reply) => {
    await tx((db) => deleteSessions(ctxOf(req, db), req.body.ids, req.body.delete_bgp_peers ?? false));
    return reply.code(204).send();
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
