// Admin Up / Down on the device: through the router's driver when it can (RFC 8203 message where the
// platform supports one), persisted as the BGP peer's `enabled` flag, then a re-poll of the router
// so the answer carries the new state. Maintenances take every session of a router or fabric down
// and later restore each one to the admin state it had before.
import { effectiveState } from '../sessions/session-rules.ts';
import type { Db, Executor } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import { toRole } from '../auth/auth.schema.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { bool, updateOne, type WriteContext } from '../platform/crud.ts';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.ts';
import type { Principal } from '../auth/auth.service.ts';
import { bgpPeers } from '../bgp/bgp-peers.resource.ts';
import {
  errorText,
  loadRouters,
  lookupDriver,
  mapBounded,
  openSession,
  pollConcurrency,
  unreachableReason,
} from './router-access.ts';
import { applyPollResults, linkJob, upsertPollStatus, type RouterPollResult } from './poll.service.ts';

/** One BGP peer's outcome of an admin action. */
export interface AdminPeerResult {
  bgp_peer_id: number;
  router: { id: number; name: string };
  peer_ip: string;
  /** The action succeeded (on the device, or in Peerdesk only when the device cannot be driven). */
  ok: boolean;
  applied_on_device: boolean;
  /** Why it was not applied on the device (no driver, no capability, …); null when it was. */
  reason: string | null;
  /** The device's error when the action failed (the stored flag is then left unchanged). */
  error: string | null;
  enabled: boolean;
  /** Stored state after the re-poll. */
  state: string;
}

/** The admin job's result. */
export interface AdminResult {
  enabled: boolean;
  message: string | null;
  peers: AdminPeerResult[];
  failed: number;
  /** The re-poll of each router that was driven (empty when every router was DB-only). */
  routers: RouterPollResult[];
}

export interface AdminOptions {
  secrets?: SecretBox;
  signal: AbortSignal;
  log?: (message: string, level?: 'info' | 'warn' | 'error') => unknown;
  message?: string | null;
  userId?: number | null;
  jobId?: number | null;
}

/** The user behind a job, as the change log records writers. */
async function principalOf(db: Executor, userId: number | null | undefined): Promise<Principal | null> {
  if (!userId) return null;
  const u = await db.selectFrom('users').select(['id', 'username', 'role']).where('id', '=', userId).executeTakeFirst();
  return u ? { userId: Number(u.id), username: u.username, role: toRole(u.role), via: 'token', canWrite: true } : null;
}

/** Sets the admin state of BGP peers on their routers (where drivable) and in Peerdesk. */
export async function applyAdminState(
  db: Db,
  bgpPeerIds: number[],
  enabled: boolean,
  opts: AdminOptions,
): Promise<AdminResult> {
  if (!opts.secrets) throw new Error('admin actions need the secret key (router credentials)');
  const peers = bgpPeerIds.length
    ? await db
        .selectFrom('bgp_peers')
        .select(['id', 'router_id', 'vrf', 'peer_ip', 'enabled'])
        .where('id', 'in', bgpPeerIds)
        .orderBy('id')
        .execute()
    : [];
  const routers = await loadRouters(db, [...new Set(peers.map((p) => Number(p.router_id)))]);
  if (opts.jobId)
    await linkJob(
      db,
      opts.jobId,
      routers.map((r) => r.id),
      'bgp.admin',
    );
  const log = (m: string, level: 'info' | 'warn' | 'error' = 'info') => opts.log?.(m, level);
  const results = new Map<number, AdminPeerResult>();
  const polls: RouterPollResult[] = [];
  const verb = enabled ? 'admin up' : 'admin down';

  await mapBounded(routers, pollConcurrency(), async (router) => {
    const mine = peers.filter((p) => Number(p.router_id) === router.id);
    const put = (p: (typeof peers)[number], fields: Partial<AdminPeerResult>) =>
      results.set(Number(p.id), {
        bgp_peer_id: Number(p.id),
        router: { id: router.id, name: router.name },
        peer_ip: p.peer_ip,
        ok: true,
        applied_on_device: false,
        reason: null,
        error: null,
        enabled,
        state: 'unknown',
        ...fields,
      });
    const driver = await lookupDriver(router.driver);
    const why = unreachableReason(router, driver, 'admin_state');
    if (why) {
      for (const p of mine) put(p, { reason: `${why}: changed in Peerdesk only` });
      log(`${router.name}: ${mine.length} peer(s) ${verb} in Peerdesk only (${why})`, 'warn');
      return;
    }
    const started = Date.now();
    let session;
    try {
      session = await openSession(router, driver!, opts.secrets, opts.signal, opts.log);
    } catch (err) {
      for (const p of mine)
        put(p, { ok: false, error: `router unreachable: ${errorText(err)}`, enabled: bool(p.enabled) });
      log(`${router.name}: unreachable, nothing changed: ${errorText(err)}`, 'error');
      return;
    }
    try {
      if (!session.setAdminState) {
        for (const p of mine)
          put(p, { reason: `the ${driver!.name} driver cannot set the admin state: changed in Peerdesk only` });
      } else {
        for (const p of mine) {
          try {
            await session.setAdminState({ vrf: p.vrf || null, peer_ip: p.peer_ip }, enabled, opts.message ?? undefined);
            put(p, { applied_on_device: true });
            log(
              `${router.name}: ${p.peer_ip} ${verb} on the device${opts.message ? ` (message: ${opts.message})` : ''}`,
            );
          } catch (err) {
            put(p, { ok: false, error: errorText(err), enabled: bool(p.enabled) });
            log(`${router.name}: ${p.peer_ip} ${verb} failed: ${errorText(err)}`, 'error');
          }
        }
      }
      // Re-poll at once so the answer shows the state the router now reports.
      try {
        const states = await session.listNeighbors();
        const applied = await db.transaction().execute((tx) => applyPollResults(tx, router.id, states));
        await upsertPollStatus(
          db,
          [{ router_id: router.id, last_polled_at: now(), last_poll_error: null, last_poll_job_id: null }],
          ['last_polled_at', 'last_poll_error'],
        );
        polls.push({
          id: router.id,
          name: router.name,
          ok: true,
          ...applied,
          neighbors: states.length,
          max_prefix_warnings: 0,
          duration_ms: Date.now() - started,
        });
      } catch (err) {
        polls.push({
          id: router.id,
          name: router.name,
          ok: false,
          error: errorText(err),
          peers: mine.length,
          changed: 0,
          missing: 0,
          neighbors: 0,
          unknown: 0,
          max_prefix_warnings: 0,
          duration_ms: Date.now() - started,
        });
        log(`${router.name}: re-poll failed: ${errorText(err)}`, 'warn');
      }
    } finally {
      await session.close().catch(() => {});
    }
  });

  // Persist the flag for every peer the action reached (device, or DB-only routers), in one transaction.
  const principal = await principalOf(db, opts.userId);
  const okIds = [...results.values()].filter((r) => r.ok).map((r) => r.bgp_peer_id);
  await db.transaction().execute(async (tx) => {
    const ctx: WriteContext = {
      db: tx,
      principal,
      secrets: opts.secrets!,
      requestId: opts.jobId ? `job-${opts.jobId}` : undefined,
    };
    for (const p of peers) {
      if (okIds.includes(Number(p.id)) && bool(p.enabled) !== enabled)
        await updateOne(bgpPeers, ctx, Number(p.id), { enabled }, null);
    }
  });
  const after = new Map(
    (peers.length
      ? await db
          .selectFrom('bgp_peers')
          .select(['id', 'state', 'enabled'])
          .where(
            'id',
            'in',
            peers.map((p) => Number(p.id)),
          )
          .execute()
      : []
    ).map((r) => [Number(r.id), r]),
  );
  const out = peers.map((p) => {
    const r = results.get(Number(p.id))!;
    const a = after.get(Number(p.id));
    return { ...r, enabled: bool(a?.enabled), state: effectiveState(a?.enabled, a?.state) };
  });
  for (const id of bgpPeerIds) {
    if (!peers.some((p) => Number(p.id) === id)) log(`BGP peer ${id} no longer exists`, 'warn');
  }
  polls.sort((a, b) => a.name.localeCompare(b.name));
  return {
    enabled,
    message: opts.message ?? null,
    peers: out,
    failed: out.filter((r) => !r.ok).length,
    routers: polls,
  };
}

// ---------- maintenance ----------------------------------------------------------------------------

export interface MaintenanceRow {
  id: number;
  scope: 'router' | 'fabric';
  router: { id: number; name: string } | null;
  fabric: { id: number; name: string } | null;
  message: string | null;
  status: 'active' | 'ended';
  started_at: string;
  ended_at: string | null;
  start_job_id: number | null;
  end_job_id: number | null;
  sessions: number;
  /** Sessions that were administratively down before the maintenance (they stay down after it). */
  already_down: number;
}

/** Lists maintenances (newest first), or loads one. */
export async function listMaintenances(
  db: Executor,
  opts: { id?: number; status?: 'active' | 'ended'; limit?: number } = {},
): Promise<MaintenanceRow[]> {
  let q = db
    .selectFrom('maintenances as m')
    .leftJoin('routers as r', 'r.id', 'm.router_id')
    .leftJoin('fabrics as f', 'f.id', 'm.fabric_id')
    .selectAll('m')
    .select(['r.name as router_name', 'f.name as fabric_name'])
    .select((eb) => [
      eb
        .selectFrom('maintenance_peers as mp')
        .select(eb.fn.countAll().as('c'))
        .whereRef('mp.maintenance_id', '=', 'm.id')
        .as('n'),
      eb
        .selectFrom('maintenance_peers as mp')
        .select(eb.fn.countAll().as('c'))
        .whereRef('mp.maintenance_id', '=', 'm.id')
        .where('mp.prior_enabled', '=', false)
        .as('down'),
    ]);
  if (opts.id !== undefined) q = q.where('m.id', '=', opts.id);
  if (opts.status) q = q.where('m.status', '=', opts.status);
  const rows = await q
    .orderBy('m.id', 'desc')
    .limit(opts.limit ?? 200)
    .execute();
  return rows.map((m) => ({
    id: Number(m.id),
    // Both columns are CHECK-constrained to these values.
    scope: m.scope === 'fabric' ? 'fabric' : 'router',
    router: m.router_id && m.router_name !== null ? { id: Number(m.router_id), name: m.router_name } : null,
    fabric: m.fabric_id && m.fabric_name !== null ? { id: Number(m.fabric_id), name: m.fabric_name } : null,
    message: m.message ?? null,
    status: m.status === 'ended' ? 'ended' : 'active',
    started_at: m.started_at,
    ended_at: m.ended_at ?? null,
    start_job_id: m.start_job_id === null || m.start_job_id === undefined ? null : Number(m.start_job_id),
    end_job_id: m.end_job_id === null || m.end_job_id === undefined ? null : Number(m.end_job_id),
    sessions: Number(m.n ?? 0),
    already_down: Number(m.down ?? 0),
  }));
}

/**
 * Records a maintenance of a router or fabric and the admin state each of its sessions has now; a
 * session already held by another active maintenance keeps the state recorded there. Returns the
 * maintenance id and the BGP peers to take down.
 */
export async function createMaintenance(
  db: Db,
  input: { router?: number | null; fabric?: number | null; message?: string | null },
  userId: number | null,
): Promise<{ id: number; bgpPeerIds: number[] }> {
  if (!!input.router === !!input.fabric) throw new ValidationError('router', 'give exactly one of router or fabric');
  return db.transaction().execute(async (tx) => {
    const scope = input.router ? 'router' : 'fabric';
    const targetId = (input.router ?? input.fabric)!;
    const table = scope === 'router' ? 'routers' : 'fabrics';
    if (!(await tx.selectFrom(table).select('id').where('id', '=', targetId).executeTakeFirst()))
      throw new ValidationError(scope, `no ${scope} with id ${targetId}`);
    const clash = await tx
      .selectFrom('maintenances')
      .select('id')
      .where('status', '=', 'active')
      .where(`${scope}_id`, '=', targetId)
      .executeTakeFirst();
    if (clash)
      throw new ConflictError(
        `this ${scope} is already in maintenance ${clash.id}; end it first`,
        [{ field: scope, message: 'already in maintenance' }],
        'maintenance_active',
      );
    let q = tx
      .selectFrom('peering_sessions as s')
      .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
      .select(['b.id', 'b.enabled']);
    q =
      scope === 'router'
        ? q.where('b.router_id', '=', targetId)
        : q.where('s.network_id', 'in', (eb) =>
            eb.selectFrom('peering_networks').select('id').where('fabric_id', '=', targetId),
          );
    const peers = await q.orderBy('b.id').execute();
    if (!peers.length) throw new ValidationError(scope, `the ${scope} has no peering sessions`);
    const held = new Map<number, boolean>();
    const ids = peers.map((p) => Number(p.id));
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await tx
        .selectFrom('maintenance_peers as mp')
        .innerJoin('maintenances as m', 'm.id', 'mp.maintenance_id')
        .select(['mp.bgp_peer_id', 'mp.prior_enabled'])
        .where('m.status', '=', 'active')
        .where('mp.bgp_peer_id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const r of rows) held.set(Number(r.bgp_peer_id), bool(r.prior_enabled));
    }
    const m = await tx
      .insertInto('maintenances')
      .values({
        scope,
        router_id: input.router ?? null,
        fabric_id: input.fabric ?? null,
        message: input.message ?? null,
        status: 'active',
        started_at: now(),
        created_by: userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(m.id);
    const rows = peers.map((p) => ({
      maintenance_id: id,
      bgp_peer_id: Number(p.id),
      prior_enabled: held.get(Number(p.id)) ?? bool(p.enabled),
    }));
    for (let i = 0; i < rows.length; i += 200)
      await tx
        .insertInto('maintenance_peers')
        .values(rows.slice(i, i + 200))
        .execute();
    return { id, bgpPeerIds: ids };
  });
}

/**
 * Ends a maintenance: returns the BGP peers to bring back up (those enabled before it began and not
 * held by another active maintenance). Peers that were down before stay down.
 */
export async function endMaintenance(db: Db, id: number): Promise<{ bgpPeerIds: number[] }> {
  return db.transaction().execute(async (tx) => {
    const m = await tx.selectFrom('maintenances').select(['id', 'status']).where('id', '=', id).executeTakeFirst();
    if (!m) throw new NotFoundError('maintenance', id);
    if (m.status !== 'active') throw new ConflictError(`maintenance ${id} has ended already`, [], 'maintenance_ended');
    const upd = await tx
      .updateTable('maintenances')
      .set({ status: 'ended', ended_at: now() })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (Number(upd.numUpdatedRows) === 0)
      throw new ConflictError(`maintenance ${id} has ended already`, [], 'maintenance_ended');
    const rows = await tx
      .selectFrom('maintenance_peers as mp')
      .select('mp.bgp_peer_id')
      .where('mp.maintenance_id', '=', id)
      .where('mp.prior_enabled', '=', true)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('maintenance_peers as o')
              .innerJoin('maintenances as om', 'om.id', 'o.maintenance_id')
              .select('o.id')
              .whereRef('o.bgp_peer_id', '=', 'mp.bgp_peer_id')
              .where('om.status', '=', 'active'),
          ),
        ),
      )
      .orderBy('mp.bgp_peer_id')
      .execute();
    return { bgpPeerIds: rows.map((r) => Number(r.bgp_peer_id)) };
  });
}

/** Stores which job started or ended a maintenance. */
export async function setMaintenanceJob(
  db: Executor,
  id: number,
  which: 'start' | 'end',
  jobId: number,
): Promise<void> {
  await db
    .updateTable('maintenances')
    .set(which === 'start' ? { start_job_id: jobId } : { end_job_id: jobId })
    .where('id', '=', id)
    .execute();
}

/** The BGP peers behind sessions; a missing session is a 404 (single) or a 400 naming `ids.N` (bulk). */
export async function peersOfSessions(db: Executor, sessionIds: number[], bulk: boolean): Promise<number[]> {
  const rows = await db
    .selectFrom('peering_sessions')
    .select(['id', 'bgp_peer_id'])
    .where('id', 'in', sessionIds)
    .execute();
  const byId = new Map(rows.map((r) => [Number(r.id), Number(r.bgp_peer_id)]));
  const missing = sessionIds.findIndex((id) => !byId.has(id));
  if (missing >= 0) {
    if (!bulk) throw new NotFoundError('peering-session', sessionIds[missing]);
    throw new ValidationError(`ids.${missing}`, `no peering session with id ${sessionIds[missing]}`);
  }
  return [...new Set(sessionIds.map((id) => byId.get(id)!))];
}
