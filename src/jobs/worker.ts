// The worker loop: claims jobs, runs them with log/progress/cancel, renews leases, fires schedules.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { SecretBox } from '../platform/crypto.ts';
import { now, type Db } from '../platform/db.ts';
import { jobDefinition } from './registry.ts';
import type { JobRow } from './jobs.schema.ts';
import {
  appendLog,
  claimJob,
  finishJob,
  LEASE_MS,
  retryJob,
  runDueSchedules,
  runWorkerSweeps,
} from './jobs.service.ts';
import { JobWriter } from './job-writer.ts';
import { jobDuration, jobsFinished } from '../platform/metrics.ts';

export interface WorkerOptions {
  db: Db;
  logger: Logger;
  /** Idle poll interval in ms. */
  pollMs?: number;
  /** Jobs run at once by this worker. */
  concurrency?: number;
  /** The secret box jobs use for credentials. */
  secrets?: SecretBox;
}

/** A running worker; stop() waits for its current jobs to finish or abort. */
export interface WorkerHandle {
  id: string;
  stop(): Promise<void>;
  /** Runs one claim-and-execute pass (tests use it to step deterministically). */
  tick(): Promise<boolean>;
}

/** Runs one claimed job to completion, recording its outcome. */
async function execute(
  db: Db,
  job: JobRow,
  workerId: string,
  logger: Logger,
  stopSignal: AbortSignal,
  secrets?: SecretBox,
): Promise<void> {
  const jobId = Number(job.id);
  const def = await jobDefinition(job.kind);
  const started = Date.now();
  if (!def) {
    await finishJob(db, jobId, workerId, 'failed', { error: `unknown job kind ${job.kind}` });
    return;
  }
  const abort = new AbortController();
  let writer: JobWriter | null = null;
  const onStop = () => abort.abort();
  stopSignal.addEventListener('abort', onStop);
  // Lease renewal and cancellation watch: a crashed worker stops renewing and the job is re-claimed.
  const timer = setInterval(
    async () => {
      try {
        const row = await db.selectFrom('jobs').select(['cancel_requested']).where('id', '=', jobId).executeTakeFirst();
        if (row && (row.cancel_requested === true || row.cancel_requested === 1)) abort.abort();
        await db
          .updateTable('jobs')
          .set({ lease_until: new Date(Date.now() + LEASE_MS).toISOString() })
          .where('id', '=', jobId)
          .where('worker_id', '=', workerId)
          .execute();
      } catch {
        /* the next tick retries */
      }
    },
    Math.min(LEASE_MS / 3, 1000),
  );
  try {
    const payload = def.payload.parse(JSON.parse(job.payload || '{}'));
    await appendLog(db, jobId, `attempt ${job.attempts} started on ${workerId}`);
    writer = new JobWriter(db, jobId);
    const w = writer;
    const result = await def.run({
      db,
      jobId,
      payload,
      userId: job.created_by ? Number(job.created_by) : null,
      secrets,
      signal: abort.signal,
      log: (message, level = 'info') => w.log(message, level),
      progress: (fraction, message) => w.progress(fraction, message),
    });
    await w.flush();
    await appendLog(db, jobId, 'succeeded');
    await finishJob(db, jobId, workerId, 'succeeded', { result: result ?? null });
    jobsFinished.inc({ kind: job.kind, status: 'succeeded' });
  } catch (err) {
    await writer?.flush();
    const message = err instanceof Error ? err.message : String(err);
    const cancelled = abort.signal.aborted && !stopSignal.aborted;
    await appendLog(db, jobId, `${cancelled ? 'cancelled' : 'failed'}: ${message}`, cancelled ? 'warn' : 'error').catch(
      () => {},
    );
    if (cancelled) {
      await finishJob(db, jobId, workerId, 'cancelled', { error: message });
      jobsFinished.inc({ kind: job.kind, status: 'cancelled' });
    } else if (stopSignal.aborted || Number(job.attempts) < Number(job.max_attempts)) {
      await retryJob(db, jobId, workerId, Number(job.attempts), message);
    } else {
      await finishJob(db, jobId, workerId, 'failed', { error: message });
      jobsFinished.inc({ kind: job.kind, status: 'failed' });
      logger.warn({ jobId, kind: job.kind, err: message }, 'job failed');
    }
  } finally {
    clearInterval(timer);
    stopSignal.removeEventListener('abort', onStop);
    jobDuration.observe({ kind: job.kind }, (Date.now() - started) / 1000);
  }
}

/** Starts a worker loop in this process. */
export function startWorker(opts: WorkerOptions): WorkerHandle {
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const { db, logger } = opts;
  const pollMs = opts.pollMs ?? 1000;
  const concurrency = opts.concurrency ?? 2;
  const stop = new AbortController();
  const running = new Set<Promise<void>>();
  let lastSchedule = 0;
  let lastBeat = 0;

  const tick = async (): Promise<boolean> => {
    if (Date.now() - lastBeat > 10_000) {
      lastBeat = Date.now();
      const t = now();
      const seen = await db.updateTable('workers').set({ seen_at: t }).where('id', '=', id).executeTakeFirst();
      if (Number(seen.numUpdatedRows) === 0)
        await db
          .insertInto('workers')
          .values({ id, hostname: hostname(), pid: process.pid, started_at: t, seen_at: t })
          .execute();
    }
    if (Date.now() - lastSchedule > 5_000) {
      lastSchedule = Date.now();
      await runDueSchedules(db).catch((err) => logger.warn({ err: String(err) }, 'schedules failed'));
    }
    // Before claiming (a job whose lease expired is re-claimed here): end the work of lost jobs.
    await runWorkerSweeps(db, (name, err) => logger.warn({ sweep: name, err: String(err) }, 'worker sweep failed'));
    if (running.size >= concurrency || stop.signal.aborted) return false;
    const job = await claimJob(db, id);
    if (!job) return false;
    const p = execute(db, job, id, logger, stop.signal, opts.secrets).catch((err) =>
      logger.error({ err: String(err) }, 'job runner error'),
    );
    running.add(p);
    p.finally(() => running.delete(p));
    return true;
  };

  const loop = async () => {
    while (!stop.signal.aborted) {
      let claimed = false;
      try {
        claimed = await tick();
      } catch (err) {
        logger.warn({ err: String(err) }, 'worker tick failed');
      }
      if (!claimed) await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  const done = loop();
  return {
    id,
    tick,
    async stop() {
      stop.abort();
      await done;
      await Promise.allSettled([...running]);
      await db
        .deleteFrom('workers')
        .where('id', '=', id)
        .execute()
        .catch(() => {});
    },
  };
}
