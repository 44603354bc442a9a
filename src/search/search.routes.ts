// Global search for the top bar: one request finds peer ASNs, sessions, routers and fabrics by
// ASN, name, IP or service reference.
import { effectiveState } from '../sessions/session-rules.ts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { icontains } from '../platform/db.ts';
import { parseAsn, parseIp } from '../platform/ip.ts';

const hit = z.object({ type: z.enum(['peer-asn', 'peering-session', 'router', 'fabric', 'bgp-peer']), id: z.number().int(), title: z.string(), subtitle: z.string().nullable() });

/** Mounts GET /api/search/. */
export default async function searchRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app as any;
  r.get('/api/search/', {
    schema: { tags: ['system'], summary: 'Search peer ASNs, sessions, routers and fabrics by ASN, name, IP or service reference', querystring: z.object({ q: z.string().trim().min(1).max(200), limit: z.coerce.number().int().min(1).max(50).default(10) }), response: { 200: z.object({ q: z.string(), results: z.array(hit) }) } },
    preValidation: a.requireRole('viewer'),
  }, async (req) => {
    const { q, limit } = req.query;
    const db = a.db;
    const asn = /^(as)?\d+(\.\d+)?$/i.test(q) ? parseAsn(q) : null;
    const ip = parseIp(q);
    const results: z.infer<typeof hit>[] = [];
    let asq = db.selectFrom('peer_asns').select(['id', 'asn', 'name', 'irr_as_set']);
    asq = asn !== null ? asq.where((eb: any) => eb.or([eb('asn', '=', asn), icontains('name', q)])) : asq.where((eb: any) => eb.or([icontains('name', q), icontains('irr_as_set', q)]));
    for (const p of await asq.orderBy('asn').limit(limit).execute()) results.push({ type: 'peer-asn', id: Number(p.id), title: `AS${p.asn} ${p.name}`, subtitle: p.irr_as_set ?? null });
    let sq = db
      .selectFrom('peering_sessions as s')
      .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
      .innerJoin('routers as r', 'r.id', 'b.router_id')
      .innerJoin('peer_asns as a', 'a.id', 's.peer_asn_id')
      .select(['s.id', 'b.peer_ip', 'r.name as router', 'a.asn', 'a.name', 's.service_reference']);
    sq = ip ? sq.where('b.peer_ip', '=', ip.text) : asn !== null ? sq.where('a.asn', '=', asn) : sq.where((eb: any) => eb.or([icontains('s.service_reference', q), icontains('b.peer_ip', q), icontains('s.notes', q)]));
    for (const s of await sq.orderBy('s.id').limit(limit).execute()) results.push({ type: 'peering-session', id: Number(s.id), title: `AS${s.asn} ${s.name} ${s.peer_ip}`, subtitle: [s.router, s.service_reference].filter(Boolean).join(' · ') || null });
    for (const rt of await db.selectFrom('routers').select(['id', 'name', 'hostname']).where((eb: any) => eb.or([icontains('name', q), icontains('hostname', q)])).orderBy('name').limit(limit).execute())
      results.push({ type: 'router', id: Number(rt.id), title: rt.name, subtitle: rt.hostname ?? null });
    for (const f of await db.selectFrom('fabrics').select(['id', 'name', 'type']).where((eb: any) => eb.or([icontains('name', q), icontains('slug', q)])).orderBy('name').limit(limit).execute())
      results.push({ type: 'fabric', id: Number(f.id), title: f.name, subtitle: f.type });
    if (ip) {
      for (const b of await db.selectFrom('bgp_peers as b').innerJoin('routers as r', 'r.id', 'b.router_id').leftJoin('peering_sessions as s', 's.bgp_peer_id', 'b.id').select(['b.id', 'b.peer_ip', 'r.name as router']).where('b.peer_ip', '=', ip.text).where('s.id', 'is', null).limit(limit).execute())
        results.push({ type: 'bgp-peer', id: Number(b.id), title: `${b.peer_ip} (no session)`, subtitle: b.router });
    }
    return { q, results };
  });

  r.get('/api/routers/:id/state-summary/', {
    schema: { tags: ['routing'], summary: "Counts of the router's BGP peers by state (admin-down separately)", params: z.object({ id: z.coerce.number().int().min(1) }), response: { 200: z.object({ router: z.number().int(), total: z.number().int(), by_state: z.record(z.string(), z.number().int()), last_polled_at: z.string().nullable() }) } },
    preValidation: a.requireRole('viewer'),
  }, async (req) => {
    const router = await a.db.selectFrom('routers').select(['id', 'last_polled_at']).where('id', '=', req.params.id).executeTakeFirst();
    if (!router) throw new (await import('../platform/errors.ts')).NotFoundError('router', req.params.id);
    const rows = await a.db
      .selectFrom('bgp_peers')
      .select(['state', 'enabled'])
      .select((eb: any) => eb.fn.countAll().as('c'))
      .where('router_id', '=', req.params.id)
      .groupBy(['state', 'enabled'])
      .execute();
    const by: Record<string, number> = {};
    let total = 0;
    for (const row of rows) {
      const key = effectiveState(row.enabled, row.state);
      by[key] = (by[key] ?? 0) + Number(row.c);
      total += Number(row.c);
    }
    return { router: req.params.id, total, by_state: by, last_polled_at: router.last_polled_at ?? null };
  });
}
