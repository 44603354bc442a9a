// Runs a job in the calling request, bounded by a timeout, and records it like any other job (row,
// log, result), so admin actions answer at once with their outcome and still leave a job to inspect.
import { randomBytes } from 'node:crypto';
import { now, type Db } from '../platform/db.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { ValidationError } from '../platform/errors.ts';
import { jobDefinition } from '../jobs/registry.ts';
import { appendLog, finishJob } from '../jobs/jobs.service.ts';
import { JobWriter } from '../jobs/job-writer.ts';

export interface InlineJobOutcome<R> {
  jobId: number;
  status: 'succeeded' | 'failed' | 'cancelled';
  result: R | null;
  error?: string;
  /** The error the job threw (routes re-raise domain errors with their HTTP status). */
  cause?: unknown;
}

/**
 * Inserts the job already running (so no worker claims it), runs its definition here with a
 * deadline, and finishes it. The lease outlasts the deadline; should this process die mid-way a
 * worker re-runs it after the lease (the job kinds run this way are idempotent).
 */
export async function runInlineJob<R>(
  db: Db,
  kind: string,
  payload: unknown,
  opts: { userId?: number | null; secrets?: SecretBox; timeoutMs: number },
): Promise<InlineJobOutcome<R>> {
  const def = await jobDefinition(kind);
  if (!def) throw new Error(`unknown job kind ${kind}`);
  const parsed = def.payload.safeParse(payload ?? {});
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })),
    );
  const workerId = `inline-${process.pid}-${randomBytes(3).toString('hex')}`;
  const t = now();
  const row = await db
    .insertInto('jobs')
    .values({
      kind,
      payload: JSON.stringify(parsed.data ?? {}),
      status: 'running',
      attempts: 1,
      max_attempts: def.maxAttempts ?? 1,
      run_after: t,
      lease_until: new Date(Date.now() + opts.timeoutMs + 600_000).toISOString(),
      worker_id: workerId,
      cancel_requested: false,
      created_by: opts.userId ?? null,
      created_at: t,
      started_at: t,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const jobId = Number(row.id);
  const writer = new JobWriter(db, jobId);
  const signal = AbortSignal.timeout(opts.timeoutMs);
  try {
    const result = (await def.run({
      db,
      jobId,
      payload: parsed.data,
      userId: opts.userId ?? null,
      secrets: opts.secrets,
      signal,
      log: (message, level = 'info') => writer.log(message, level),
      progress: (fraction, message) => writer.progress(fraction, message),
    })) as R;
    await writer.flush();
    await appendLog(db, jobId, 'succeeded');
    await finishJob(db, jobId, workerId, 'succeeded', { result: result ?? null });
    return { jobId, status: 'succeeded', result };
  } catch (err) {
    await writer.flush();
    const message = signal.aborted
      ? `no answer within ${Math.round(opts.timeoutMs / 1000)} s`
      : err instanceof Error
        ? err.message
        : String(err);
    await appendLog(db, jobId, `failed: ${message}`, 'error');
    await finishJob(db, jobId, workerId, 'failed', { error: message });
    return { jobId, status: 'failed', result: null, error: message, cause: err };
  }
}
