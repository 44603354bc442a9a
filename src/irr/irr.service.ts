// IRR prefix lists in the database: import/refresh a peer's AS-SET into versioned prefix lists
// (one per family) and an AS-path list, holding suspicious refreshes for review.
import type { Selectable } from 'kysely';
import type { Executor, Db } from '../platform/db.ts';
import { now, storedEnum } from '../platform/db.ts';
import type { PeerAsnsTable, PrefixListVersionsTable } from '../platform/db.types.ts';
import { json } from '../platform/crud.ts';
import { appendVersion, latestVersion, setDiff, type VersionHistory } from '../platform/versions.ts';
import { ConflictError, NotFoundError, UpstreamError, ValidationError } from '../platform/errors.ts';
import { recordChange, type Actor } from '../changes/changes.service.ts';
import { writeEntries, type EntryInput } from '../bgp/prefix-lists.resource.ts';
import type { ExpandResult } from './expand.ts';
import type { PrefixEntry } from './aggregate.ts';
import type { IrrPool } from './whois.client.ts';

/** A refresh is held when the new list is empty or loses more than this share of the last good one. */
export const SHRINK_LIMIT = 0.5;

/** A prefix list's versions: one per IRR refresh, with the entries added and removed. */
export const PREFIX_LIST_VERSIONS: VersionHistory<PrefixListVersion> = {
  table: 'prefix_list_versions',
  owner: 'prefix_list_id',
};
/** Where a prefix-list version stands: the list's entries, waiting for review, refused, or replaced by a newer one. */
export const PREFIX_LIST_VERSION_STATUSES = ['active', 'held', 'rejected', 'superseded'] as const;
/** What an import did to one family's list: a new active version, one held for review, or nothing new. */
export const LIST_OUTCOME_STATUSES = ['active', 'held', 'unchanged'] as const;
/** One stored version of a prefix list. */
export type PrefixListVersion = Selectable<PrefixListVersionsTable>;

export interface ImportOptions {
  /** Override the peer's stored AS-SET (and store it when the peer had none). */
  asSet?: string;
  sources?: string[];
  aggregate?: boolean;
  /** Accept a suspicious refresh right away (an operator's explicit import). */
  force?: boolean;
}

export interface ListOutcome {
  family: 4 | 6;
  prefix_list: { id: number; name: string };
  version: number;
  status: (typeof LIST_OUTCOME_STATUSES)[number];
  prefix_count: number;
  added: number;
  removed: number;
  reason: string | null;
}

export interface ImportOutcome {
  peer_asn: { id: number; asn: number };
  query: string;
  lists: ListOutcome[];
  as_path_list: { id: number; name: string; asn_count: number };
  warnings: string[];
}

const entryKey = (e: EntryInput) => `${e.prefix}${e.ge ? ` ge ${e.ge}` : ''}${e.le ? ` le ${e.le}` : ''}`;

/** Loads the pool lazily from the environment (PEERDESK_IRR_HOST, PEERDESK_IRR_SOURCES). */
export async function defaultPool(): Promise<IrrPool> {
  const { loadIrrConfig, createIrrPool } = await import('./irr.config.ts');
  return createIrrPool(loadIrrConfig());
}

/** Expands the IRR target of a peer ASN (its AS-SET, else the ASN itself) through the pool. */
export async function expandForPeer(
  peer: Pick<Selectable<PeerAsnsTable>, 'asn' | 'irr_as_set' | 'irr_sources'>,
  opts: ImportOptions,
  pool: IrrPool,
): Promise<ExpandResult> {
  const { expandAsSet } = await import('./expand.ts');
  const target = opts.asSet ?? peer.irr_as_set ?? `AS${peer.asn}`;
  const sources = opts.sources ?? (peer.irr_sources ? String(peer.irr_sources).split(',') : undefined);
  try {
    return await expandAsSet(target, { families: [4, 6], sources, aggregate: opts.aggregate ?? false }, pool);
  } catch (err) {
    throw new UpstreamError(`IRR expansion of ${target} failed: ${(err as Error).message}`, 'irr_error');
  }
}

/**
 * Stores an expansion for a peer in one transaction: per family, a new version with its diff;
 * the list's entries are replaced only when the version is accepted (not held).
 */
export async function applyExpansion(
  db: Executor,
  peerAsnId: number,
  result: ExpandResult,
  meta: { server?: string; sources?: string[]; force?: boolean; actor: Actor },
): Promise<ImportOutcome> {
  const peer = await db.selectFrom('peer_asns').selectAll().where('id', '=', peerAsnId).executeTakeFirst();
  if (!peer) throw new NotFoundError('peer-asn', peerAsnId);
  const t = now();
  const lists: ListOutcome[] = [];
  for (const family of [4, 6] as const) {
    const entries: PrefixEntry[] = family === 4 ? result.entries.ipv4 : result.entries.ipv6;
    const name = `IRR-AS${peer.asn}-V${family}`;
    let list = await db
      .selectFrom('prefix_lists')
      .select(['id', 'name', 'version'])
      .where('peer_asn_id', '=', peerAsnId)
      .where('source', '=', 'irr')
      .where('family', '=', family)
      .executeTakeFirst();
    if (!list) {
      const clash = await db.selectFrom('prefix_lists').select('id').where('name', '=', name).executeTakeFirst();
      if (clash)
        throw new ConflictError(`a prefix list named ${name} exists and is not this peer's IRR list`, [
          { field: 'name', message: 'in use' },
        ]);
      list = await db
        .insertInto('prefix_lists')
        .values({
          name,
          family,
          source: 'irr',
          peer_asn_id: peerAsnId,
          irr_query: result.target,
          description: `IRR ${result.target} for AS${peer.asn}`,
          created_at: t,
          updated_at: t,
          version: 1,
        })
        .returning(['id', 'name', 'version'])
        .executeTakeFirstOrThrow();
    }
    const listId = Number(list.id);
    const last = await latestVersion(db, PREFIX_LIST_VERSIONS, listId);
    const good = await latestVersion(db, PREFIX_LIST_VERSIONS, listId, { status: 'active' });
    const newEntries = entries.map((e) => ({
      prefix: e.prefix,
      ge: e.exact ? null : (e.ge ?? null),
      le: e.exact ? null : (e.le ?? null),
    }));
    const before = new Set<string>(good ? json<EntryInput[]>(good.entries, []).map(entryKey) : []);
    const after = new Set(newEntries.map(entryKey));
    const { added, removed } = setDiff(before, after);
    if (good && !added.length && !removed.length) {
      lists.push({
        family,
        prefix_list: { id: listId, name: list.name },
        version: Number(good.version),
        status: 'unchanged',
        prefix_count: after.size,
        added: 0,
        removed: 0,
        reason: null,
      });
      continue;
    }
    let reason: string | null = null;
    if (good && after.size === 0)
      reason = `the IRR returned no IPv${family} prefixes (last good list had ${before.size})`;
    else if (good && after.size < before.size * (1 - SHRINK_LIMIT))
      reason = `the list would shrink from ${before.size} to ${after.size} prefixes (more than ${SHRINK_LIMIT * 100}%)`;
    const held = reason !== null && !meta.force;
    if (!held && good)
      await db.updateTable('prefix_list_versions').set({ status: 'superseded' }).where('id', '=', good.id).execute();
    // A newer refresh replaces an older one still waiting for review.
    await db
      .updateTable('prefix_list_versions')
      .set({ status: 'superseded', decided_at: t, decided_by: 'superseded by a newer refresh' })
      .where('prefix_list_id', '=', listId)
      .where('status', '=', 'held')
      .execute();
    const version = await appendVersion(
      db,
      PREFIX_LIST_VERSIONS,
      listId,
      {
        created_at: t,
        status: held ? 'held' : 'active',
        reason,
        irr_server: meta.server ?? null,
        sources: meta.sources?.join(',') ?? null,
        query: result.target,
        prefix_count: after.size,
        entries: JSON.stringify(newEntries),
        added: JSON.stringify(added),
        removed: JSON.stringify(removed),
        decided_by: !held && reason ? (meta.actor.username ?? 'forced') : null,
        decided_at: !held && reason ? t : null,
      },
      last ?? null,
    );
    if (!held) {
      await writeEntries(db, listId, family, newEntries);
      await db
        .updateTable('prefix_lists')
        .set({ irr_query: result.target, updated_at: t, version: list.version + 1 })
        .where('id', '=', listId)
        .execute();
    }
    await recordChange(db, meta.actor, {
      action: held ? 'irr-held' : 'irr-refresh',
      objectType: 'prefix-list',
      objectId: listId,
      repr: list.name,
      after: { version, prefix_count: after.size, added: added.length, removed: removed.length, reason },
    });
    lists.push({
      family,
      prefix_list: { id: listId, name: list.name },
      version,
      status: held ? 'held' : 'active',
      prefix_count: after.size,
      added: added.length,
      removed: removed.length,
      reason,
    });
  }
  const asName = `IRR-AS${peer.asn}`;
  const existing = await db.selectFrom('as_path_lists').selectAll().where('name', '=', asName).executeTakeFirst();
  if (existing)
    await db
      .updateTable('as_path_lists')
      .set({
        asns: JSON.stringify(result.origins),
        query: result.target,
        updated_at: t,
        version: Number(existing.version) + 1,
      })
      .where('id', '=', existing.id)
      .execute();
  else
    await db
      .insertInto('as_path_lists')
      .values({
        name: asName,
        peer_asn_id: peerAsnId,
        query: result.target,
        asns: JSON.stringify(result.origins),
        created_at: t,
        updated_at: t,
        version: 1,
      })
      .execute();
  const apl = await db
    .selectFrom('as_path_lists')
    .select(['id', 'name'])
    .where('name', '=', asName)
    .executeTakeFirstOrThrow();
  await db
    .updateTable('peer_asns')
    .set({ irr_refreshed_at: t, irr_last_error: null })
    .where('id', '=', peerAsnId)
    .execute();
  return {
    peer_asn: { id: peerAsnId, asn: Number(peer.asn) },
    query: result.target,
    lists,
    as_path_list: { id: Number(apl.id), name: apl.name, asn_count: result.origins.length },
    warnings: result.report.warnings,
  };
}

/** The wizard's Import and the peer page's Refresh: expand now and store (explicit import accepts). */
export async function importForPeerAsn(
  db: Db,
  peerAsnId: number,
  opts: ImportOptions & { actor: Actor },
  pool: IrrPool,
): Promise<ImportOutcome> {
  const peer = await db.selectFrom('peer_asns').selectAll().where('id', '=', peerAsnId).executeTakeFirst();
  if (!peer) throw new NotFoundError('peer-asn', peerAsnId);
  if (opts.asSet) {
    const { isIrrSetName } = await import('../platform/ip.ts');
    if (!isIrrSetName(opts.asSet))
      throw new ValidationError('as_set', 'must be an AS-SET like AS-EXAMPLE or RIPE::AS-EXAMPLE, or an ASN');
  }
  // Network first, then one short transaction: an IRR failure leaves the stored lists untouched.
  const result = await expandForPeer(peer, opts, pool);
  return db.transaction().execute(async (tx) => {
    if (opts.asSet && !peer.irr_as_set)
      await tx
        .updateTable('peer_asns')
        .set({ irr_as_set: opts.asSet, updated_at: now(), version: Number(peer.version) + 1 })
        .where('id', '=', peerAsnId)
        .execute();
    return applyExpansion(tx, peerAsnId, result, {
      server: pool.label,
      sources: opts.sources,
      force: opts.force,
      actor: opts.actor,
    });
  });
}

/** Accepts a held version: it becomes the list's entries. */
export async function approveVersion(db: Db, versionId: number, actor: Actor): Promise<PrefixListVersion> {
  return db.transaction().execute(async (tx) => {
    const v = await tx
      .selectFrom('prefix_list_versions as v')
      .innerJoin('prefix_lists as l', 'l.id', 'v.prefix_list_id')
      .selectAll('v')
      .select(['l.family', 'l.name'])
      .where('v.id', '=', versionId)
      .executeTakeFirst();
    if (!v) throw new NotFoundError('prefix-list-version', versionId);
    if (v.status !== 'held') throw new ConflictError(`version ${v.version} is ${v.status}, not held for review`);
    const t = now();
    await tx
      .updateTable('prefix_list_versions')
      .set({ status: 'superseded' })
      .where('prefix_list_id', '=', v.prefix_list_id)
      .where('status', '=', 'active')
      .execute();
    await tx
      .updateTable('prefix_list_versions')
      .set({ status: 'active', decided_by: actor.username, decided_at: t })
      .where('id', '=', versionId)
      .execute();
    await writeEntries(tx, Number(v.prefix_list_id), Number(v.family), json<EntryInput[]>(v.entries, []));
    await recordChange(tx, actor, {
      action: 'irr-approve',
      objectType: 'prefix-list',
      objectId: Number(v.prefix_list_id),
      repr: v.name,
      after: { version: v.version },
    });
    return { ...v, status: 'active' };
  });
}

/** Rejects a held version: the last good list stays. */
export async function rejectVersion(db: Db, versionId: number, actor: Actor): Promise<PrefixListVersion> {
  const v = await db.selectFrom('prefix_list_versions').selectAll().where('id', '=', versionId).executeTakeFirst();
  if (!v) throw new NotFoundError('prefix-list-version', versionId);
  if (v.status !== 'held') throw new ConflictError(`version ${v.version} is ${v.status}, not held for review`);
  await db
    .updateTable('prefix_list_versions')
    .set({ status: 'rejected', decided_by: actor.username, decided_at: now() })
    .where('id', '=', versionId)
    .execute();
  return { ...v, status: 'rejected' };
}

/** Presents a version row. */
export function presentVersion(v: PrefixListVersion, withEntries = false) {
  return {
    id: Number(v.id),
    prefix_list: Number(v.prefix_list_id),
    version: Number(v.version),
    created_at: v.created_at,
    status: storedEnum(PREFIX_LIST_VERSION_STATUSES, v.status, 'prefix list version status'),
    reason: v.reason ?? null,
    irr_server: v.irr_server ?? null,
    sources: v.sources ?? null,
    query: v.query ?? null,
    prefix_count: Number(v.prefix_count),
    added: json<string[]>(v.added, []),
    removed: json<string[]>(v.removed, []),
    decided_by: v.decided_by ?? null,
    decided_at: v.decided_at ?? null,
    ...(withEntries
      ? {
          entries: json<EntryInput[]>(v.entries, []).map((e) => ({
            prefix: e.prefix,
            ge: e.ge ?? null,
            le: e.le ?? null,
          })),
        }
      : {}),
  };
}
