// Peering candidates: networks on a fabric's LANs we have no session with (ranked), hiding them,
// creating sessions from them in bulk, and the reverse view (where could we peer with one ASN).
import type { Selectable } from 'kysely';
import { now, withTx, type Db, type Executor } from '../platform/db.ts';
import type { PdbNetTable, PeerAsnsTable, PeeringNetworksTable } from '../platform/db.types.ts';
import { ConflictError, ValidationError, type FieldError } from '../platform/errors.ts';
import { parseAsn, parseIp } from '../platform/ip.ts';
import type { Actor } from '../changes/changes.service.ts';
import type { WriteContext } from '../platform/crud.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { createPeerSession, ensurePeerAsn } from '../sessions/sessions.service.ts';
import {
  allFabricIxlans,
  chunks,
  hiddenFor,
  loadFabricLans,
  membersOn,
  networkFor,
  NO_SECRETS,
  num,
  ourAsns,
  principalOf,
  sessionKeys,
  SYSTEM,
  type FabricLans,
  type Member,
} from './peeringdb.lans.ts';
import { networkByAsn } from './peeringdb.lookups.ts';
import type { Opportunities } from './peeringdb.schema.ts';

async function netsByAsn(db: Executor, asns: number[]): Promise<Map<number, Selectable<PdbNetTable>>> {
  const out = new Map<number, Selectable<PdbNetTable>>();
  for (const part of chunks(asns)) {
    if (!part.length) continue;
    for (const r of await db.selectFrom('pdb_net').selectAll().where('asn', 'in', part).execute())
      out.set(Number(r.asn), r);
  }
  return out;
}

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
export function candidateScore(
  c: Pick<
    Candidate,
    'policy' | 'info_prefixes4' | 'info_prefixes6' | 'shared_fabrics' | 'speed' | 'is_rs_peer' | 'addresses'
  >,
  allRs = c.is_rs_peer,
): number {
  const policy = c.policy ? (POLICY_POINTS[c.policy.toLowerCase()] ?? 15) : 15;
  const size = Math.min(25, 5 * Math.log10(1 + (c.info_prefixes4 ?? 0) + (c.info_prefixes6 ?? 0)));
  const reach = Math.min(15, 5 * Math.max(0, c.shared_fabrics - 1));
  const capacity = Math.min(10, 2 * Math.log2(1 + c.speed / 1000));
  const open = c.addresses.filter((a) => !a.has_session);
  const dual = open.some((a) => a.family === 4) && open.some((a) => a.family === 6) ? 5 : 0;
  const rs = allRs ? -5 : 0;
  return Math.round((policy + size + reach + capacity + dual + rs) * 10) / 10;
}

async function buildCandidates(
  db: Executor,
  lans: FabricLans,
  members: Member[],
  routerId?: number | null,
): Promise<Candidate[]> {
  const own = await ourAsns(db);
  members = members.filter((m) => !own.has(m.asn));
  const taken = await sessionKeys(
    db,
    members.map((m) => m.key),
    routerId,
  );
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
    for (const r of await db.selectFrom('peer_asns').select(['id', 'asn']).where('asn', 'in', part).execute())
      peerAsns.set(Number(r.asn), Number(r.id));
  }
  // How many of our fabrics each ASN is present on (netixlan on any fabric's LAN).
  const ixlanFabric = await allFabricIxlans(db);
  const shared = new Map<number, Set<number>>();
  const allIxlans = [...ixlanFabric.keys()];
  for (const part of chunks(asns)) {
    if (!part.length || !allIxlans.length) continue;
    for (const ixPart of chunks(allIxlans)) {
      for (const r of await db
        .selectFrom('pdb_netixlan')
        .select(['asn', 'ixlan_id'])
        .where('asn', 'in', part)
        .where('ixlan_id', 'in', ixPart)
        .execute()) {
        const s = shared.get(Number(r.asn)) ?? new Set<number>();
        s.add(ixlanFabric.get(Number(r.ixlan_id))!);
        shared.set(Number(r.asn), s);
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
    c.score = candidateScore(
      c,
      [...ports.values()].every((m) => m.isRsPeer),
    );
    out.push(c);
  }
  out.sort((a, b) => b.score - a.score || a.asn - b.asn);
  return out;
}

/** Networks on a fabric's LANs (netixlan) with at least one address we have no session with, ranked. */
export async function listCandidates(
  db: Executor,
  fabricId: number,
  opts: { includeHidden?: boolean; q?: string; policy?: string; routerId?: number | null } = {},
): Promise<Candidate[]> {
  const lans = await loadFabricLans(db, fabricId);
  if (
    opts.routerId &&
    !(await db.selectFrom('routers').select('id').where('id', '=', opts.routerId).executeTakeFirst())
  )
    throw new ValidationError('router', `no router with id ${opts.routerId}`);
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
export async function hideCandidates(
  db: Db,
  fabricId: number,
  asns: number[],
  opts: { until?: string | null; reason?: string | null },
  actor: Actor = SYSTEM,
): Promise<{ hidden: number[]; until: string | null }> {
  await loadFabricLans(db, fabricId);
  const until = parseUntil(opts.until);
  const list = [...new Set(asns)];
  await withTx(db, async (trx) => {
    for (const asn of list) {
      await trx.deleteFrom('pdb_hidden_candidates').where('fabric_id', '=', fabricId).where('asn', '=', asn).execute();
      await trx
        .insertInto('pdb_hidden_candidates')
        .values({
          fabric_id: fabricId,
          asn,
          until,
          reason: opts.reason ?? null,
          created_by: actor.userId,
          created_at: now(),
        })
        .execute();
    }
  });
  return { hidden: list, until };
}

/** Shows hidden candidates again. */
export async function unhideCandidates(db: Db, fabricId: number, asns: number[]): Promise<{ unhidden: number[] }> {
  await loadFabricLans(db, fabricId);
  const list = [...new Set(asns)];
  for (const part of chunks(list))
    if (part.length)
      await db.deleteFrom('pdb_hidden_candidates').where('fabric_id', '=', fabricId).where('asn', 'in', part).execute();
  return { unhidden: list };
}

/** Hidden candidates of a fabric, expired ones included (with their until). */
export async function listHidden(
  db: Executor,
  fabricId: number,
): Promise<{ asn: number; until: string | null; reason: string | null; active: boolean }[]> {
  const t = now();
  return (
    await db.selectFrom('pdb_hidden_candidates').selectAll().where('fabric_id', '=', fabricId).orderBy('asn').execute()
  ).map((r) => ({
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
  created: {
    asn: number;
    address: string;
    family: 4 | 6;
    network_id: number;
    bgp_peer_id: number;
    session_id: number;
    peer_asn_id: number;
  }[];
  skipped: { asn: number; address: string; reason: string }[];
  peer_asns_created: number[];
}

/**
 * Creates a peer ASN (if missing), one BGP peer per address and a peering session for each, all in
 * one transaction. Addresses default to every candidate address without a session.
 */
export async function createSessionsFromCandidates(
  db: Db,
  fabricId: number,
  input: CreateSessionsInput,
  actor: Actor = SYSTEM,
  secrets: SecretBox = NO_SECRETS,
): Promise<CreateSessionsResult> {
  if (!input.candidates?.length) throw new ValidationError('candidates', 'select at least one candidate');
  return withTx(db, async (trx) => {
    const ctx: WriteContext = {
      db: trx,
      principal: principalOf(actor),
      secrets,
      requestId: actor.requestId ?? undefined,
    };
    const router = await trx.selectFrom('routers').selectAll().where('id', '=', input.router_id).executeTakeFirst();
    if (!router) throw new ValidationError('router_id', `router ${input.router_id} does not exist`);
    if (input.peer_group_id) {
      const pg = await trx
        .selectFrom('peer_groups')
        .select(['id', 'router_id'])
        .where('id', '=', input.peer_group_id)
        .executeTakeFirst();
      if (!pg) throw new ValidationError('peer_group_id', `peer group ${input.peer_group_id} does not exist`);
      if (Number(pg.router_id) !== Number(router.id))
        throw new ValidationError('peer_group_id', `peer group ${input.peer_group_id} belongs to another router`);
    }
    if (input.relationship_id) {
      const rel = await trx
        .selectFrom('relationships')
        .select('id')
        .where('id', '=', input.relationship_id)
        .executeTakeFirst();
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
        errors.push({
          field: `candidates.${i}.asn`,
          message: `AS${sel.asn} is not a peering candidate on this fabric for ${router.name} (not on its LANs, ours, or already peered on every address)`,
        });
        return;
      }
      const wanted = sel.addresses?.length
        ? sel.addresses
        : c.addresses.filter((a) => !a.has_session).map((a) => a.address);
      wanted.forEach((raw, j) => {
        const ip = parseIp(raw);
        const addr = ip ? c.addresses.find((a) => a.address === ip.text) : undefined;
        if (!addr) {
          errors.push({
            field: `candidates.${i}.addresses.${j}`,
            message: `${raw} is not an address of AS${sel.asn} on this fabric`,
          });
        } else if (addr.has_session) {
          result.skipped.push({
            asn: sel.asn,
            address: addr.address,
            reason: `${router.name} has a session on this address already`,
          });
        } else if (addr.network_id === null) {
          errors.push({
            field: `candidates.${i}.addresses.${j}`,
            message: `${raw} is outside every network of this fabric`,
          });
        } else {
          plan.push({ asn: sel.asn, addr, field: `candidates.${i}.addresses.${j}` });
        }
      });
    });
    if (errors.length) throw new ValidationError(errors, errors.map((e) => `${e.field}: ${e.message}`).join('; '));

    const peerAsnRows = new Map<number, Selectable<PeerAsnsTable>>();
    const networks = new Map<number, Selectable<PeeringNetworksTable>>();
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
        network = await trx
          .selectFrom('peering_networks')
          .selectAll()
          .where('id', '=', addr.network_id!)
          .executeTakeFirstOrThrow();
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
      result.created.push({
        asn,
        address: addr.address,
        family: addr.family,
        network_id: addr.network_id!,
        bgp_peer_id: made.bgpPeerId,
        session_id: made.sessionId,
        peer_asn_id: Number(peerAsn.id),
      });
    }
    return result;
  });
}

/** For one ASN, every fabric of ours where it is present, with the addresses still to peer with. */
export async function peeringOpportunities(db: Executor, asn: number): Promise<Opportunities> {
  const net = await networkByAsn(db, asn);
  const ixlanFabric = await allFabricIxlans(db);
  const byFabric = new Map<number, number[]>();
  for (const [ixlan, fabric] of ixlanFabric) byFabric.set(fabric, [...(byFabric.get(fabric) ?? []), ixlan]);
  const fabrics: Opportunities['fabrics'] = [];
  for (const [fabricId] of byFabric) {
    const lans = await loadFabricLans(db, fabricId);
    const members = await membersOn(db, lans.ixlanIds, asn);
    if (!members.length) continue;
    const taken = await sessionKeys(
      db,
      members.map((m) => m.key),
    );
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
      fabric: {
        id: Number(lans.fabric.id),
        name: lans.fabric.name,
        slug: lans.fabric.slug,
        peeringdb_ix_id: num(lans.fabric.peeringdb_ix_id),
      },
      addresses,
      missing: addresses.filter((a) => !a.has_session).length,
      hidden: !!hidden,
      hidden_until: hidden?.until ?? null,
    });
  }
  fabrics.sort((a, b) => b.missing - a.missing || a.fabric.name.localeCompare(b.fabric.name));
  // Exchanges where both they and we are present in PeeringDB but Peerdesk has no fabric yet.
  const own = [...(await ourAsns(db))];
  const theirIx = new Set(
    (await db.selectFrom('pdb_netixlan').select('ix_id').where('asn', '=', asn).execute()).map((r) => Number(r.ix_id)),
  );
  const ourIx = new Set<number>();
  for (const part of chunks(own))
    if (part.length)
      for (const r of await db.selectFrom('pdb_netixlan').select('ix_id').where('asn', 'in', part).execute())
        ourIx.add(Number(r.ix_id));
  const covered = new Set(
    (await db.selectFrom('fabrics').select('peeringdb_ix_id').where('peeringdb_ix_id', 'is not', null).execute()).map(
      (r) => Number(r.peeringdb_ix_id),
    ),
  );
  const otherIds = [...theirIx].filter((ix) => ourIx.has(ix) && !covered.has(ix));
  const other = otherIds.length
    ? await db
        .selectFrom('pdb_ix')
        .select(['id', 'name', 'city', 'country'])
        .where('id', 'in', otherIds)
        .orderBy('name')
        .execute()
    : [];
  return {
    asn,
    network: net,
    fabrics,
    other_exchanges: other.map((r) => ({
      id: Number(r.id),
      name: r.name ?? '',
      city: r.city || null,
      country: r.country || null,
    })),
  };
}
