// Session endpoints beyond CRUD: wizard create and bulk delete (admin state and history live in src/polling/).
import { withTx } from '../platform/db.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadRow, type WriteContext } from '../platform/crud.ts';
import type { Executor } from '../platform/db.ts';
import { peeringSessions, presentSession, sessionOutput } from './peering-sessions.resource.ts';
import { createFromWizard, deleteSessions, wizardInput } from './sessions.service.ts';

/** Mounts the session workflow routes. */
export default async function sessionRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app;
  const ctxOf = (req: FastifyRequest, db: Executor): WriteContext => ({
    db,
    principal: a.principalOf(req),
    secrets: a.secrets,
    requestId: req.id,
  });
  const tx = <T>(fn: (db: Executor) => Promise<T>) => withTx(a.db, fn);
  const present = async (ids: number[]) => {
    const rows = [];
    for (const id of ids) rows.push(presentSession(await loadRow(peeringSessions, a.db, id)));
    return rows;
  };

  r.post(
    '/api/peering-sessions/wizard/',
    {
      schema: {
        tags: ['peering'],
        summary: 'Create sessions from the five-step wizard (peer ASN if new, one BGP peer + session per address)',
        body: wizardInput,
        response: { 201: z.array(sessionOutput) },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => {
      const ids = await tx((db) => createFromWizard(ctxOf(req, db), req.body));
      return reply.code(201).send(await present(ids));
    },
  );

  const idParams = z.object({
    id: z.coerce
      .number()
      .int()
      .min(1)
      .max(2 ** 53 - 1),
  });

  r.get(
    '/api/peering-sessions/:id/warnings/',
    {
      schema: {
        tags: ['peering'],
        summary:
          'What to fix before deploying this session: no source address or connection, and families rendered without an import or export filter',
        params: idParams,
        response: { 200: z.object({ session_id: z.number().int(), warnings: z.array(z.string()) }) },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const row = await loadRow(peeringSessions, a.db, req.params.id);
      const warnings: string[] = [...(row.__warnings ?? [])];
      // The filter rule lives with the templates (render-config and the preview use it too).
      let templates: typeof import('../templates/warnings.ts') | null = null;
      try {
        templates = await import('../templates/warnings.ts');
      } catch {
        templates = null; // an installation without the templates capability
      }
      if (templates) for (const w of await templates.sessionWarningsById(a.db, req.params.id)) warnings.push(w.message);
      return { session_id: req.params.id, warnings };
    },
  );
  r.post(
    '/api/peering-sessions/bulk-delete/',
    {
      schema: {
        tags: ['peering'],
        summary: 'Delete sessions with the BGP peers they wrap (all or nothing); the routers are not changed',
        body: z
          .object({
            ids: z.array(z.number().int().min(1)).min(1).max(1000),
            delete_bgp_peers: z.boolean().optional().describe('default true; false keeps the BGP peers (unwrapped)'),
          })
          .strict(),
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => {
      // Never an orphan BGP peer unless the caller asks for one (delete_bgp_peers: false).
      await tx((db) => deleteSessions(ctxOf(req, db), req.body.ids, req.body.delete_bgp_peers ?? true));
      return reply.code(204).send();
    },
  );
}
