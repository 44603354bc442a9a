// Peer ASNs against the PeeringDB mirror: the divergence view and the sync of followed fields.
import type { Selectable } from 'kysely';
import { now, withTx, type Db, type Executor } from '../platform/db.ts';
import type { PdbNetTable, PeerAsnsTable } from '../platform/db.types.ts';
import { NotFoundError } from '../platform/errors.ts';
import { recordChange, type Actor } from '../changes/changes.service.ts';
import { toBool } from './peeringdb.table.ts';
import { validIrr } from './peer-asn-defaults.ts';
import { num, SYSTEM } from './peeringdb.lans.ts';
import type { Divergence, PeerAsnSyncResult } from './peeringdb.schema.ts';

type PeerAsnRow = Selectable<PeerAsnsTable>;
type NetRow = Selectable<PdbNetTable>;

/** A peer ASN field that can follow PeeringDB, the net column it follows and the flag that says so. */
interface Synced {
  field: 'name' | 'irr_as_set' | 'ipv4_max_prefixes' | 'ipv6_max_prefixes';
  pdb: 'name' | 'irr_as_set' | 'info_prefixes4' | 'info_prefixes6';
  flag: 'follow_peeringdb_name' | 'follow_peeringdb_irr_as_set' | 'follow_peeringdb_max_prefixes';
}

const SYNCED: Synced[] = [
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

async function netForPeerAsn(db: Executor, pa: PeerAsnRow): Promise<NetRow | null> {
  if (pa.peeringdb_id) {
    const byId = await db.selectFrom('pdb_net').selectAll().where('id', '=', pa.peeringdb_id).executeTakeFirst();
    if (byId && Number(byId.asn) === Number(pa.asn)) return byId;
  }
  return (await db.selectFrom('pdb_net').selectAll().where('asn', '=', pa.asn).executeTakeFirst()) ?? null;
}

function pdbValue(s: Synced, net: NetRow): { value: string | number | null; raw: string | number | null } {
  const raw = net[s.pdb];
  if (s.field === 'name') return { value: typeof raw === 'string' && raw.trim() ? raw.trim() : null, raw };
  if (s.field === 'irr_as_set') return { value: validIrr(typeof raw === 'string' ? raw : null), raw };
  // PeeringDB uses 0 / null for "not given": never a reason to drop a configured limit.
  const n = raw === null || raw === undefined ? null : Number(raw);
  return { value: n && n > 0 ? n : null, raw };
}

function divergence(pa: PeerAsnRow, net: NetRow | null): FieldDivergence[] {
  return SYNCED.map((s) => {
    const { field, flag } = s;
    const follow = toBool(pa[flag]) ?? true;
    const stored = pa[field];
    const local = stored === undefined || stored === null ? null : typeof stored === 'string' ? stored : Number(stored);
    if (!net)
      return { field, local, peeringdb: null, follow, differs: false, will_update: false, reason: 'not in PeeringDB' };
    const { value, raw } = pdbValue(s, net);
    const differs = value !== local && !(value === null && (raw === null || raw === '' || raw === 0) && local === null);
    let reason: string | null = null;
    if (differs && value === null)
      reason =
        raw && field === 'irr_as_set'
          ? `PeeringDB value "${String(raw)}" is not a valid AS-SET`
          : 'PeeringDB has no value; the local one is kept';
    else if (differs && !follow) reason = 'not following PeeringDB for this field';
    return {
      field,
      local,
      peeringdb: value,
      follow,
      differs,
      will_update: differs && follow && value !== null,
      reason,
    };
  });
}

/** Local values against PeeringDB's for one peer ASN. */
export async function peerAsnDivergence(db: Executor, peerAsnId: number): Promise<Divergence> {
  const pa = await db.selectFrom('peer_asns').selectAll().where('id', '=', peerAsnId).executeTakeFirst();
  if (!pa) throw new NotFoundError('peer-asn', peerAsnId);
  const net = await netForPeerAsn(db, pa);
  const fields = divergence(pa, net);
  return {
    peer_asn: {
      id: Number(pa.id),
      asn: Number(pa.asn),
      name: pa.name,
      peeringdb_id: num(pa.peeringdb_id),
      peeringdb_synced_at: pa.peeringdb_synced_at ?? null,
    },
    peeringdb: net
      ? {
          id: Number(net.id),
          asn: Number(net.asn),
          name: net.name ?? '',
          irr_as_set: net.irr_as_set || null,
          info_prefixes4: num(net.info_prefixes4),
          info_prefixes6: num(net.info_prefixes6),
          policy_general: net.policy_general || null,
          updated: net.updated ?? '',
        }
      : null,
    fields,
    in_sync: !!net && fields.every((f) => !f.differs),
    pending_updates: fields.filter((f) => f.will_update).map((f) => f.field),
  };
}

/** Syncs one peer ASN from the mirror (followed fields only; empty PeeringDB values never win). */
export async function syncPeerAsn(db: Db, peerAsnId: number, actor: Actor = SYSTEM): Promise<PeerAsnSyncResult> {
  return withTx(db, async (trx) => {
    const pa = await trx.selectFrom('peer_asns').selectAll().where('id', '=', peerAsnId).executeTakeFirst();
    if (!pa) throw new NotFoundError('peer-asn', peerAsnId);
    const net = await netForPeerAsn(trx, pa);
    if (!net) return { id: Number(pa.id), asn: Number(pa.asn), found: false, changed: [] };
    const patch: Record<string, string | number | null> = {};
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
      .set({
        ...patch,
        peeringdb_synced_at: now(),
        ...(changed.length ? { updated_at: now(), version: Number(pa.version) + 1 } : {}),
      })
      .where('id', '=', pa.id)
      .execute();
    if (changed.length) {
      await recordChange(trx, actor, {
        action: 'update',
        objectType: 'peer-asn',
        objectId: Number(pa.id),
        repr: `AS${pa.asn} ${pa.name}`,
        before,
        after: patch,
      });
    }
    return { id: Number(pa.id), asn: Number(pa.asn), found: true, changed };
  });
}

/** Syncs every peer ASN (or the given ones) from the mirror; each in its own short transaction. */
export async function syncAllPeerAsns(
  db: Db,
  opts: {
    ids?: number[];
    actor?: Actor;
    progress?: (f: number, m?: string) => void | Promise<void>;
    log?: (m: string, level?: 'info' | 'warn' | 'error') => void | Promise<void>;
    signal?: AbortSignal;
  } = {},
): Promise<{ checked: number; updated: number; not_found: number[]; changes: { asn: number; changed: string[] }[] }> {
  let q = db.selectFrom('peer_asns').select(['id']).orderBy('id');
  if (opts.ids?.length) q = q.where('id', 'in', opts.ids);
  const ids = (await q.execute()).map((r) => Number(r.id));
  const out = {
    checked: 0,
    updated: 0,
    not_found: [] as number[],
    changes: [] as { asn: number; changed: string[] }[],
  };
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
    if (out.checked % 50 === 0 || out.checked === ids.length)
      await opts.progress?.(out.checked / ids.length, `${out.checked}/${ids.length} peer ASNs`);
  }
  if (out.not_found.length)
    await opts.log?.(`not in PeeringDB: ${out.not_found.map((a) => `AS${a}`).join(', ')}`, 'warn');
  return out;
}
