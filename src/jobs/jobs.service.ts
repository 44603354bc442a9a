// The job queue: typed rows claimed atomically (SKIP LOCKED on PostgreSQL), leases, retries with backoff.
import { sql } from 'kysely';
import { Cron } from 'croner';
import type { Updateable } from 'kysely';
import { dialectOf, now, type Db, type Executor } from '../platform/db.ts';
import type { SchedulesTable } from '../platform/db.types.ts';
import { assertUnique, json } from '../platform/crud.ts';
import type { JobLogRow, JobRow, ScheduleInput, ScheduleRow } from './jobs.schema.ts';
import { NotFoundError, ValidationError, ConflictError } from '../platform/errors.ts';
import { jobDefinition, jobKinds } from './registry.ts';

/** How long a claimed job stays ours without renewal (a dead worker's job is re-claimed after it). */
export const LEASE_MS = Number(process.env.PEERDESK_JOB_LEASE_MS ?? 60_000);

/** Queues a job after validating its payload against the kind's schema. */
export async function enqueueJob(
  db: Executor,
  kind: string,
  payload: unknown,
  opts: { userId?: number | null; runAfter?: Date; scheduleId?: number | null } = {},
): Promise<number> {
  const def = await jobDefinition(kind);
  if (!def) throw new ValidationError('kind', `unknown job kind "${kind}"; known: ${(await jobKinds()).join(', ')}`);
  const parsed = def.payload.safeParse(payload ?? {});
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ field: `payload.${i.path.join('.') || '(root)'}`, message: i.message })),
    );
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
export async function claimJob(db: Db, workerId: string): Promise<JobRow | null> {
  const t = now();
  const lease = new Date(Date.now() + LEASE_MS).toISOString();
  const pg = dialectOf(db) === 'postgres';
  const pick = sql`select id from jobs
      where (status = 'queued' and run_after <= ${t}) or (status = 'running' and lease_until < ${t})
      order by run_after, id limit 1 ${pg ? sql`for update skip locked` : sql``}`;
  const res = await sql<JobRow>`update jobs set status = 'running', attempts = attempts + 1, worker_id = ${workerId},
      lease_until = ${lease}, started_at = coalesce(started_at, ${t})
      where id = (${pick}) and ((status = 'queued' and run_after <= ${t}) or (status = 'running' and lease_until < ${t}))
      returning *`.execute(db);
  return res.rows[0] ?? null;
}

/** Appends a line to a job's log. */
export async function appendLog(db: Executor, jobId: number, message: string, level = 'info'): Promise<void> {
  await db
    .insertInto('job_logs')
    .values({ job_id: jobId, time: now(), level, message: message.slice(0, 10_000) })
    .execute();
}

/** Marks a job finished (succeeded, failed or cancelled) by the worker holding it. */
export async function finishJob(
  db: Executor,
  jobId: number,
  workerId: string,
  status: 'succeeded' | 'failed' | 'cancelled',
  fields: { result?: unknown; error?: string },
) {
  await db
    .updateTable('jobs')
    .set({
      status,
      finished_at: now(),
      lease_until: null,
      result: fields.result === undefined ? null : JSON.stringify(fields.result),
      error: fields.error ?? null,
      progress: status === 'succeeded' ? 1 : undefined,
    })
    .where('id', '=', jobId)
    .where('worker_id', '=', workerId)
    .execute();
}

/** Puts a failed attempt back in the queue with exponential backoff. */
export async function retryJob(db: Executor, jobId: number, workerId: string, attempts: number, error: string) {
  const delay = Math.min(300_000, 2 ** attempts * 1000);
  await db
    .updateTable('jobs')
    .set({
      status: 'queued',
      lease_until: null,
      worker_id: null,
      error,
      run_after: new Date(Date.now() + delay).toISOString(),
    })
    .where('id', '=', jobId)
    .where('worker_id', '=', workerId)
    .execute();
}

/** Requests cancellation: a queued job is cancelled at once, a running one at its next check. */
export async function cancelJob(db: Executor, jobId: number): Promise<void> {
  const job = await db.selectFrom('jobs').select(['status']).where('id', '=', jobId).executeTakeFirst();
  if (!job) throw new NotFoundError('job', jobId);
  if (job.status === 'queued') {
    const res = await db
      .updateTable('jobs')
      .set({ status: 'cancelled', finished_at: now(), cancel_requested: true })
      .where('id', '=', jobId)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) await runCancelHook(db, jobId);
  } else if (job.status === 'running') {
    await db.updateTable('jobs').set({ cancel_requested: true }).where('id', '=', jobId).execute();
  } else throw new ConflictError(`job ${jobId} already ${job.status}`);
}

// ---------- hooks of job kinds: a queued job cancelled, the worker's sweep -------------------------

/** Called in the cancelling statement's executor when a queued job of a kind is cancelled (its domain ends what waited for it). */
export type JobCancelHook = (db: Executor, job: { id: number; payload: unknown }) => Promise<void>;
const cancelHooks = new Map<string, JobCancelHook>();

/** Registers what to do when a queued job of `kind` is cancelled (a domain's *.jobs.ts calls it when loaded). */
export function onJobCancelled(kind: string, hook: JobCancelHook): void {
  cancelHooks.set(kind, hook);
}

async function runCancelHook(db: Executor, jobId: number): Promise<void> {
  const job = await db.selectFrom('jobs').select(['kind', 'payload']).where('id', '=', jobId).executeTakeFirst();
  if (!job || !(await jobDefinition(job.kind))) return; // loading the definitions registers the hooks
  const hook = cancelHooks.get(job.kind);
  if (hook) await hook(db, { id: jobId, payload: JSON.parse(job.payload || '{}') });
}

/** A sweep run by every worker at start and on each poll (e.g. ending work whose job was lost); returns how many it ended. */
export type WorkerSweep = (db: Db) => Promise<number>;
const sweeps = new Map<string, WorkerSweep>();

/** Registers a worker sweep under a name (a domain's *.jobs.ts calls it when loaded). */
export function onWorkerSweep(name: string, sweep: WorkerSweep): void {
  sweeps.set(name, sweep);
}

/** Runs every registered sweep (after loading the job definitions, which register them); a failing one does not stop the others. */
export async function runWorkerSweeps(db: Db, onError?: (name: string, err: unknown) => void): Promise<number> {
  await jobKinds();
  let n = 0;
  for (const [name, sweep] of sweeps) {
    try {
      n += await sweep(db);
    } catch (err) {
      onError?.(name, err);
    }
  }
  return n;
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
  const due = await db
    .selectFrom('schedules')
    .selectAll()
    .where('enabled', '=', true)
    .where('next_run_at', '<=', t)
    .execute();
  let queued = 0;
  for (const s of due) {
    const next = nextCronRun(s.cron).toISOString();
    await db.transaction().execute(async (tx) => {
      // Compare-and-set on next_run_at so two workers don't both queue the same run.
      const res = await tx
        .updateTable('schedules')
        .set({ next_run_at: next, last_run_at: t })
        .where('id', '=', s.id)
        .where('next_run_at', '=', s.next_run_at)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return;
      const jobId = await enqueueJob(tx, s.kind, JSON.parse(s.payload || '{}'), { scheduleId: Number(s.id) });
      await tx.updateTable('schedules').set({ last_job_id: jobId }).where('id', '=', s.id).execute();
      queued++;
    });
  }
  return queued;
}

// ---------- the API's queries ------------------------------------------------------------------

/** Jobs, newest first, optionally of some statuses and kinds (comma-separated), with the total. */
export async function listJobs(
  db: Executor,
  f: { status?: string; kind?: string; limit: number; offset: number },
): Promise<{ count: number; rows: JobRow[] }> {
  let q = db.selectFrom('jobs');
  if (f.status) q = q.where('status', 'in', f.status.split(','));
  if (f.kind) q = q.where('kind', 'in', f.kind.split(','));
  const count = Number((await q.select((eb) => eb.fn.countAll().as('c')).executeTakeFirstOrThrow()).c);
  const rows = await q.selectAll().orderBy('id', 'desc').limit(f.limit).offset(f.offset).execute();
  return { count, rows };
}

/** One job, or a 404. */
export async function getJob(db: Executor, id: number): Promise<JobRow> {
  const j = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!j) throw new NotFoundError('job', id);
  return j;
}

/** A job's state and its log lines after line `after` (at most 1000: the caller follows with the last id). */
export async function jobLog(
  db: Executor,
  id: number,
  after: number,
): Promise<{ status: string; progress: number | null; lines: JobLogRow[] }> {
  const j = await db.selectFrom('jobs').select(['status', 'progress']).where('id', '=', id).executeTakeFirst();
  if (!j) throw new NotFoundError('job', id);
  const lines = await db
    .selectFrom('job_logs')
    .selectAll()
    .where('job_id', '=', id)
    .where('id', '>', after)
    .orderBy('id')
    .limit(1000)
    .execute();
  return { status: j.status, progress: j.progress ?? null, lines };
}

/** Every schedule, by name. */
export async function listSchedules(db: Executor): Promise<ScheduleRow[]> {
  return db.selectFrom('schedules').selectAll().orderBy('name').execute();
}

async function getSchedule(db: Executor, id: number): Promise<ScheduleRow> {
  const s = await db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
  if (!s) throw new NotFoundError('schedule', id);
  return s;
}

/** Checks a schedule's kind, payload and cron; returns its next run. */
async function validateSchedule(s: { kind: string; payload?: unknown; cron: string }): Promise<string> {
  const def = await jobDefinition(s.kind);
  if (!def) throw new ValidationError('kind', `unknown job kind "${s.kind}"`);
  const parsed = def.payload.safeParse(s.payload ?? {});
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ field: `payload.${i.path.join('.')}`, message: i.message })),
    );
  return nextCronRun(s.cron).toISOString();
}

/** Creates a schedule (names are unique). */
export async function createSchedule(db: Executor, input: ScheduleInput): Promise<ScheduleRow> {
  const next = await validateSchedule(input);
  await assertUnique(db, 'schedules', 'name', input.name, null);
  const t = now();
  const row = await db
    .insertInto('schedules')
    .values({
      name: input.name,
      kind: input.kind,
      payload: JSON.stringify(input.payload ?? {}),
      cron: input.cron,
      enabled: input.enabled ?? true,
      next_run_at: next,
      description: input.description ?? null,
      created_at: t,
      updated_at: t,
      version: 1,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return getSchedule(db, Number(row.id));
}

/** Changes a schedule; kind, payload and cron are checked together (given ones over stored ones). */
export async function updateSchedule(db: Executor, id: number, input: Partial<ScheduleInput>): Promise<ScheduleRow> {
  const s = await getSchedule(db, id);
  const next = await validateSchedule({ kind: s.kind, payload: json(s.payload, {}), cron: s.cron, ...input });
  if (input.name) await assertUnique(db, 'schedules', 'name', input.name, Number(s.id));
  const set: Updateable<SchedulesTable> = { updated_at: now(), next_run_at: next };
  if ('name' in input) set.name = input.name;
  if ('kind' in input) set.kind = input.kind;
  if ('cron' in input) set.cron = input.cron;
  if ('enabled' in input) set.enabled = input.enabled;
  if ('description' in input) set.description = input.description;
  if (input.payload) set.payload = JSON.stringify(input.payload);
  await db.updateTable('schedules').set(set).where('id', '=', s.id).execute();
  return getSchedule(db, Number(s.id));
}

/** Deletes a schedule. */
export async function deleteSchedule(db: Executor, id: number): Promise<void> {
  const res = await db.deleteFrom('schedules').where('id', '=', id).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new NotFoundError('schedule', id);
}
