// What Peerdesk does with the PeeringDB mirror: peer ASN sync and divergence, fabrics from exchanges,
// peering candidates (hide, score, bulk session creation, reverse lookup) and the wizard's lookups.
import { icontains, now, type Db, type Executor } from '../platform/db.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../platform/errors.ts';
import { parseAsn, parseIp, parsePrefix, prefixContains, type ParsedPrefix } from '../platform/ip.ts';
import { recordChange, type Actor } from '../changes/changes.service.ts';
import { toBool } from './peeringdb.table.ts';
import { validIrr } from './peer-asn-defaults.ts';
import type { WriteContext } from '../platform/crud.ts';
import type { SecretBox } from '../platform/crypto.ts';
import type { Principal } from '../auth/auth.service.ts';
import { createPeerSession, ensurePeerAsn } from '../sessions/sessions.service.ts';

export type { Actor };

const SYSTEM: Actor = { userId: null, username: 'peeringdb-sync' };

/** Writes by the system need no secrets (no passwords are set): fail loudly if one ever is. */
const NO_SECRETS = {
  encrypt(): string {
    throw new Error('no secret key in this context');
  },
  decrypt(): string {
    throw new Error('no secret key in this context');
  },
} as unknown as SecretBox;

/** The change-log identity of an actor, as the shared write path expects it. */
function principalOf(actor: Actor): Principal {
  return { userId: actor.userId as number, username: actor.username ?? 'system', role: 'operator', via: 'token', canWrite: true };
}

function chunks<T>(list: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function slugify(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'x';
}

// ---------- lookups (the session wizard) -----------------------------------------------------

/** A PeeringDB network as lookups present it. */
export interface NetworkSummary {
  id: number;
  asn: number;
  name: string;
  aka: string | null;
  irr_as_set: string | null;
  info_type: string | null;
  info_prefixes4: number | null;
  info_prefixes6: number | null;
  policy_general: string | null;
  policy_url: string | null;
  website: string | null;
  ix_count: number | null;
}

function presentNet(r: any): NetworkSummary {
  return {
    id: Number(r.id),
    asn: Number(r.asn),
    name: r.name,
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
export async function searchExchanges(db: Executor, q: string, limit = 20): Promise<any[]> {
  const term = q.trim();
  let query = db.selectFrom('pdb_ix').select(['id', 'name', 'aka', 'name_long', 'city', 'country', 'region_continent', 'net_count']);
  if (term) {
    query = /^\d+$/.test(term)
      ? query.where((eb) => eb.or([eb('id', '=', Number(term)), icontains('name', term)]))
      : query.where((eb) => eb.or([icontains('name', term), icontains('aka', term), icontains('name_long', term), icontains('city', term)]));
  }
  const rows = await query.orderBy('name').limit(limit).execute();
  const fabrics = await fabricsByIx(db, rows.map((r: any) => Number(r.id)));
  const members = await mirrorMemberCounts(db, rows.map((r: any) => Number(r.id)));
  return rows.map((r: any) => ({
    id: Number(r.id),
    name: r.name,
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
    for (const r of rows as any[]) out.set(Number(r.ix_id), Number(r.n));
  }
  return out;
}

async function fabricsByIx(db: Executor, ixIds: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const part of chunks(ixIds)) {
    if (!part.length) continue;
    for (const f of await db.selectFrom('fabrics').select(['id', 'peeringdb_ix_id']).where('peeringdb_ix_id', 'in', part).execute()) {
      out.set(Number((f as any).peeringdb_ix_id), Number((f as any).id));
    }
  }
  return out;
}

/** One exchange with its LANs, their prefixes and member counts. */
export async function getExchange(db: Executor, ixId: number): Promise<any> {
  const ix: any = await db.selectFrom('pdb_ix').selectAll().where('id', '=', ixId).executeTakeFirst();
  if (!ix) throw new NotFoundError('PeeringDB exchange', ixId);
  const lans: any[] = await db.selectFrom('pdb_ixlan').selectAll().where('ix_id', '=', ixId).orderBy('id').execute();
  const ids = lans.map((l) => Number(l.id));
  const pfx: any[] = ids.length ? await db.selectFrom('pdb_ixpfx').selectAll().where('ixlan_id', 'in', ids).orderBy('id').execute() : [];
  const members: any[] = ids.length
    ? await db.selectFrom('pdb_netixlan').select(['ixlan_id', (eb) => eb.fn.countAll().as('n')]).where('ixlan_id', 'in', ids).groupBy('ixlan_id').execute()
    : [];
  const fabric = (await fabricsByIx(db, [ixId])).get(ixId) ?? null;
  return {
    id: Number(ix.id),
    name: ix.name,
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
      prefixes: pfx.filter((p) => Number(p.ixlan_id) === Number(l.id)).map((p) => ({ id: Number(p.id), protocol: p.protocol, prefix: p.prefix, in_dfz: toBool(p.in_dfz) })),
    })),
  };
}

// ---------- fabric LANs and the members on them ---------------------------------------------

interface Lan {
  id: number;
  name: string;
  prefix: ParsedPrefix | null;
  ixlanId: number | null;
  status: string;
}

interface FabricLans {
  fabric: any;
  networks: Lan[];
  ixlanIds: number[];
}

async function loadFabricLans(db: Executor, fabricId: number): Promise<FabricLans> {
  const fabric: any = await db.selectFrom('fabrics').selectAll().where('id', '=', fabricId).executeTakeFirst();
  if (!fabric) throw new NotFoundError('fabric', fabricId);
  const rows: any[] = await db.selectFrom('peering_networks').selectAll().where('fabric_id', '=', fabricId).orderBy('id').execute();
  const networks: Lan[] = rows.map((n) => {
    const p = parsePrefix(n.prefix);
    return { id: Number(n.id), name: n.name, prefix: 'error' in p ? null : p, ixlanId: num(n.peeringdb_ixlan_id), status: n.status };
  });
  const ixlans = new Set<number>(networks.filter((n) => n.ixlanId !== null).map((n) => n.ixlanId!));
  if (fabric.peeringdb_ix_id) {
    for (const l of await db.selectFrom('pdb_ixlan').select('id').where('ix_id', '=', fabric.peeringdb_ix_id).execute()) ixlans.add(Number((l as any).id));
  }
  return { fabric, networks, ixlanIds: [...ixlans] };
}

function networkFor(lans: Lan[], ip: string): Lan | null {
  const parsed = parseIp(ip);
  if (!parsed) return null;
  return lans.find((n) => n.prefix && n.status !== 'decommissioned' && prefixContains(n.prefix, parsed)) ?? null;
}

interface Member {
  netixlanId: number;
  netId: number;
  asn: number;
  ixlanId: number;
  address: string;
  key: string;
  family: 4 | 6;
  isRsPeer: boolean;
  speed: number;
  operational: boolean;
}

async function membersOn(db: Executor, ixlanIds: number[], asn?: number): Promise<Member[]> {
  const out: Member[] = [];
  for (const part of chunks(ixlanIds)) {
    if (!part.length) continue;
    let q = db
      .selectFrom('pdb_netixlan')
      .select(['id', 'net_id', 'asn', 'ixlan_id', 'ipaddr4', 'ipaddr6', 'is_rs_peer', 'speed', 'operational'])
      .where('ixlan_id', 'in', part);
    if (asn !== undefined) q = q.where('asn', '=', asn);
    for (const r of (await q.orderBy('id').execute()) as any[]) {
      for (const [field, family] of [['ipaddr4', 4], ['ipaddr6', 6]] as const) {
        const ip = r[field] ? parseIp(r[field]) : null;
        if (!ip || ip.family !== family) continue;
        out.push({
          netixlanId: Number(r.id),
          netId: Number(r.net_id),
          asn: Number(r.asn),
          ixlanId: Number(r.ixlan_id),
          address: ip.text,
          key: ip.key,
          family,
          isRsPeer: toBool(r.is_rs_peer) ?? false,
          speed: Number(r.speed ?? 0),
          operational: toBool(r.operational) ?? true,
        });
      }
    }
  }
  return out;
}

/** The PeeringDB members' addresses on a fabric's LANs (for IX-F comparison). */
export async function fabricPeeringDbMembers(db: Executor, fabricId: number): Promise<{ fabric: any; members: { asn: number; address: string; key: string; family: 4 | 6; is_rs_peer: boolean }[] }> {
  const lans = await loadFabricLans(db, fabricId);
  const members = await membersOn(db, lans.ixlanIds);
  return { fabric: lans.fabric, members: members.map((m) => ({ asn: m.asn, address: m.address, key: m.key, family: m.family, is_rs_peer: m.isRsPeer })) };
}

/**
 * Peer IP keys we already have a peering session with: from the given router when there is one
 * (candidates are per router and address), else from any of our routers.
 */
async function sessionKeys(db: Executor, keys: string[], routerId?: number | null): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks([...new Set(keys)])) {
    if (!part.length) continue;
    let q = db.selectFrom('bgp_peers as b').innerJoin('peering_sessions as s', 's.bgp_peer_id', 'b.id').select('b.peer_ip_key').where('b.peer_ip_key', 'in', part);
    if (routerId) q = q.where('b.router_id', '=', routerId);
    for (const r of await q.execute()) out.add((r as any).peer_ip_key);
  }
  return out;
}

async function ourAsns(db: Executor): Promise<Set<number>> {
  const out = new Set<number>();
  for (const r of await db.selectFrom('routers').select('local_asn').distinct().execute()) out.add(Number((r as any).local_asn));
  for (const r of await db.selectFrom('peer_asns').select(['asn', 'affiliated']).execute()) if (toBool((r as any).affiliated)) out.add(Number((r as any).asn));
  return out;
}

async function netsByAsn(db: Executor, asns: number[]): Promise<Map<number, any>> {
  const out = new Map<number, any>();
  for (const part of chunks(asns)) {
    if (!part.length) continue;
    for (const r of await db.selectFrom('pdb_net').selectAll().where('asn', 'in', part).execute()) out.set(Number((r as any).asn), r);
  }
  return out;
}

/** ixlan id → fabric id, for every fabric tied to PeeringDB. */
async function allFabricIxlans(db: Executor): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const n of await db.selectFrom('peering_networks').select(['fabric_id', 'peeringdb_ixlan_id']).where('peeringdb_ixlan_id', 'is not', null).execute()) {
    out.set(Number((n as any).peeringdb_ixlan_id), Number((n as any).fabric_id));
  }
  const fabrics = await db.selectFrom('fabrics').select(['id', 'peeringdb_ix_id']).where('peeringdb_ix_id', 'is not', null).execute();
  const byIx = new Map(fabrics.map((f: any) => [Number(f.peeringdb_ix_id), Number(f.id)]));
  if (byIx.size) {
    for (const part of chunks([...byIx.keys()])) {
      for (const l of await db.selectFrom('pdb_ixlan').select(['id', 'ix_id']).where('ix_id', 'in', part).execute()) {
        if (!out.has(Number((l as any).id))) out.set(Number((l as any).id), byIx.get(Number((l as any).ix_id))!);
      }
    }
  }
  return out;
}

// ---------- candidates --------------------------------------------------------------------------

/** One address of a candidate on the fabric. */
export interface CandidateAddress {
  address: string;
  family: 4 | 6;
  network_id: number | null;
  has_session: boolean;
  is_rs_peer: boolean;
  speed: number;
  operational: boolean;
}

export interface Candidate {
  asn: number;
  name: string;
  peeringdb_net_id: number | null;
  peer_asn_id: number | null;
  policy: string | null;
  info_type: string | null;
  info_prefixes4: number | null;
  info_prefixes6: number | null;
  irr_as_set: string | null;
  is_rs_peer: boolean;
  speed: number;
  shared_fabrics: number;
  ipv4: string[];
  ipv6: string[];
  addresses: CandidateAddress[];
  missing: number;
  hidden: boolean;
  hidden_until: string | null;
  hidden_reason: string | null;
  score: number;
}

const POLICY_POINTS: Record<string, number> = { open: 40, selective: 25, restrictive: 10, no: 0 };

/**
 * The candidate score (0–100, higher first). Documented here because operators read it:
 * - policy: Open 40, Selective 25, Restrictive 10, No 0, unknown 15 (how likely a yes is);
 * - size: 5 × log10(1 + info_prefixes4 + info_prefixes6), at most 25 (how much traffic moves off transit);
 * - reach: 5 per further fabric we share with them, at most 15 (redundant sessions elsewhere);
 * - capacity: 2 × log2(1 + port speed in Gbit/s on this fabric), at most 10;
 * - dual stack: 5 when they have both an IPv4 and an IPv6 address without a session;
 * - route server: −5 when all their ports peer with the route server (routes partly reachable already).
 */
export function candidateScore(c: Pick<Candidate, 'policy' | 'info_prefixes4' | 'info_prefixes6' | 'shared_fabrics' | 'speed' | 'is_rs_peer' | 'addresses'>, allRs = c.is_rs_peer): number {
  const policy = c.policy ? (POLICY_POINTS[c.policy.toLowerCase()] ?? 15) : 15;
  const size = Math.min(25, 5 * Math.log10(1 + (c.info_prefixes4 ?? 0) + (c.info_prefixes6 ?? 0)));
  const reach = Math.min(15, 5 * Math.max(0, c.shared_fabrics - 1));
  const capacity = Math.min(10, 2 * Math.log2(1 + c.speed / 1000));
  const open = c.addresses.filter((a) => !a.has_session);
  const dual = open.some((a) => a.family === 4) && open.some((a) => a.family === 6) ? 5 : 0;
  const rs = allRs ? -5 : 0;
  return Math.round((policy + size + reach + capacity + dual + rs) * 10) / 10;
}

async function hiddenFor(db: Executor, fabricId: number): Promise<Map<number, { until: string | null; reason: string | null }>> {
  const rows = await db.selectFrom('pdb_hidden_candidates').selectAll().where('fabric_id', '=', fabricId).execute();
  const t = now();
  const out = new Map<number, { until: string | null; reason: string | null }>();
  for (const r of rows as any[]) if (!r.until || r.until > t) out.set(Number(r.asn), { until: r.until ?? null, reason: r.reason ?? null });
  return out;
}

async function buildCandidates(db: Executor, lans: FabricLans, members: Member[], routerId?: number | null): Promise<Candidate[]> {
  const own = await ourAsns(db);
  members = members.filter((m) => !own.has(m.asn));
  const taken = await sessionKeys(db, members.map((m) => m.key), routerId);
  const byAsn = new Map<number, Member[]>();
  for (const m of members) {
    const list = byAsn.get(m.asn) ?? [];
    list.push(m);
    byAsn.set(m.asn, list);
  }
  const asns = [...byAsn.keys()];
  const nets = await netsByAsn(db, asns);
  const peerAsns = new Map<number, number>();
  for (const part of chunks(asns)) {
    if (!part.length) continue;
    for (const r of await db.selectFrom('peer_asns').select(['id', 'asn']).where('asn', 'in', part).execute()) peerAsns.set(Number((r as any).asn), Number((r as any).id));
  }
  // How many of our fabrics each ASN is present on (netixlan on any fabric's LAN).
  const ixlanFabric = await allFabricIxlans(db);
  const shared = new Map<number, Set<number>>();
  const allIxlans = [...ixlanFabric.keys()];
  for (const part of chunks(asns)) {
    if (!part.length || !allIxlans.length) continue;
    for (const ixPart of chunks(allIxlans)) {
      for (const r of await db.selectFrom('pdb_netixlan').select(['asn', 'ixlan_id']).where('asn', 'in', part).where('ixlan_id', 'in', ixPart).execute()) {
        const s = shared.get(Number((r as any).asn)) ?? new Set<number>();
        s.add(ixlanFabric.get(Number((r as any).ixlan_id))!);
        shared.set(Number((r as any).asn), s);
      }
    }
  }
  const hidden = await hiddenFor(db, Number(lans.fabric.id));
  const out: Candidate[] = [];
  for (const [asn, list] of byAsn) {
    const addresses: CandidateAddress[] = [];
    const seen = new Set<string>();
    for (const m of list) {
      if (seen.has(m.key)) continue;
      seen.add(m.key);
      addresses.push({
        address: m.address,
        family: m.family,
        network_id: networkFor(lans.networks, m.address)?.id ?? null,
        has_session: taken.has(m.key),
        is_rs_peer: m.isRsPeer,
        speed: m.speed,
        operational: m.operational,
      });
    }
    const missing = addresses.filter((a) => !a.has_session).length;
    if (!missing) continue;
    const net = nets.get(asn);
    // Port speed counts once per connection (netixlan row), not once per address family.
    const ports = new Map(list.map((m) => [m.netixlanId, m]));
    const c: Candidate = {
      asn,
      name: net?.name ?? `AS${asn}`,
      peeringdb_net_id: net ? Number(net.id) : null,
      peer_asn_id: peerAsns.get(asn) ?? null,
      policy: net?.policy_general || null,
      info_type: net?.info_type || null,
      info_prefixes4: num(net?.info_prefixes4),
      info_prefixes6: num(net?.info_prefixes6),
      irr_as_set: net?.irr_as_set || null,
      is_rs_peer: [...ports.values()].some((m) => m.isRsPeer),
      speed: [...ports.values()].reduce((s, m) => s + m.speed, 0),
      shared_fabrics: Math.max(1, shared.get(asn)?.size ?? 1),
      ipv4: addresses.filter((a) => a.family === 4).map((a) => a.address),
      ipv6: addresses.filter((a) => a.family === 6).map((a) => a.address),
      addresses,
      missing,
      hidden: hidden.has(asn),
      hidden_until: hidden.get(asn)?.until ?? null,
      hidden_reason: hidden.get(asn)?.reason ?? null,
      score: 0,
    };
    c.score = candidateScore(c, [...ports.values()].every((m) => m.isRsPeer));
    out.push(c);
  }
  out.sort((a, b) => b.score - a.score || a.asn - b.asn);
  return out;
}

/** Networks on a fabric's LANs (netixlan) with at least one address we have no session with, ranked. */
export async function listCandidates(db: Executor, fabricId: number, opts: { includeHidden?: boolean; q?: string; policy?: string; routerId?: number | null } = {}): Promise<Candidate[]> {
  const lans = await loadFabricLans(db, fabricId);
  if (opts.routerId && !(await db.selectFrom('routers').select('id').where('id', '=', opts.routerId).executeTakeFirst())) throw new ValidationError('router', `no router with id ${opts.routerId}`);
  let list = await buildCandidates(db, lans, await membersOn(db, lans.ixlanIds), opts.routerId);
  if (!opts.includeHidden) list = list.filter((c) => !c.hidden);
  if (opts.policy) list = list.filter((c) => (c.policy ?? '').toLowerCase() === opts.policy!.toLowerCase());
  if (opts.q) {
    const q = opts.q.trim().toLowerCase();
    const asn = parseAsn(q);
    list = list.filter((c) => c.name.toLowerCase().includes(q) || (asn !== null && c.asn === asn));
  }
  return list;
}

function parseUntil(until: string | null | undefined): string | null {
  if (until === null || until === undefined || until === '') return null;
  const t = Date.parse(until);
  if (Number.isNaN(t)) throw new ValidationError('until', 'must be a date like 2026-12-31 or an ISO-8601 timestamp');
  return new Date(t).toISOString();
}

/** Hides candidates on a fabric (optionally until a date, after which they come back). */
export async function hideCandidates(db: Db, fabricId: number, asns: number[], opts: { until?: string | null; reason?: string | null }, actor: Actor = SYSTEM): Promise<{ hidden: number[]; until: string | null }> {
  await loadFabricLans(db, fabricId);
  const until = parseUntil(opts.until);
  const list = [...new Set(asns)];
  await db.transaction().execute(async (trx) => {
    for (const asn of list) {
      await trx.deleteFrom('pdb_hidden_candidates').where('fabric_id', '=', fabricId).where('asn', '=', asn).execute();
      await trx
        .insertInto('pdb_hidden_candidates')
        .values({ fabric_id: fabricId, asn, until, reason: opts.reason ?? null, created_by: actor.userId, created_at: now() })
        .execute();
    }
  });
  return { hidden: list, until };
}

/** Shows hidden candidates again. */
export async function unhideCandidates(db: Db, fabricId: number, asns: number[]): Promise<{ unhidden: number[] }> {
  await loadFabricLans(db, fabricId);
  const list = [...new Set(asns)];
  for (const part of chunks(list)) if (part.length) await db.deleteFrom('pdb_hidden_candidates').where('fabric_id', '=', fabricId).where('asn', 'in', part).execute();
  return { unhidden: list };
}

/** Hidden candidates of a fabric, expired ones included (with their until). */
export async function listHidden(db: Executor, fabricId: number): Promise<{ asn: number; until: string | null; reason: string | null; active: boolean }[]> {
  const t = now();
  return (await db.selectFrom('pdb_hidden_candidates').selectAll().where('fabric_id', '=', fabricId).orderBy('asn').execute()).map((r: any) => ({
    asn: Number(r.asn),
    until: r.until ?? null,
    reason: r.reason ?? null,
    active: !r.until || r.until > t,
  }));
}

export interface CreateSessionsInput {
  router_id: number;
  peer_group_id?: number | null;
  relationship_id?: number | null;
  enabled?: boolean;
  candidates: { asn: number; addresses?: string[] }[];
}

export interface CreateSessionsResult {
  created: { asn: number; address: string; family: 4 | 6; network_id: number; bgp_peer_id: number; session_id: number; peer_asn_id: number }[];
  skipped: { asn: number; address: string; reason: string }[];
  peer_asns_created: number[];
}

/**
 * Creates a peer ASN (if missing), one BGP peer per address and a peering session for each, all in
 * one transaction. Addresses default to every candidate address without a session.
 */
export async function createSessionsFromCandidates(db: Db, fabricId: number, input: CreateSessionsInput, actor: Actor = SYSTEM, secrets: SecretBox = NO_SECRETS): Promise<CreateSessionsResult> {
  if (!input.candidates?.length) throw new ValidationError('candidates', 'select at least one candidate');
  return db.transaction().execute(async (trx) => {
    const ctx: WriteContext = { db: trx, principal: principalOf(actor), secrets, requestId: actor.requestId ?? undefined };
    const router: any = await trx.selectFrom('routers').selectAll().where('id', '=', input.router_id).executeTakeFirst();
    if (!router) throw new ValidationError('router_id', `router ${input.router_id} does not exist`);
    if (input.peer_group_id) {
      const pg: any = await trx.selectFrom('peer_groups').select(['id', 'router_id']).where('id', '=', input.peer_group_id).executeTakeFirst();
      if (!pg) throw new ValidationError('peer_group_id', `peer group ${input.peer_group_id} does not exist`);
      if (Number(pg.router_id) !== Number(router.id)) throw new ValidationError('peer_group_id', `peer group ${input.peer_group_id} belongs to another router`);
    }
    if (input.relationship_id) {
      const rel = await trx.selectFrom('relationships').select('id').where('id', '=', input.relationship_id).executeTakeFirst();
      if (!rel) throw new ValidationError('relationship_id', `relationship ${input.relationship_id} does not exist`);
    }
    const lans = await loadFabricLans(trx, fabricId);
    const asns = [...new Set(input.candidates.map((c) => c.asn))];
    const members = (await membersOn(trx, lans.ixlanIds)).filter((m) => asns.includes(m.asn));
    // Candidates of this router: another router's session with a member does not hide it here.
    const candidates = new Map((await buildCandidates(trx, lans, members, Number(router.id))).map((c) => [c.asn, c]));
    const errors: FieldError[] = [];
    const plan: { asn: number; addr: CandidateAddress; field: string }[] = [];
    const result: CreateSessionsResult = { created: [], skipped: [], peer_asns_created: [] };
    input.candidates.forEach((sel, i) => {
      const c = candidates.get(sel.asn);
      if (!c) {
        errors.push({ field: `candidates.${i}.asn`, message: `AS${sel.asn} is not a peering candidate on this fabric for ${router.name} (not on its LANs, ours, or already peered on every address)` });
        return;
      }
      const wanted = sel.addresses?.length ? sel.addresses : c.addresses.filter((a) => !a.has_session).map((a) => a.address);
      wanted.forEach((raw, j) => {
        const ip = parseIp(raw);
        const addr = ip ? c.addresses.find((a) => a.address === ip.text) : undefined;
        if (!addr) {
          errors.push({ field: `candidates.${i}.addresses.${j}`, message: `${raw} is not an address of AS${sel.asn} on this fabric` });
        } else if (addr.has_session) {
          result.skipped.push({ asn: sel.asn, address: addr.address, reason: `${router.name} has a session on this address already` });
        } else if (addr.network_id === null) {
          errors.push({ field: `candidates.${i}.addresses.${j}`, message: `${raw} is outside every network of this fabric` });
        } else {
          plan.push({ asn: sel.asn, addr, field: `candidates.${i}.addresses.${j}` });
        }
      });
    });
    if (errors.length) throw new ValidationError(errors, errors.map((e) => `${e.field}: ${e.message}`).join('; '));

    const peerAsnRows = new Map<number, any>();
    const networks = new Map<number, any>();
    for (const { asn, addr, field } of plan) {
      let peerAsn = peerAsnRows.get(asn);
      if (!peerAsn) {
        const ensured = await ensurePeerAsn(ctx, asn);
        peerAsn = ensured.row;
        if (ensured.created) result.peer_asns_created.push(Number(peerAsn.id));
        peerAsnRows.set(asn, peerAsn);
      }
      let network = networks.get(addr.network_id!);
      if (!network) {
        network = await trx.selectFrom('peering_networks').selectAll().where('id', '=', addr.network_id!).executeTakeFirstOrThrow();
        networks.set(addr.network_id!, network);
      }
      const made = await createPeerSession(ctx, {
        router,
        peerAsn,
        ip: addr.address,
        network,
        fabricName: lans.fabric.name,
        peerGroup: input.peer_group_id ?? null,
        enabled: input.enabled ?? true,
        relationship: input.relationship_id ?? null,
      }).catch((err) => {
        if (err instanceof ValidationError || err instanceof ConflictError) {
          err.message = `${field} (AS${asn} ${addr.address}): ${err.message}`;
          err.fields.forEach((f) => (f.field = `${field}.${f.field}`));
        }
        throw err;
      });
      result.created.push({ asn, address: addr.address, family: addr.family, network_id: addr.network_id!, bgp_peer_id: made.bgpPeerId, session_id: made.sessionId, peer_asn_id: Number(peerAsn.id) });
    }
    return result;
  });
}

/** For one ASN, every fabric of ours where it is present, with the addresses still to peer with. */
export async function peeringOpportunities(db: Executor, asn: number): Promise<any> {
  const net = await networkByAsn(db, asn);
  const ixlanFabric = await allFabricIxlans(db);
  const byFabric = new Map<number, number[]>();
  for (const [ixlan, fabric] of ixlanFabric) byFabric.set(fabric, [...(byFabric.get(fabric) ?? []), ixlan]);
  const fabrics: any[] = [];
  for (const [fabricId] of byFabric) {
    const lans = await loadFabricLans(db, fabricId);
    const members = await membersOn(db, lans.ixlanIds, asn);
    if (!members.length) continue;
    const taken = await sessionKeys(db, members.map((m) => m.key));
    const hidden = (await hiddenFor(db, fabricId)).get(asn);
    const addresses = members.map((m) => ({
      address: m.address,
      family: m.family,
      network_id: networkFor(lans.networks, m.address)?.id ?? null,
      has_session: taken.has(m.key),
      is_rs_peer: m.isRsPeer,
      speed: m.speed,
    }));
    fabrics.push({
      fabric: { id: Number(lans.fabric.id), name: lans.fabric.name, slug: lans.fabric.slug, peeringdb_ix_id: num(lans.fabric.peeringdb_ix_id) },
      addresses,
      missing: addresses.filter((a) => !a.has_session).length,
      hidden: !!hidden,
      hidden_until: hidden?.until ?? null,
    });
  }
  fabrics.sort((a, b) => b.missing - a.missing || a.fabric.name.localeCompare(b.fabric.name));
  // Exchanges where both they and we are present in PeeringDB but Peerdesk has no fabric yet.
  const own = [...(await ourAsns(db))];
  const theirIx = new Set((await db.selectFrom('pdb_netixlan').select('ix_id').where('asn', '=', asn).execute()).map((r: any) => Number(r.ix_id)));
  const ourIx = new Set<number>();
  for (const part of chunks(own)) if (part.length) for (const r of await db.selectFrom('pdb_netixlan').select('ix_id').where('asn', 'in', part).execute()) ourIx.add(Number((r as any).ix_id));
  const covered = new Set((await db.selectFrom('fabrics').select('peeringdb_ix_id').where('peeringdb_ix_id', 'is not', null).execute()).map((r: any) => Number(r.peeringdb_ix_id)));
  const otherIds = [...theirIx].filter((ix) => ourIx.has(ix) && !covered.has(ix));
  const other = otherIds.length ? await db.selectFrom('pdb_ix').select(['id', 'name', 'city', 'country']).where('id', 'in', otherIds).orderBy('name').execute() : [];
  return {
    asn,
    network: net,
    fabrics,
    other_exchanges: other.map((r: any) => ({ id: Number(r.id), name: r.name, city: r.city || null, country: r.country || null })),
  };
}

/** A network's addresses on one fabric (the wizard's "peer from PeeringDB" step). */
export async function networkAddresses(db: Executor, asn: number, fabricId: number, routerId?: number | null): Promise<any> {
  const lans = await loadFabricLans(db, fabricId);
  const members = await membersOn(db, lans.ixlanIds, asn);
  const taken = await sessionKeys(db, members.map((m) => m.key), routerId);
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

// ---------- fabric from PeeringDB --------------------------------------------------------------

function presentNetwork(n: any) {
  return {
    id: Number(n.id),
    fabric_id: Number(n.fabric_id),
    name: n.name,
    prefix: n.prefix,
    family: Number(n.family),
    vlan: num(n.vlan),
    mtu: num(n.mtu),
    route_server_asn: num(n.route_server_asn),
    status: n.status,
    peeringdb_ixlan_id: num(n.peeringdb_ixlan_id),
    peeringdb_ixpfx_id: num(n.peeringdb_ixpfx_id),
  };
}

function presentFabric(f: any) {
  return {
    id: Number(f.id),
    name: f.name,
    slug: f.slug,
    type: f.type,
    status: f.status,
    peeringdb_ix_id: num(f.peeringdb_ix_id),
    description: f.description ?? null,
  };
}

interface LanPlan {
  ixlan: any;
  ixpfx: any;
  prefix: ParsedPrefix;
  vlan: number | null;
  mtu: number | null;
  rsAsn: number | null;
}

async function planLans(db: Executor, ixId: number): Promise<LanPlan[]> {
  const ixlans: any[] = await db.selectFrom('pdb_ixlan').selectAll().where('ix_id', '=', ixId).orderBy('id').execute();
  if (!ixlans.length) return [];
  const pfx: any[] = await db.selectFrom('pdb_ixpfx').selectAll().where('ixlan_id', 'in', ixlans.map((l) => l.id)).orderBy('id').execute();
  const out: LanPlan[] = [];
  for (const p of pfx) {
    const parsed = parsePrefix(p.prefix);
    if ('error' in parsed) continue;
    const ixlan = ixlans.find((l) => Number(l.id) === Number(p.ixlan_id));
    const data = JSON.parse(ixlan.data ?? '{}');
    // PeeringDB's API has no VLAN on ixlan today; keep one if a dump carries it.
    const vlan = Number.isInteger(data.vlan) && data.vlan >= 1 && data.vlan <= 4094 ? data.vlan : null;
    out.push({ ixlan, ixpfx: p, prefix: parsed, vlan, mtu: num(ixlan.mtu), rsAsn: ixlan.rs_asn ? Number(ixlan.rs_asn) : null });
  }
  return out;
}

function lanName(ix: any, plan: LanPlan, taken: Set<string>): string {
  const base = (plan.ixlan.name || ix.name || `ixlan ${plan.ixlan.id}`).trim();
  for (const candidate of [`${base} IPv${plan.prefix.family}`, `${base} ${plan.prefix.text}`, `${base} ${plan.prefix.text} (${plan.ixpfx.id})`]) {
    if (!taken.has(candidate.toLowerCase())) {
      taken.add(candidate.toLowerCase());
      return candidate.slice(0, 200);
    }
  }
  return `${base} ${plan.ixpfx.id}`;
}

/** Creates a fabric from a mirrored exchange, one network per ixlan prefix (IPv4 and IPv6). */
export async function createFabricFromExchange(db: Db, ixId: number, actor: Actor = SYSTEM, opts: { name?: string } = {}): Promise<{ fabric: any; networks: any[] }> {
  return db.transaction().execute(async (trx) => {
    const ix: any = await trx.selectFrom('pdb_ix').selectAll().where('id', '=', ixId).executeTakeFirst();
    if (!ix) throw new NotFoundError('PeeringDB exchange', ixId);
    const existing: any = await trx.selectFrom('fabrics').select(['id', 'name']).where('peeringdb_ix_id', '=', ixId).executeTakeFirst();
    if (existing) throw new ConflictError(`fabric ${existing.name} (id ${existing.id}) is already linked to PeeringDB exchange ${ixId}; re-sync it instead`, [{ field: 'ix_id', message: 'already has a fabric' }], 'duplicate');
    const name = (opts.name ?? ix.name).trim().slice(0, 200);
    const slug = slugify(name);
    const clash: any = await trx.selectFrom('fabrics').select(['name', 'slug']).where((eb) => eb.or([eb('name', '=', name), eb('slug', '=', slug)])).executeTakeFirst();
    if (clash) throw new ConflictError(`a fabric named ${clash.name} exists already; give the new one another name`, [{ field: 'name', message: 'is already used by another fabric' }], 'duplicate');
    const stamp = now();
    const fabricValues = { name, slug, type: 'ixp', status: 'active', peeringdb_ix_id: ixId, description: ix.name_long || null, created_at: stamp, updated_at: stamp, version: 1 };
    const f: any = await trx.insertInto('fabrics').values(fabricValues).returning('id').executeTakeFirstOrThrow();
    const fabricId = Number(f.id);
    await recordChange(trx, actor, { action: 'create', objectType: 'fabric', objectId: fabricId, repr: name, after: fabricValues });
    const taken = new Set<string>();
    for (const plan of await planLans(trx, ixId)) await insertNetwork(trx, fabricId, ix, plan, taken, actor);
    const fabric = await trx.selectFrom('fabrics').selectAll().where('id', '=', fabricId).executeTakeFirstOrThrow();
    const networks = await trx.selectFrom('peering_networks').selectAll().where('fabric_id', '=', fabricId).orderBy('id').execute();
    return { fabric: presentFabric(fabric), networks: networks.map(presentNetwork) };
  });
}

async function insertNetwork(trx: Executor, fabricId: number, ix: any, plan: LanPlan, taken: Set<string>, actor: Actor): Promise<void> {
  const stamp = now();
  const values = {
    fabric_id: fabricId,
    name: lanName(ix, plan, taken),
    prefix: plan.prefix.text,
    prefix_key: plan.prefix.key,
    family: plan.prefix.family,
    vlan: plan.vlan,
    status: 'active',
    peeringdb_ixlan_id: Number(plan.ixlan.id),
    peeringdb_ixpfx_id: Number(plan.ixpfx.id),
    route_server_asn: plan.rsAsn,
    mtu: plan.mtu,
    description: plan.ixlan.descr || null,
    created_at: stamp,
    updated_at: stamp,
    version: 1,
  };
  const n: any = await trx.insertInto('peering_networks').values(values).returning('id').executeTakeFirstOrThrow();
  await recordChange(trx, actor, { action: 'create', objectType: 'peering-network', objectId: Number(n.id), repr: values.name, after: values });
}

/**
 * Brings a fabric's networks in line with PeeringDB: updates prefix, VLAN, MTU, route-server ASN
 * and ids; adds new ixlan prefixes; marks networks whose prefix left PeeringDB decommissioned
 * (never deletes: sessions may still point at them).
 */
export async function resyncFabric(db: Db, fabricId: number, actor: Actor = SYSTEM): Promise<{ fabric: any; created: number; updated: number; decommissioned: number; unchanged: number; networks: any[] }> {
  return db.transaction().execute(async (trx) => {
    const fabric: any = await trx.selectFrom('fabrics').selectAll().where('id', '=', fabricId).executeTakeFirst();
    if (!fabric) throw new NotFoundError('fabric', fabricId);
    if (!fabric.peeringdb_ix_id) throw new ValidationError('peeringdb_ix_id', 'this fabric is not linked to a PeeringDB exchange');
    const ix: any = await trx.selectFrom('pdb_ix').selectAll().where('id', '=', fabric.peeringdb_ix_id).executeTakeFirst();
    if (!ix) throw new NotFoundError('PeeringDB exchange', fabric.peeringdb_ix_id);
    const nets: any[] = await trx.selectFrom('peering_networks').selectAll().where('fabric_id', '=', fabricId).orderBy('id').execute();
    const taken = new Set(nets.map((n) => String(n.name).toLowerCase()));
    const plans = await planLans(trx, Number(ix.id));
    const matched = new Set<number>();
    const counts = { created: 0, updated: 0, decommissioned: 0, unchanged: 0 };
    for (const plan of plans) {
      const net =
        nets.find((n) => Number(n.peeringdb_ixpfx_id) === Number(plan.ixpfx.id)) ??
        nets.find((n) => !matched.has(Number(n.id)) && n.prefix_key === plan.prefix.key);
      if (!net) {
        await insertNetwork(trx, fabricId, ix, plan, taken, actor);
        counts.created++;
        continue;
      }
      matched.add(Number(net.id));
      const want: Record<string, unknown> = {
        prefix: plan.prefix.text,
        prefix_key: plan.prefix.key,
        family: plan.prefix.family,
        mtu: plan.mtu,
        route_server_asn: plan.rsAsn,
        peeringdb_ixlan_id: Number(plan.ixlan.id),
        peeringdb_ixpfx_id: Number(plan.ixpfx.id),
      };
      if (plan.vlan !== null) want.vlan = plan.vlan;
      if (net.status === 'decommissioned') want.status = 'active';
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(want)) {
        const cur = net[k] === null || net[k] === undefined ? null : typeof v === 'number' ? Number(net[k]) : net[k];
        if (cur !== v) {
          before[k] = net[k] ?? null;
          after[k] = v;
        }
      }
      if (!Object.keys(after).length) {
        counts.unchanged++;
        continue;
      }
      await trx.updateTable('peering_networks').set({ ...after, updated_at: now(), version: Number(net.version) + 1 }).where('id', '=', net.id).execute();
      await recordChange(trx, actor, { action: 'update', objectType: 'peering-network', objectId: Number(net.id), repr: net.name, before, after });
      counts.updated++;
    }
    for (const net of nets) {
      if (matched.has(Number(net.id)) || net.peeringdb_ixpfx_id === null || net.status === 'decommissioned') continue;
      await trx.updateTable('peering_networks').set({ status: 'decommissioned', updated_at: now(), version: Number(net.version) + 1 }).where('id', '=', net.id).execute();
      await recordChange(trx, actor, { action: 'update', objectType: 'peering-network', objectId: Number(net.id), repr: net.name, before: { status: net.status }, after: { status: 'decommissioned' } });
      counts.decommissioned++;
    }
    const networks = await trx.selectFrom('peering_networks').selectAll().where('fabric_id', '=', fabricId).orderBy('id').execute();
    return { fabric: presentFabric(fabric), ...counts, networks: networks.map(presentNetwork) };
  });
}

// ---------- peer ASN sync ---------------------------------------------------------------------

const SYNCED: { field: string; pdb: string; flag: string }[] = [
  { field: 'name', pdb: 'name', flag: 'follow_peeringdb_name' },
  { field: 'irr_as_set', pdb: 'irr_as_set', flag: 'follow_peeringdb_irr_as_set' },
  { field: 'ipv4_max_prefixes', pdb: 'info_prefixes4', flag: 'follow_peeringdb_max_prefixes' },
  { field: 'ipv6_max_prefixes', pdb: 'info_prefixes6', flag: 'follow_peeringdb_max_prefixes' },
];

/** One field of the divergence view. */
export interface FieldDivergence {
  field: string;
  local: string | number | null;
  peeringdb: string | number | null;
  follow: boolean;
  differs: boolean;
  /** True when a sync would write PeeringDB's value. */
  will_update: boolean;
  /** Why a differing value is kept. */
  reason: string | null;
}

async function netForPeerAsn(db: Executor, pa: any): Promise<any | null> {
  if (pa.peeringdb_id) {
    const byId: any = await db.selectFrom('pdb_net').selectAll().where('id', '=', pa.peeringdb_id).executeTakeFirst();
    if (byId && Number(byId.asn) === Number(pa.asn)) return byId;
  }
  return (await db.selectFrom('pdb_net').selectAll().where('asn', '=', pa.asn).executeTakeFirst()) ?? null;
}

function pdbValue(field: string, net: any): { value: string | number | null; raw: unknown } {
  const raw = net[SYNCED.find((s) => s.field === field)!.pdb];
  if (field === 'name') return { value: typeof raw === 'string' && raw.trim() ? raw.trim() : null, raw };
  if (field === 'irr_as_set') return { value: validIrr(typeof raw === 'string' ? raw : null), raw };
  // PeeringDB uses 0 / null for "not given": never a reason to drop a configured limit.
  const n = raw === null || raw === undefined ? null : Number(raw);
  return { value: n && n > 0 ? n : null, raw };
}

function divergence(pa: any, net: any | null): FieldDivergence[] {
  return SYNCED.map(({ field, flag }) => {
    const follow = toBool(pa[flag]) ?? true;
    const local = pa[field] === undefined || pa[field] === null ? null : typeof pa[field] === 'string' ? pa[field] : Number(pa[field]);
    if (!net) return { field, local, peeringdb: null, follow, differs: false, will_update: false, reason: 'not in PeeringDB' };
    const { value, raw } = pdbValue(field, net);
    const differs = value !== local && !(value === null && (raw === null || raw === '' || raw === 0) && local === null);
    let reason: string | null = null;
    if (differs && value === null) reason = raw && field === 'irr_as_set' ? `PeeringDB value "${String(raw)}" is not a valid AS-SET` : 'PeeringDB has no value; the local one is kept';
    else if (differs && !follow) reason = 'not following PeeringDB for this field';
    return { field, local, peeringdb: value, follow, differs, will_update: differs && follow && value !== null, reason };
  });
}

/** Local values against PeeringDB's for one peer ASN. */
export async function peerAsnDivergence(db: Executor, peerAsnId: number): Promise<any> {
  const pa: any = await db.selectFrom('peer_asns').selectAll().where('id', '=', peerAsnId).executeTakeFirst();
  if (!pa) throw new NotFoundError('peer-asn', peerAsnId);
  const net = await netForPeerAsn(db, pa);
  const fields = divergence(pa, net);
  return {
    peer_asn: { id: Number(pa.id), asn: Number(pa.asn), name: pa.name, peeringdb_id: num(pa.peeringdb_id), peeringdb_synced_at: pa.peeringdb_synced_at ?? null },
    peeringdb: net
      ? { id: Number(net.id), asn: Number(net.asn), name: net.name, irr_as_set: net.irr_as_set || null, info_prefixes4: num(net.info_prefixes4), info_prefixes6: num(net.info_prefixes6), policy_general: net.policy_general || null, updated: net.updated }
      : null,
    fields,
    in_sync: !!net && fields.every((f) => !f.differs),
    pending_updates: fields.filter((f) => f.will_update).map((f) => f.field),
  };
}

/** Syncs one peer ASN from the mirror (followed fields only; empty PeeringDB values never win). */
export async function syncPeerAsn(db: Db, peerAsnId: number, actor: Actor = SYSTEM): Promise<{ id: number; asn: number; found: boolean; changed: string[] }> {
  return db.transaction().execute(async (trx) => {
    const pa: any = await trx.selectFrom('peer_asns').selectAll().where('id', '=', peerAsnId).executeTakeFirst();
    if (!pa) throw new NotFoundError('peer-asn', peerAsnId);
    const net = await netForPeerAsn(trx, pa);
    if (!net) return { id: Number(pa.id), asn: Number(pa.asn), found: false, changed: [] };
    const patch: Record<string, unknown> = {};
    const before: Record<string, unknown> = {};
    for (const f of divergence(pa, net)) {
      if (!f.will_update) continue;
      patch[f.field] = f.peeringdb;
      before[f.field] = f.local;
    }
    if (Number(pa.peeringdb_id) !== Number(net.id)) {
      before.peeringdb_id = num(pa.peeringdb_id);
      patch.peeringdb_id = Number(net.id);
    }
    const changed = Object.keys(patch);
    await trx
      .updateTable('peer_asns')
      .set({ ...patch, peeringdb_synced_at: now(), ...(changed.length ? { updated_at: now(), version: Number(pa.version) + 1 } : {}) })
      .where('id', '=', pa.id)
      .execute();
    if (changed.length) {
      await recordChange(trx, actor, { action: 'update', objectType: 'peer-asn', objectId: Number(pa.id), repr: `AS${pa.asn} ${pa.name}`, before, after: patch });
    }
    return { id: Number(pa.id), asn: Number(pa.asn), found: true, changed };
  });
}

/** Syncs every peer ASN (or the given ones) from the mirror; each in its own short transaction. */
export async function syncAllPeerAsns(
  db: Db,
  opts: { ids?: number[]; actor?: Actor; progress?: (f: number, m?: string) => void | Promise<void>; log?: (m: string, level?: 'info' | 'warn' | 'error') => void | Promise<void>; signal?: AbortSignal } = {},
): Promise<{ checked: number; updated: number; not_found: number[]; changes: { asn: number; changed: string[] }[] }> {
  let q = db.selectFrom('peer_asns').select(['id']).orderBy('id');
  if (opts.ids?.length) q = q.where('id', 'in', opts.ids);
  const ids = (await q.execute()).map((r: any) => Number(r.id));
  const out = { checked: 0, updated: 0, not_found: [] as number[], changes: [] as { asn: number; changed: string[] }[] };
  for (const id of ids) {
    opts.signal?.throwIfAborted();
    const r = await syncPeerAsn(db, id, opts.actor ?? SYSTEM);
    out.checked++;
    if (!r.found) out.not_found.push(r.asn);
    if (r.changed.length) {
      out.updated++;
      out.changes.push({ asn: r.asn, changed: r.changed });
      await opts.log?.(`AS${r.asn}: updated ${r.changed.join(', ')}`);
    }
    if (out.checked % 50 === 0 || out.checked === ids.length) await opts.progress?.(out.checked / ids.length, `${out.checked}/${ids.length} peer ASNs`);
  }
  if (out.not_found.length) await opts.log?.(`not in PeeringDB: ${out.not_found.map((a) => `AS${a}`).join(', ')}`, 'warn');
  return out;
}
