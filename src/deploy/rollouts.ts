// Rollouts: configure one peer across several routers (the routers of the given sessions, and/or the
// given routers) in one `deploy.rollout` job, now or at a time (runAfter; default in one hour when
// scheduled): one deployment per router, the first router alone (the canary), then the rest in
// parallel (at most PEERDESK_ROLLOUT_CONCURRENCY at once, default 10), starting no further router after the first deployment that did not end `done`
// (failed guard, failed health gate and rollback, unreachable router …).
import type { Selectable } from 'kysely';
import { now, storedEnum, type Db, type Executor } from '../platform/db.ts';
import type { RolloutsTable } from '../platform/db.types.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../platform/errors.ts';
import { enqueueJob } from '../jobs/jobs.service.ts';
import { loadRouters, lookupDriver, mapBounded, unreachableReason } from '../polling/router-access.ts';
import {
  deploySettings,
  deploymentLog,
  loadDeployment,
  proposeDeployment,
  runDeployment,
  type DeploymentRow,
  type DeploymentStatus,
  type Proposer,
  type RunContext,
} from './deploy.service.ts';

export const ROLLOUT_STATUSES = ['scheduled', 'running', 'done', 'stopped', 'failed'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

export interface RolloutInput {
  session_ids?: number[];
  router_ids?: number[];
  scheduled?: boolean;
  at?: string;
  canary?: boolean;
  dry_run?: boolean;
  force?: boolean;
  confirm_timeout?: number;
}

const bool = (v: unknown) => v === true || v === 1 || v === '1';

/** The routers a rollout deploys to, in order: the given routers, then those of the sessions (each once). */
async function rolloutRouters(db: Executor, input: RolloutInput): Promise<number[]> {
  const order: number[] = [];
  const push = (id: number) => {
    if (!order.includes(id)) order.push(id);
  };
  const routerIds = [...new Set(input.router_ids ?? [])];
  if (routerIds.length) {
    const found = new Set(
      (await db.selectFrom('routers').select('id').where('id', 'in', routerIds).execute()).map((r) => Number(r.id)),
    );
    const missing = routerIds.filter((id) => !found.has(id));
    if (missing.length) throw new ValidationError('router_ids', `no router with id ${missing.join(', ')}`);
    routerIds.forEach(push);
  }
  const sessionIds = [...new Set(input.session_ids ?? [])];
  if (sessionIds.length) {
    const rows = await db
      .selectFrom('peering_sessions as s')
      .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
      .select(['s.id', 'b.router_id'])
      .where('s.id', 'in', sessionIds)
      .execute();
    const byId = new Map(rows.map((r) => [Number(r.id), Number(r.router_id)]));
    const missing = sessionIds.filter((id) => !byId.has(id));
    if (missing.length) throw new ValidationError('session_ids', `no peering session with id ${missing.join(', ')}`);
    for (const id of sessionIds) push(byId.get(id)!);
  }
  if (!order.length) throw new ValidationError('session_ids', 'give session_ids or router_ids (at least one)');
  return order;
}

/** Creates a rollout: checks every router can be deployed to, creates its deployments and queues the job. */
export async function createRollout(
  db: Db,
  input: RolloutInput,
  who: Proposer,
  secrets?: SecretBox,
): Promise<{ rollout: RolloutView; jobId: number }> {
  if (deploySettings().review && !input.dry_run)
    throw new ConflictError(
      'rollouts are not available while PEERDESK_DEPLOY_REVIEW=1: each deployment needs its own approval (deploy the routers one by one, or use dry_run)',
      [],
      'review_required',
    );
  let runAt = new Date();
  if (input.at !== undefined) {
    runAt = new Date(input.at);
    if (Number.isNaN(runAt.getTime())) throw new ValidationError('at', 'not a date and time (ISO 8601)');
  } else if (input.scheduled) runAt = new Date(Date.now() + 3600_000);
  const routerIds = await rolloutRouters(db, input);
  const routers = await loadRouters(db, routerIds);
  for (const r of routers) {
    const why = unreachableReason(r, await lookupDriver(r.driver), 'config');
    if (why) throw new ValidationError('router_ids', `cannot deploy to ${r.name}: ${why}`);
  }
  const canary = input.canary ?? true;
  const t = now();
  const id = await db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('rollouts')
      .values({
        status: 'scheduled',
        canary,
        dry_run: !!input.dry_run,
        force: !!input.force,
        session_ids: JSON.stringify(input.session_ids ?? []),
        run_at: runAt.toISOString(),
        created_by: who.userId,
        created_by_name: who.username,
        created_at: t,
        updated_at: t,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const rid = Number(row.id);
    for (const [i, routerId] of routerIds.entries()) {
      await proposeDeployment(
        db,
        routerId,
        {
          dry_run: !!input.dry_run,
          force: input.force,
          confirm_timeout: input.confirm_timeout,
          rollout_id: rid,
          rollout_order: i + 1,
        },
        who,
        { enqueue: false, executor: tx, secrets },
      );
    }
    const jobId = await enqueueJob(tx, 'deploy.rollout', { rollout_id: rid }, { userId: who.userId, runAfter: runAt });
    await tx.updateTable('rollouts').set({ job_id: jobId }).where('id', '=', rid).execute();
    return rid;
  });
  const rollout = await loadRollout(db, id);
  return { rollout, jobId: rollout.job_id! };
}

/** A rollout with each router's deployment, in order. */
export interface RolloutView {
  id: number;
  status: RolloutStatus;
  canary: boolean;
  dry_run: boolean;
  force: boolean;
  session_ids: number[];
  run_at: string;
  reason: string | null;
  job_id: number | null;
  created_by: string | null;
  created_at: string;
  finished_at: string | null;
  routers: {
    order: number;
    canary: boolean;
    router: { id: number; name: string };
    deployment_id: number;
    status: DeploymentStatus;
    reason: string | null;
    failed_check: string | null;
    has_changes: boolean | null;
    committed: boolean;
  }[];
}

/** Loads a rollout and its deployments. */
export async function loadRollout(db: Executor, id: number): Promise<RolloutView> {
  const r = await db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw new NotFoundError('rollout', id);
  return (await presentRollouts(db, [r]))[0]!;
}

/** Rollouts, newest first, optionally of one status; `count` is the total before limit / offset. */
export async function listRollouts(
  db: Executor,
  q: { status?: RolloutStatus; limit: number; offset: number },
): Promise<{ count: number; results: RolloutView[] }> {
  let base = db.selectFrom('rollouts');
  if (q.status) base = base.where('status', '=', q.status);
  const count = Number((await base.select((eb) => eb.fn.countAll().as('c')).executeTakeFirstOrThrow()).c);
  const rows = await base.selectAll().orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute();
  return { count, results: await presentRollouts(db, rows) };
}

/** The API shape of rollout rows, with their deployments (one query for all of them). */
async function presentRollouts(db: Executor, rows: Selectable<RolloutsTable>[]): Promise<RolloutView[]> {
  if (!rows.length) return [];
  const ds = await db
    .selectFrom('deployments as d')
    .innerJoin('routers as r', 'r.id', 'd.router_id')
    .select([
      'd.id',
      'd.rollout_id',
      'd.router_id',
      'r.name as router_name',
      'd.rollout_order',
      'd.status',
      'd.reason',
      'd.failed_check',
      'd.committed',
    ])
    // Whether there are changes, without reading the (possibly large) diff.
    .select((eb) =>
      eb.case().when('d.diff', 'is', null).then(null).when('d.diff', '=', '').then('').else('x').end().as('diff'),
    )
    .where(
      'd.rollout_id',
      'in',
      rows.map((r) => Number(r.id)),
    )
    .orderBy('d.rollout_id')
    .orderBy('d.rollout_order')
    .execute();
  const byRollout = new Map<number, typeof ds>();
  for (const d of ds) {
    const k = Number(d.rollout_id);
    if (!byRollout.has(k)) byRollout.set(k, []);
    byRollout.get(k)!.push(d);
  }
  return rows.map((r) => {
    const mine = byRollout.get(Number(r.id)) ?? [];
    const canary = bool(r.canary) && mine.length > 1;
    return {
      id: Number(r.id),
      // The service writes the status columns, always one of ROLLOUT_STATUSES / DEPLOYMENT_STATUSES.
      status: r.status as RolloutStatus,
      canary: bool(r.canary),
      dry_run: bool(r.dry_run),
      force: bool(r.force),
      session_ids: JSON.parse(String(r.session_ids ?? '[]')) as number[],
      run_at: String(r.run_at),
      reason: r.reason ?? null,
      job_id: r.job_id === null || r.job_id === undefined ? null : Number(r.job_id),
      created_by: r.created_by_name ?? null,
      created_at: String(r.created_at),
      finished_at: r.finished_at ?? null,
      routers: mine.map((d, i) => ({
        order: Number(d.rollout_order),
        canary: canary && i === 0,
        router: { id: Number(d.router_id), name: String(d.router_name) },
        deployment_id: Number(d.id),
        status: d.status as DeploymentStatus,
        reason: d.reason ?? null,
        failed_check: d.failed_check ?? null,
        has_changes: typeof d.diff === 'string' ? d.diff.length > 0 : null,
        committed: bool(d.committed),
      })),
    };
  });
}

/** Ends a scheduled rollout `stopped` and its deployments not yet started `cancelled` (one executor: the caller's transaction). */
async function cancelScheduledRollout(tx: Executor, id: number, why: string): Promise<boolean> {
  const t = now();
  const res = await tx
    .updateTable('rollouts')
    .set({ status: 'stopped', reason: why, updated_at: t, finished_at: t })
    .where('id', '=', id)
    .where('status', '=', 'scheduled')
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return false;
  const ds = await tx
    .selectFrom('deployments')
    .select('id')
    .where('rollout_id', '=', id)
    .where('status', 'in', ['planned', 'approved'])
    .execute();
  await tx
    .updateTable('deployments')
    .set({ status: 'cancelled', reason: `${why} (rollout #${id})`, updated_at: t, finished_at: t })
    .where('rollout_id', '=', id)
    .where('status', 'in', ['planned', 'approved'])
    .execute();
  for (const d of ds) await deploymentLog(tx, Number(d.id), `${why} (rollout #${id})`, 'warn');
  return true;
}

/**
 * Cancels a scheduled rollout (its creator or an admin): its queued job is cancelled, it ends `stopped`
 * with who and why, and its deployments end `cancelled`. A running or finished rollout → 409.
 */
export async function cancelRollout(db: Db, id: number, reason: string | null, who: Proposer): Promise<RolloutView> {
  await db.transaction().execute(async (tx) => {
    const r = await tx.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new NotFoundError('rollout', id);
    if (
      who.role !== 'admin' &&
      (r.created_by === null || r.created_by === undefined || Number(r.created_by) !== who.userId)
    )
      throw new ForbiddenError('only the creator of a rollout or an admin may cancel it');
    if (r.status !== 'scheduled')
      throw new ConflictError(
        `rollout ${id} is ${r.status}${r.status === 'running' ? ': it has started and can no longer be cancelled (cancel its job to stop it starting further routers)' : ''}`,
        [],
        'not_cancellable',
      );
    if (r.job_id !== null && r.job_id !== undefined) {
      const job = await tx.selectFrom('jobs').select(['status']).where('id', '=', Number(r.job_id)).executeTakeFirst();
      if (job?.status === 'running')
        throw new ConflictError(
          `rollout ${id} has started (job ${r.job_id} is running) and can no longer be cancelled`,
          [],
          'not_cancellable',
        );
      if (job?.status === 'queued') {
        const res = await tx
          .updateTable('jobs')
          .set({ status: 'cancelled', cancel_requested: true, finished_at: now() })
          .where('id', '=', Number(r.job_id))
          .where('status', '=', 'queued')
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1)
          throw new ConflictError(
            `rollout ${id} has just started and can no longer be cancelled`,
            [],
            'not_cancellable',
          );
      }
    }
    if (!(await cancelScheduledRollout(tx, id, `cancelled by ${who.username}${reason ? `: ${reason}` : ''}`)))
      throw new ConflictError(`rollout ${id} changed while being cancelled; try again`, [], 'not_cancellable');
  });
  return loadRollout(db, id);
}

/** The `deploy.rollout` job was cancelled while queued: the rollout and its deployments end as cancelled. */
export async function rolloutJobCancelled(db: Executor, jobId: number, rolloutId: number): Promise<void> {
  const r = await db.selectFrom('rollouts').select(['id', 'job_id']).where('id', '=', rolloutId).executeTakeFirst();
  if (!r || Number(r.job_id) !== jobId) return;
  await cancelScheduledRollout(db, rolloutId, `cancelled: its job ${jobId} was cancelled before it started`);
}

/**
 * The worker sweep for rollouts: one left `running` by a worker that died (its job no longer running,
 * or its lease expired) ends `failed`; its deployments not started end failed (rollout_stopped).
 */
export async function sweepStaleRollouts(db: Db): Promise<number> {
  const rows = await db
    .selectFrom('rollouts as r')
    .leftJoin('jobs as j', 'j.id', 'r.job_id')
    .select(['r.id', 'r.job_id', 'j.status as job_status', 'j.lease_until'])
    .where('r.status', '=', 'running')
    .execute();
  const t = now();
  let ended = 0;
  for (const r of rows) {
    const lost = !r.job_status
      ? 'its job is gone'
      : r.job_status !== 'running'
        ? `its job ${r.job_id} is ${r.job_status}`
        : !r.lease_until || String(r.lease_until) < t
          ? `the lease of its job ${r.job_id} expired`
          : null;
    if (!lost) continue;
    const reason = `worker lost: ${lost}`;
    const res = await db
      .updateTable('rollouts')
      .set({ status: 'failed', reason, updated_at: t, finished_at: t })
      .where('id', '=', Number(r.id))
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) continue;
    await db
      .updateTable('deployments')
      .set({
        status: 'failed',
        failed_check: 'rollout_stopped',
        reason: `not run: the rollout's worker was lost (${lost})`,
        updated_at: t,
        finished_at: t,
      })
      .where('rollout_id', '=', Number(r.id))
      .where('status', 'in', ['planned', 'approved'])
      .execute();
    ended++;
  }
  return ended;
}

/** How many routers after the canary a rollout deploys at once (PEERDESK_ROLLOUT_CONCURRENCY, default 10, 1–64). */
export function rolloutConcurrency(): number {
  const n = Number(process.env.PEERDESK_ROLLOUT_CONCURRENCY ?? 10);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 64) : 4;
}

async function finishRollout(db: Db, id: number, status: RolloutStatus, reason: string | null): Promise<void> {
  const t = now();
  await db
    .updateTable('rollouts')
    .set({ status, reason, updated_at: t, finished_at: t })
    .where('id', '=', id)
    .execute();
}

/** The `deploy.rollout` job: the canary, then the rest, stopping at the first deployment not `done`. */
export async function runRollout(
  ctx: RunContext & { jobId: number },
  rolloutId: number,
): Promise<{ status: RolloutStatus; reason: string | null }> {
  const { db } = ctx;
  const r = await db.selectFrom('rollouts').selectAll().where('id', '=', rolloutId).executeTakeFirst();
  if (!r) throw new Error(`rollout ${rolloutId} is gone`);
  if (r.status !== 'scheduled')
    return { status: storedEnum(ROLLOUT_STATUSES, r.status, 'rollout status'), reason: r.reason ?? null };
  await db.updateTable('rollouts').set({ status: 'running', updated_at: now() }).where('id', '=', rolloutId).execute();
  const ds = await db
    .selectFrom('deployments')
    .select(['id', 'router_id'])
    .where('rollout_id', '=', rolloutId)
    .orderBy('rollout_order')
    .execute();
  const ids = ds.map((d) => Number(d.id));
  let stoppedBy: { id: number; d: DeploymentRow } | null = null;
  const runOne = async (id: number) => {
    await db.updateTable('deployments').set({ job_id: ctx.jobId }).where('id', '=', id).execute();
    await ctx.log(`deployment #${id}: started`);
    const out = await runDeployment(ctx, id);
    await ctx.log(
      `deployment #${id}: ${out.status}${out.reason ? ` (${out.reason})` : ''}`,
      out.status === 'done' ? 'info' : 'error',
    );
    if (out.status !== 'done' && !stoppedBy) stoppedBy = { id, d: await loadDeployment(db, id) };
  };
  const canary = bool(r.canary) && ids.length > 1;
  try {
    if (canary) {
      await ctx.log(`canary: deployment #${ids[0]} first`);
      await runOne(ids[0]!);
    }
    const rest = canary ? ids.slice(1) : ids;
    // The rest concurrently (bounded); after the first deployment that does not end done no further
    // router starts, and those already running finish (each with its own health gate and rollback).
    await mapBounded(rest, rolloutConcurrency(), async (id) => {
      if (stoppedBy || ctx.signal.aborted) return;
      await runOne(id);
    });
  } catch (e) {
    await finishRollout(db, rolloutId, 'failed', `error: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  } finally {
    // Deployments never started: closed with the reason, so the rollout page shows where it stopped.
    const stop = stoppedBy as { id: number; d: DeploymentRow } | null;
    const why = stop
      ? `not run: the rollout stopped after deployment #${stop.id} on ${stop.d.router_name} ended ${stop.d.status}`
      : 'not run: the rollout was cancelled';
    const t = now();
    await db
      .updateTable('deployments')
      .set({ status: 'failed', failed_check: 'rollout_stopped', reason: why, updated_at: t, finished_at: t })
      .where('rollout_id', '=', rolloutId)
      .where('status', '=', 'planned')
      .execute();
  }
  const stop = stoppedBy as { id: number; d: DeploymentRow } | null;
  if (stop) {
    const reason = `stopped: deployment #${stop.id} on ${stop.d.router_name} ended ${stop.d.status}${stop.d.failed_check ? ` (${stop.d.failed_check})` : ''}`;
    await finishRollout(db, rolloutId, 'stopped', reason);
    return { status: 'stopped', reason };
  }
  if (ctx.signal.aborted) {
    await finishRollout(db, rolloutId, 'stopped', 'cancelled');
    return { status: 'stopped', reason: 'cancelled' };
  }
  await finishRollout(db, rolloutId, 'done', null);
  return { status: 'done', reason: null };
}
