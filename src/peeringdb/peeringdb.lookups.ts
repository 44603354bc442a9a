// The session wizard's PeeringDB lookups: networks by ASN or name, exchanges with their LANs, and a
// network's addresses on one of our fabrics.
import type { Selectable } from 'kysely';
import { icontains, type Executor } from '../platform/db.ts';
import type { PdbNetTable } from '../platform/db.types.ts';
import { NotFoundError } from '../platform/errors.ts';
import { parseAsn } from '../platform/ip.ts';
import { toBool } from './peeringdb.table.ts';
import { chunks, loadFabricLans, membersOn, networkFor, num, sessionKeys } from './peeringdb.lans.ts';
import type { ExchangeDetail, ExchangeSummary, NetworkAddresses, NetworkSummary } from './peeringdb.schema.ts';

export type { NetworkSummary };

/** A mirrored network as lookups present it. */
export function presentNet(r: Selectable<PdbNetTable>): NetworkSummary {
  return {
    id: Number(r.id),
    asn: Number(r.asn),
    name: r.name ?? '',
    aka: r.aka || null,
    irr_as_set: r.irr_as_set || null,
    info_type: r.info_type || null,
    info_prefixes4: num(r.info_prefixes4),
    info_prefixes6: num(r.info_prefixes6),
    policy_general: r.policy_general || null,
    policy_url: r.policy_url || null,
    website: r.website || null,
    ix_count: num(r.ix_count),
  };
}

/** Searches mirrored networks by ASN (`2602`, `AS2602`) or by name/aka. */
export async function searchNetworks(db: Executor, q: string, limit = 20): Promise<NetworkSummary[]> {
  const term = q.trim();
  if (!term) return [];
  const asn = parseAsn(term);
  const out: NetworkSummary[] = [];
  if (asn !== null) {
    const exact = await db.selectFrom('pdb_net').selectAll().where('asn', '=', asn).executeTakeFirst();
    if (exact) out.push(presentNet(exact));
  }
  const rows = await db
    .selectFrom('pdb_net')
    .selectAll()
    .where((eb) => eb.or([icontains('name', term), icontains('aka', term)]))
    .orderBy('name')
    .limit(limit)
    .execute();
  for (const r of rows) if (!out.some((o) => o.id === Number(r.id))) out.push(presentNet(r));
  return out.slice(0, limit);
}

/** The mirrored network of an ASN, or null. */
export async function networkByAsn(db: Executor, asn: number): Promise<NetworkSummary | null> {
  const r = await db.selectFrom('pdb_net').selectAll().where('asn', '=', asn).executeTakeFirst();
  return r ? presentNet(r) : null;
}

/** Searches mirrored exchanges by id or name, with the fabric already made from each (if any). */
export async function searchExchanges(db: Executor, q: string, limit = 20): Promise<ExchangeSummary[]> {
  const term = q.trim();
  let query = db
    .selectFrom('pdb_ix')
    .select(['id', 'name', 'aka', 'name_long', 'city', 'country', 'region_continent', 'net_count']);
  if (term) {
    query = /^\d+$/.test(term)
      ? query.where((eb) => eb.or([eb('id', '=', Number(term)), icontains('name', term)]))
      : query.where((eb) =>
          eb.or([
            icontains('name', term),
            icontains('aka', term),
            icontains('name_long', term),
            icontains('city', term),
          ]),
        );
  }
  const rows = await query.orderBy('name').limit(limit).execute();
  const fabrics = await fabricsByIx(
    db,
    rows.map((r) => Number(r.id)),
  );
  const members = await mirrorMemberCounts(
    db,
    rows.map((r) => Number(r.id)),
  );
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name ?? '',
    aka: r.aka || null,
    name_long: r.name_long || null,
    city: r.city || null,
    country: r.country || null,
    region_continent: r.region_continent || null,
    net_count: num(r.net_count),
    member_count: members.get(Number(r.id)) ?? 0,
    fabric_id: fabrics.get(Number(r.id)) ?? null,
  }));
}

/** Distinct member networks per exchange in the local mirror (netixlan rows), not PeeringDB's net_count. */
async function mirrorMemberCounts(db: Executor, ixIds: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const part of chunks(ixIds)) {
    if (!part.length) continue;
    const rows = await db
      .selectFrom('pdb_netixlan')
      .select(['ix_id', (eb) => eb.fn.count('net_id').distinct().as('n')])
      .where('ix_id', 'in', part)
      .groupBy('ix_id')
      .execute();
    for (const r of rows) out.set(Number(r.ix_id), Number(r.n));
  }
  return out;
}

/** exchange id → the fabric made from it. */
async function fabricsByIx(db: Executor, ixIds: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const part of chunks(ixIds)) {
    if (!part.length) continue;
    for (const f of await db
      .selectFrom('fabrics')
      .select(['id', 'peeringdb_ix_id'])
      .where('peeringdb_ix_id', 'in', part)
      .execute()) {
      out.set(Number(f.peeringdb_ix_id), Number(f.id));
    }
  }
  return out;
}

/** One exchange with its LANs, their prefixes and member counts. */
export async function getExchange(db: Executor, ixId: number): Promise<ExchangeDetail> {
  const ix = await db.selectFrom('pdb_ix').selectAll().where('id', '=', ixId).executeTakeFirst();
  if (!ix) throw new NotFoundError('PeeringDB exchange', ixId);
  const lans = await db.selectFrom('pdb_ixlan').selectAll().where('ix_id', '=', ixId).orderBy('id').execute();
  const ids = lans.map((l) => Number(l.id));
  const pfx = ids.length
    ? await db.selectFrom('pdb_ixpfx').selectAll().where('ixlan_id', 'in', ids).orderBy('id').execute()
    : [];
  const members = ids.length
    ? await db
        .selectFrom('pdb_netixlan')
        .select(['ixlan_id', (eb) => eb.fn.countAll().as('n')])
        .where('ixlan_id', 'in', ids)
        .groupBy('ixlan_id')
        .execute()
    : [];
  const fabric = (await fabricsByIx(db, [ixId])).get(ixId) ?? null;
  return {
    id: Number(ix.id),
    name: ix.name ?? '',
    name_long: ix.name_long || null,
    city: ix.city || null,
    country: ix.country || null,
    website: ix.website || null,
    tech_email: ix.tech_email || null,
    policy_email: ix.policy_email || null,
    net_count: num(ix.net_count),
    member_count: (await mirrorMemberCounts(db, [ixId])).get(ixId) ?? 0,
    fabric_id: fabric,
    ixlans: lans.map((l) => ({
      id: Number(l.id),
      name: l.name || null,
      descr: l.descr || null,
      mtu: num(l.mtu),
      rs_asn: l.rs_asn ? Number(l.rs_asn) : null,
      member_count: Number(members.find((m) => Number(m.ixlan_id) === Number(l.id))?.n ?? 0),
      ixf_ixp_member_list_url: l.ixf_ixp_member_list_url || null,
      prefixes: pfx
        .filter((p) => Number(p.ixlan_id) === Number(l.id))
        .map((p) => ({
          id: Number(p.id),
          protocol: p.protocol ?? '',
          prefix: p.prefix ?? '',
          in_dfz: toBool(p.in_dfz),
        })),
    })),
  };
}

/** A network's addresses on one fabric (the wizard's "peer from PeeringDB" step). */
export async function networkAddresses(
  db: Executor,
  asn: number,
  fabricId: number,
  routerId?: number | null,
): Promise<NetworkAddresses> {
  const lans = await loadFabricLans(db, fabricId);
  const members = await membersOn(db, lans.ixlanIds, asn);
  const taken = await sessionKeys(
    db,
    members.map((m) => m.key),
    routerId,
  );
  return {
    asn,
    fabric_id: fabricId,
    network: await networkByAsn(db, asn),
    addresses: members.map((m) => {
      const lan = networkFor(lans.networks, m.address);
      return {
        address: m.address,
        family: m.family,
        network_id: lan?.id ?? null,
        network_name: lan?.name ?? null,
        ixlan_id: m.ixlanId,
        is_rs_peer: m.isRsPeer,
        speed: m.speed,
        operational: m.operational,
        has_session: taken.has(m.key),
      };
    }),
  };
}
