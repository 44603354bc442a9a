// /api/changes/: the change log with filters.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageLinks, pageQuery } from '../platform/crud.ts';
import { changeOut, presentChange } from './changes.schema.ts';
import { listChanges } from './changes.query.ts';

/** Mounts the change log route. */
export default async function changeRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/changes/',
    {
      schema: {
        tags: ['changes'],
        summary: 'Change log, newest first',
        querystring: pageQuery.pick({ limit: true, offset: true }).extend({
          object_type: z.string().max(50).optional(),
          object_id: z.coerce.number().int().optional(),
          action: z.string().max(20).optional(),
          user: z.coerce.number().int().optional(),
          username: z.string().max(64).optional(),
          request_id: z.string().max(64).optional(),
          since: z.string().max(40).optional(),
          until: z.string().max(40).optional(),
        }),
        response: {
          200: z.object({
            count: z.number(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(changeOut),
          }),
        },
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req) => {
      const { count, rows } = await listChanges(app.db, req.query, req.query);
      return { count, ...pageLinks(req, count, req.query.limit, req.query.offset), results: rows.map(presentChange) };
    },
  );
}
