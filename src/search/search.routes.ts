// Global search for the top bar: one request finds peer ASNs, sessions, routers and fabrics by
// ASN, name, IP or service reference.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hit, stateSummaryOut } from './search.schema.ts';
import { routerStateSummary, search } from './search.service.ts';

/** Mounts GET /api/search/. */
export default async function searchRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/search/',
    {
      schema: {
        tags: ['system'],
        summary: 'Search peer ASNs, sessions, routers and fabrics by ASN, name, IP or service reference',
        querystring: z.object({
          q: z.string().trim().min(1).max(200),
          limit: z.coerce.number().int().min(1).max(50).default(10),
        }),
        response: { 200: z.object({ q: z.string(), results: z.array(hit) }) },
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req) => ({ q: req.query.q, results: await search(app.db, req.query.q, req.query.limit) }),
  );

  r.get(
    '/api/routers/:id/state-summary/',
    {
      schema: {
        tags: ['routing'],
        summary: "Counts of the router's BGP peers by state (admin-down separately)",
        params: z.object({ id: z.coerce.number().int().min(1) }),
        response: { 200: stateSummaryOut },
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req) => routerStateSummary(app.db, req.params.id),
  );
}
