// /api/changes/: the change log with filters.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { json, pageLinks, pageQuery } from '../platform/crud.ts';

const changeOut = z.object({ id: z.number().int(), time: z.string(), user: z.object({ id: z.number().int().nullable(), username: z.string().nullable() }), action: z.string(), object_type: z.string(), object_id: z.number().int().nullable(), object_repr: z.string().nullable(), before: z.unknown(), after: z.unknown(), request_id: z.string().nullable() }).meta({ id: 'Change' });

/** Mounts the change log route. */
export default async function changeRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app as any;
  r.get('/api/changes/', {
    schema: {
      tags: ['changes'],
      summary: 'Change log, newest first',
      querystring: pageQuery.pick({ limit: true, offset: true }).extend({ object_type: z.string().max(50).optional(), object_id: z.coerce.number().int().optional(), action: z.string().max(20).optional(), user: z.coerce.number().int().optional(), username: z.string().max(64).optional(), request_id: z.string().max(64).optional(), since: z.string().max(40).optional(), until: z.string().max(40).optional() }),
      response: { 200: z.object({ count: z.number(), next: z.string().nullable(), previous: z.string().nullable(), results: z.array(changeOut) }) },
    },
    preValidation: a.requireRole('viewer'),
  }, async (req) => {
    const f = req.query;
    let q = a.db.selectFrom('changes');
    if (f.object_type) q = q.where('object_type', '=', f.object_type);
    if (f.object_id !== undefined) q = q.where('object_id', '=', f.object_id);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.user !== undefined) q = q.where('user_id', '=', f.user);
    if (f.username) q = q.where('username', '=', f.username);
    if (f.request_id) q = q.where('request_id', '=', f.request_id);
    if (f.since) q = q.where('time', '>=', f.since);
    if (f.until) q = q.where('time', '<', f.until);
    const count = Number((await q.select((eb: any) => eb.fn.countAll().as('c')).executeTakeFirst()).c);
    const rows = await q.selectAll().orderBy('id', 'desc').limit(f.limit).offset(f.offset).execute();
    return {
      count,
      ...pageLinks(req, count, f.limit, f.offset),
      results: rows.map((c: any) => ({ id: Number(c.id), time: c.time, user: { id: c.user_id ? Number(c.user_id) : null, username: c.username ?? null }, action: c.action, object_type: c.object_type, object_id: c.object_id === null ? null : Number(c.object_id), object_repr: c.object_repr ?? null, before: json(c.before, null), after: json(c.after, null), request_id: c.request_id ?? null })),
    };
  });
}
