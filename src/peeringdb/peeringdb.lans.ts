// What candidates, lookups and IX-F share: a fabric's LANs, the PeeringDB members on them, our own
// ASNs and sessions, and the small helpers of the PeeringDB services.
import type { Selectable } from 'kysely';
import { now, type Executor } from '../platform/db.ts';
import type { FabricsTable } from '../platform/db.types.ts';
import { NotFoundError } from '../platform/errors.ts';
import { parseIp, parsePrefix, prefixContains, type ParsedPrefix } from '../platform/ip.ts';
import type { Actor } from '../changes/changes.service.ts';
import type { SecretBox } from '../platform/crypto.ts';
import type { Principal } from '../platform/principal.ts';
import { toBool } from './peeringdb.table.ts';

/** The change-log identity of writes made by the system (sync jobs, the CLI). */
export const SYSTEM: Actor = { userId: null, username: 'peeringdb-sync' };

/** Writes by the system need no secrets (no passwords are set): fail loudly if one ever is. */
export const NO_SECRETS = {
  encrypt(): string {
    throw new Error('no secret key in this context');
  },
  decrypt(): string {
    throw new Error('no secret key in this context');
  },
} as unknown as SecretBox;

/** The change-log identity of an actor, as the shared write path expects it. */
export function principalOf(actor: Actor): Principal {
  return {
    userId: actor.userId as number,
    username: actor.username ?? 'system',
    role: 'operator',
    via: 'token',
    canWrite: true,
  };
}

export function chunks<T>(list: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

export type FabricRow = Selectable<FabricsTable>;

/** One network (LAN) of a fabric. */
export interface Lan {
  id: number;
  name: string;
  prefix: ParsedPrefix | null;
  ixlanId: number | null;
  status: string;
}

export interface FabricLans {
  fabric: FabricRow;
  networks: Lan[];
  ixlanIds: number[];
}

/** A fabric, its networks and the PeeringDB ixlans they stand for (by link or by the fabric's exchange). */
export async function loadFabricLans(db: Executor, fabricId: number): Promise<FabricLans> {
  const fabric = await db.selectFrom('fabrics').selectAll().where('id', '=', fabricId).executeTakeFirst();
  if (!fabric) throw new NotFoundError('fabric', fabricId);
  const rows = await db
    .selectFrom('peering_networks')
    .selectAll()
    .where('fabric_id', '=', fabricId)
    .orderBy('id')
    .execute();
  const networks: Lan[] = rows.map((n) => {
    const p = parsePrefix(n.prefix);
    return {
      id: Number(n.id),
      name: n.name,
      prefix: 'error' in p ? null : p,
      ixlanId: num(n.peeringdb_ixlan_id),
      status: n.status,
    };
  });
  const ixlans = new Set<number>(networks.filter((n) => n.ixlanId !== null).map((n) => n.ixlanId!));
  if (fabric.peeringdb_ix_id) {
    for (const l of await db.selectFrom('pdb_ixlan').select('id').where('ix_id', '=', fabric.peeringdb_ix_id).execute())
      ixlans.add(Number(l.id));
  }
  return { fabric, networks, ixlanIds: [...ixlans] };
}

/** The fabric network (not decommissioned) whose prefix holds an address, or null. */
export function networkFor(lans: Lan[], ip: string): Lan | null {
  const parsed = parseIp(ip);
  if (!parsed) return null;
  return lans.find((n) => n.prefix && n.status !== 'decommissioned' && prefixContains(n.prefix, parsed)) ?? null;
}

/** One address of a PeeringDB member on an ixlan (a netixlan row has up to two). */
export interface Member {
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

/** The members' addresses on some ixlans (optionally of one ASN). */
export async function membersOn(db: Executor, ixlanIds: number[], asn?: number): Promise<Member[]> {
  const out: Member[] = [];
  for (const part of chunks(ixlanIds)) {
    if (!part.length) continue;
    let q = db
      .selectFrom('pdb_netixlan')
      .select(['id', 'net_id', 'asn', 'ixlan_id', 'ipaddr4', 'ipaddr6', 'is_rs_peer', 'speed', 'operational'])
      .where('ixlan_id', 'in', part);
    if (asn !== undefined) q = q.where('asn', '=', asn);
    for (const r of await q.orderBy('id').execute()) {
      for (const [field, family] of [
        ['ipaddr4', 4],
        ['ipaddr6', 6],
      ] as const) {
        const raw = r[field];
        const ip = raw ? parseIp(raw) : null;
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
export async function fabricPeeringDbMembers(
  db: Executor,
  fabricId: number,
): Promise<{
  fabric: FabricRow;
  members: { asn: number; address: string; key: string; family: 4 | 6; is_rs_peer: boolean }[];
}> {
  const lans = await loadFabricLans(db, fabricId);
  const members = await membersOn(db, lans.ixlanIds);
  return {
    fabric: lans.fabric,
    members: members.map((m) => ({
      asn: m.asn,
      address: m.address,
      key: m.key,
      family: m.family,
      is_rs_peer: m.isRsPeer,
    })),
  };
}

/**
 * Peer IP keys we already have a peering session with: from the given router when there is one
 * (candidates are per router and address), else from any of our routers.
 */
export async function sessionKeys(db: Executor, keys: string[], routerId?: number | null): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks([...new Set(keys)])) {
    if (!part.length) continue;
    let q = db
      .selectFrom('bgp_peers as b')
      .innerJoin('peering_sessions as s', 's.bgp_peer_id', 'b.id')
      .select('b.peer_ip_key')
      .where('b.peer_ip_key', 'in', part);
    if (routerId) q = q.where('b.router_id', '=', routerId);
    for (const r of await q.execute()) out.add(r.peer_ip_key);
  }
  return out;
}

/** Our ASNs: every router's local ASN and the affiliated peer ASNs. */
export async function ourAsns(db: Executor): Promise<Set<number>> {
  const out = new Set<number>();
  for (const r of await db.selectFrom('routers').select('local_asn').distinct().execute()) out.add(Number(r.local_asn));
  for (const r of await db.selectFrom('peer_asns').select(['asn', 'affiliated']).execute())
    if (toBool(r.affiliated)) out.add(Number(r.asn));
  return out;
}

/** ixlan id → fabric id, for every fabric tied to PeeringDB. */
export async function allFabricIxlans(db: Executor): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const n of await db
    .selectFrom('peering_networks')
    .select(['fabric_id', 'peeringdb_ixlan_id'])
    .where('peeringdb_ixlan_id', 'is not', null)
    .execute()) {
    out.set(Number(n.peeringdb_ixlan_id), Number(n.fabric_id));
  }
  const fabrics = await db
    .selectFrom('fabrics')
    .select(['id', 'peeringdb_ix_id'])
    .where('peeringdb_ix_id', 'is not', null)
    .execute();
  const byIx = new Map(fabrics.map((f) => [Number(f.peeringdb_ix_id), Number(f.id)]));
  if (byIx.size) {
    for (const part of chunks([...byIx.keys()])) {
      for (const l of await db.selectFrom('pdb_ixlan').select(['id', 'ix_id']).where('ix_id', 'in', part).execute()) {
        if (!out.has(Number(l.id))) out.set(Number(l.id), byIx.get(Number(l.ix_id))!);
      }
    }
  }
  return out;
}

/** The candidates hidden on a fabric now (expired hides are not), by ASN. */
export async function hiddenFor(
  db: Executor,
  fabricId: number,
): Promise<Map<number, { until: string | null; reason: string | null }>> {
  const rows = await db.selectFrom('pdb_hidden_candidates').selectAll().where('fabric_id', '=', fabricId).execute();
  const t = now();
  const out = new Map<number, { until: string | null; reason: string | null }>();
  for (const r of rows)
    if (!r.until || r.until > t) out.set(Number(r.asn), { until: r.until ?? null, reason: r.reason ?? null });
  return out;
}
