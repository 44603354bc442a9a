// Global search for the top bar (peer ASNs, sessions, routers, fabrics and session-less BGP peers by
// ASN, name, IP or service reference) and a router's BGP state summary.
import { icontains, type Executor } from '../platform/db.ts';
import { NotFoundError } from '../platform/errors.ts';
import { parseAsn, parseIp } from '../platform/ip.ts';
import { effectiveState } from '../sessions/session-rules.ts';
import type { SearchHit, StateSummary } from './search.schema.ts';

/** Up to `limit` hits of each kind for `q`: an ASN, an IP address or text. */
export async function search(db: Executor, q: string, limit: number): Promise<SearchHit[]> {
  const asn = /^(as)?\d+(\.\d+)?$/i.test(q) ? parseAsn(q) : null;
  const ip = parseIp(q);
  const results: SearchHit[] = [];

  const peerAsns = await db
    .selectFrom('peer_asns')
    .select(['id', 'asn', 'name', 'irr_as_set'])
    .where((eb) =>
      asn !== null
        ? eb.or([eb('asn', '=', asn), icontains('name', q)])
        : eb.or([icontains('name', q), icontains('irr_as_set', q)]),
    )
    .orderBy('asn')
    .limit(limit)
    .execute();
  for (const p of peerAsns)
    results.push({ type: 'peer-asn', id: Number(p.id), title: `AS${p.asn} ${p.name}`, subtitle: p.irr_as_set ?? null });

  let sq = db
    .selectFrom('peering_sessions as s')
    .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
    .innerJoin('routers as r', 'r.id', 'b.router_id')
    .innerJoin('peer_asns as a', 'a.id', 's.peer_asn_id')
    .select(['s.id', 'b.peer_ip', 'r.name as router', 'a.asn', 'a.name', 's.service_reference']);
  sq = ip
    ? sq.where('b.peer_ip', '=', ip.text)
    : asn !== null
      ? sq.where('a.asn', '=', asn)
      : sq.where((eb) =>
          eb.or([icontains('s.service_reference', q), icontains('b.peer_ip', q), icontains('s.notes', q)]),
        );
  for (const s of await sq.orderBy('s.id').limit(limit).execute()) {
    results.push({
      type: 'peering-session',
      id: Number(s.id),
      title: `AS${s.asn} ${s.name} ${s.peer_ip}`,
      subtitle: [s.router, s.service_reference].filter(Boolean).join(' · ') || null,
    });
  }

  const routers = await db
    .selectFrom('routers')
    .select(['id', 'name', 'hostname'])
    .where((eb) => eb.or([icontains('name', q), icontains('hostname', q)]))
    .orderBy('name')
    .limit(limit)
    .execute();
  for (const rt of routers)
    results.push({ type: 'router', id: Number(rt.id), title: rt.name, subtitle: rt.hostname ?? null });

  const fabrics = await db
    .selectFrom('fabrics')
    .select(['id', 'name', 'type'])
    .where((eb) => eb.or([icontains('name', q), icontains('slug', q)]))
    .orderBy('name')
    .limit(limit)
    .execute();
  for (const f of fabrics) results.push({ type: 'fabric', id: Number(f.id), title: f.name, subtitle: f.type });

  if (ip) {
    const peers = await db
      .selectFrom('bgp_peers as b')
      .innerJoin('routers as r', 'r.id', 'b.router_id')
      .leftJoin('peering_sessions as s', 's.bgp_peer_id', 'b.id')
      .select(['b.id', 'b.peer_ip', 'r.name as router'])
      .where('b.peer_ip', '=', ip.text)
      .where('s.id', 'is', null)
      .limit(limit)
      .execute();
    for (const b of peers)
      results.push({ type: 'bgp-peer', id: Number(b.id), title: `${b.peer_ip} (no session)`, subtitle: b.router });
  }
  return results;
}

/** Counts of a router's BGP peers by effective state (admin-down separately). */
export async function routerStateSummary(db: Executor, routerId: number): Promise<StateSummary> {
  const router = await db
    .selectFrom('routers as r')
    .leftJoin('router_poll_status as ps', 'ps.router_id', 'r.id')
    .select(['r.id', 'ps.last_polled_at'])
    .where('r.id', '=', routerId)
    .executeTakeFirst();
  if (!router) throw new NotFoundError('router', routerId);
  const rows = await db
    .selectFrom('bgp_peers')
    .select(['state', 'enabled'])
    .select((eb) => eb.fn.countAll().as('c'))
    .where('router_id', '=', routerId)
    .groupBy(['state', 'enabled'])
    .execute();
  const by: Record<string, number> = {};
  let total = 0;
  for (const row of rows) {
    const key = effectiveState(row.enabled, row.state);
    by[key] = (by[key] ?? 0) + Number(row.c);
    total += Number(row.c);
  }
  return { router: routerId, total, by_state: by, last_polled_at: router.last_polled_at ?? null };
}
