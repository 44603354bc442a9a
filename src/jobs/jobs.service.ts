// The job queue: typed rows claimed atomically (SKIP LOCKED on PostgreSQL), leases, retries with backoff.
import { sql } from 'kysely';
import { Cron } from 'croner';
import { dialectOf, now, type Db, type Executor } from '../platform/db.ts';
import { NotFoundError, ValidationError, ConflictError } from '../platform/errors.ts';
import { jobDefinition, jobKinds } from './registry.ts';

/** How long a claimed job stays ours without renewal (a dead worker's job is re-claimed after it). */
export const LEASE_MS = Number(process.env.PEERDESK_JOB_LEASE_MS ?? 60_000);

/** Queues a job after validating its payload against the kind's schema. */
export async function enqueueJob(db: Executor, kind: string, payload: unknown, opts: { userId?: number | null; runAfter?: Date; scheduleId?: number | null } = {}): Promise<number> {
  const def = await jobDefinition(kind);
  if (!def) throw new ValidationError('kind', `unknown job kind "${kind}"; known: ${(await jobKinds()).join(', ')}`);
  const parsed = def.payload.safeParse(payload ?? {});
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ field: `payload.${i.path.join('.') || '(root)'}`, message: i.message })));
  const row = await db
    .insertInto('jobs')
    .values({
      kind,
      payload: JSON.stringify(parsed.data ?? {}),
      status: 'queued',
      attempts: 0,
      max_attempts: def.maxAttempts ?? 3,
      run_after: (opts.runAfter ?? new Date()).toISOString(),
      cancel_requested: false,
      schedule_id: opts.scheduleId ?? null,
      created_by: opts.userId ?? null,
      created_at: now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * Claims the next runnable job for a worker: queued and due, or running with an expired lease
 * (its worker died). One statement, so two workers never get the same job.
 */
export async function claimJob(db: Db, workerId: string): Promise<Record<string, any> | null> {
  const t = now();
  const lease = new Date(Date.now() + LEASE_MS).toISOString();
  const pg = dialectOf(db) === 'postgres';
  const pick = sql`select id from jobs
      where (status = 'queued' and run_after <= ${t}) or (status = 'running' and lease_until < ${t})
      order by run_after, id limit 1 ${pg ? sql`for update skip locked` : sql``}`;
  const res = await sql<Record<string, any>>`update jobs set status = 'running', attempts = attempts + 1, worker_id = ${workerId},
      lease_until = ${lease}, started_at = coalesce(started_at, ${t})
      where id = (${pick}) and ((status = 'queued' and run_after <= ${t}) or (status = 'running' and lease_until < ${t}))
      returning *`.execute(db);
  return res.rows[0] ?? null;
}

/** Appends a line to a job's log. */
export async function appendLog(db: Executor, jobId: number, message: string, level = 'info'): Promise<void> {
  await db.insertInto('job_logs').values({ job_id: jobId, time: now(), level, message: message.slice(0, 10_000) }).execute();
}

/** Marks a job finished (succeeded, failed or cancelled) by the worker holding it. */
export async function finishJob(db: Executor, jobId: number, workerId: string, status: 'succeeded' | 'failed' | 'cancelled', fields: { result?: unknown; error?: string }) {
  await db
    .updateTable('jobs')
    .set({ status, finished_at: now(), lease_until: null, result: fields.result === undefined ? null : JSON.stringify(fields.result), error: fields.error ?? null, progress: status === 'succeeded' ? 1 : undefined })
    .where('id', '=', jobId)
    .where('worker_id', '=', workerId)
    .execute();
}

/** Puts a failed attempt back in the queue with exponential backoff. */
export async function retryJob(db: Executor, jobId: number, workerId: string, attempts: number, error: string) {
  const delay = Math.min(300_000, 2 ** attempts * 1000);
  await db
    .updateTable('jobs')
    .set({ status: 'queued', lease_until: null, worker_id: null, error, run_after: new Date(Date.now() + delay).toISOString() })
    .where('id', '=', jobId)
    .where('worker_id', '=', workerId)
    .execute();
}

/** Requests cancellation: a queued job is cancelled at once, a running one at its next check. */
export async function cancelJob(db: Executor, jobId: number): Promise<void> {
  const job = await db.selectFrom('jobs').select(['status']).where('id', '=', jobId).executeTakeFirst();
  if (!job) throw new NotFoundError('job', jobId);
  if (job.status === 'queued') {
    await db.updateTable('jobs').set({ status: 'cancelled', finished_at: now(), cancel_requested: true }).where('id', '=', jobId).where('status', '=', 'queued').execute();
  } else if (job.status === 'running') {
    await db.updateTable('jobs').set({ cancel_requested: true }).where('id', '=', jobId).execute();
  } else throw new ConflictError(`job ${jobId} already ${job.status}`);
}

/** Validates a cron expression (5 or 6 fields) and returns its next run after now. */
export function nextCronRun(expr: string, from = new Date()): Date {
  let next: Date | null = null;
  try {
    next = new Cron(expr, { paused: true, timezone: 'UTC' }).nextRun(from);
  } catch (err) {
    throw new ValidationError('cron', `invalid cron expression: ${(err as Error).message}`);
  }
  if (!next) throw new ValidationError('cron', 'the cron expression never fires');
  return next;
}

/** Queues the jobs of every due schedule and moves its next run forward (each schedule once). */
export async function runDueSchedules(db: Db): Promise<number> {
  const t = now();
  const due = await db.selectFrom('schedules').selectAll().where('enabled', '=', true).where('next_run_at', '<=', t).execute();
  let queued = 0;
  for (const s of due) {
    const next = nextCronRun(s.cron).toISOString();
    await db.transaction().execute(async (tx) => {
      // Compare-and-set on next_run_at so two workers don't both queue the same run.
      const res = await tx.updateTable('schedules').set({ next_run_at: next, last_run_at: t }).where('id', '=', s.id).where('next_run_at', '=', s.next_run_at).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return;
      const jobId = await enqueueJob(tx, s.kind, JSON.parse(s.payload || '{}'), { scheduleId: Number(s.id) });
      await tx.updateTable('schedules').set({ last_job_id: jobId }).where('id', '=', s.id).execute();
      queued++;
    });
  }
  return queued;
}
