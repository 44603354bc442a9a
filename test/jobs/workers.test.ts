// Jobs: typed payloads, retries, cancellation, schedules; several workers never run one job twice;
// a killed worker's job is picked up again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import pino from 'pino';
import { createTestDb, engines, type TestDb } from '../support/db.ts';
import { claimJob, enqueueJob, cancelJob, nextCronRun, runDueSchedules } from '../../src/jobs/jobs.service.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { openDb } from '../../src/platform/db.ts';
import { now } from '../../src/platform/db.ts';

const logger = pino({ level: 'silent' });

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting');
}

describe.each(engines())('jobs on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(engine);
  });
  afterAll(async () => t?.drop());

  it('validates payloads against the job kind', async () => {
    await expect(enqueueJob(t.db, 'no.such.kind', {})).rejects.toThrow(/unknown job kind/);
    await expect(enqueueJob(t.db, 'system.sleep', { ms: 'soon' })).rejects.toMatchObject({
      fields: [{ field: 'payload.ms' }],
    });
  });

  it('runs jobs with progress and log, retries failures, then fails', async () => {
    const ok = await enqueueJob(t.db, 'system.sleep', { ms: 20 });
    const bad = await enqueueJob(t.db, 'system.sleep', { ms: 1, fail: true });
    await t.db.updateTable('jobs').set({ max_attempts: 2 }).where('id', '=', bad).execute();
    const w = startWorker({ db: t.db, logger, pollMs: 20 });
    try {
      const done = await waitFor(async () => {
        const j = await t.db.selectFrom('jobs').selectAll().where('id', '=', ok).executeTakeFirst();
        return j?.status === 'succeeded' ? j : null;
      });
      expect(done.progress).toBe(1);
      expect(JSON.parse(done.result ?? 'null')).toEqual({ slept_ms: 20 });
      const log = await t.db.selectFrom('job_logs').select('message').where('job_id', '=', ok).orderBy('id').execute();
      expect(log.map((l) => l.message)).toEqual([expect.stringMatching(/attempt 1 started/), 'succeeded']);
      // First failure is retried with backoff; make it due now instead of waiting.
      await waitFor(
        async () =>
          (await t.db.selectFrom('jobs').select(['attempts', 'status']).where('id', '=', bad).executeTakeFirst())
            ?.attempts === 1,
      );
      await waitFor(async () => {
        await t.db
          .updateTable('jobs')
          .set({ run_after: now() })
          .where('id', '=', bad)
          .where('status', '=', 'queued')
          .execute();
        return (
          (await t.db.selectFrom('jobs').select('status').where('id', '=', bad).executeTakeFirst())?.status === 'failed'
        );
      });
      const failed = await t.db.selectFrom('jobs').selectAll().where('id', '=', bad).executeTakeFirstOrThrow();
      expect(failed.attempts).toBe(2);
      expect(failed.error).toBe('failed on request');
    } finally {
      await w.stop();
    }
  });

  it('cancels queued and running jobs', async () => {
    const queued = await enqueueJob(t.db, 'system.sleep', { ms: 10 });
    await cancelJob(t.db, queued);
    expect(
      (await t.db.selectFrom('jobs').select('status').where('id', '=', queued).executeTakeFirstOrThrow()).status,
    ).toBe('cancelled');
    const long = await enqueueJob(t.db, 'system.sleep', { ms: 20_000 });
    const w = startWorker({ db: t.db, logger, pollMs: 20 });
    try {
      await waitFor(
        async () =>
          (await t.db.selectFrom('jobs').select('status').where('id', '=', long).executeTakeFirst())?.status ===
          'running',
      );
      await cancelJob(t.db, long);
      await waitFor(
        async () =>
          (await t.db.selectFrom('jobs').select('status').where('id', '=', long).executeTakeFirst())?.status ===
          'cancelled',
        10_000,
      );
    } finally {
      await w.stop();
    }
  });

  it('queues scheduled jobs once per due time', async () => {
    expect(() => nextCronRun('not a cron')).toThrow(/invalid cron/);
    const t0 = now();
    await t.db
      .insertInto('schedules')
      .values({
        name: 'cleanup',
        kind: 'system.cleanup',
        payload: '{}',
        cron: '0 3 * * *',
        enabled: true,
        next_run_at: '2000-01-01T00:00:00.000Z',
        created_at: t0,
        updated_at: t0,
        version: 1,
      })
      .execute();
    const [a, b] = await Promise.all([runDueSchedules(t.db), runDueSchedules(t.db)]);
    expect(a + b).toBe(1);
    const s = await t.db.selectFrom('schedules').selectAll().where('name', '=', 'cleanup').executeTakeFirstOrThrow();
    expect(s.next_run_at! > t0).toBe(true);
    expect(s.last_job_id).toBeTruthy();
  });

  it('never gives one job to two claimers', async () => {
    await t.db.deleteFrom('jobs').execute();
    const ids = new Set<number>();
    for (let i = 0; i < 40; i++) ids.add(await enqueueJob(t.db, 'system.sleep', { ms: 0 }));
    // Several connections claiming at once (separate pools on PostgreSQL, like separate processes).
    const handles = engine === 'postgres' ? await Promise.all([1, 2, 3].map(() => openDb(t.url))) : [t.db];
    try {
      const claimed: number[] = [];
      await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const db = handles[i % handles.length];
          for (;;) {
            const j = await claimJob(db, `w${i}`);
            if (!j) break;
            claimed.push(Number(j.id));
          }
        }),
      );
      expect(claimed.sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
    } finally {
      if (engine === 'postgres') await Promise.all(handles.map((h) => h.destroy()));
    }
  });
});

describe.skipIf(!engines().includes('postgres'))('worker processes on PostgreSQL', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('postgres');
  });
  afterAll(async () => t?.drop());

  it('two worker processes run each job exactly once, and a killed worker’s job is run again', async () => {
    for (let i = 0; i < 20; i++) await enqueueJob(t.db, 'system.sleep', { ms: 50 });
    const crash = await enqueueJob(t.db, 'system.sleep', { ms: 600_000 });
    const env = {
      ...process.env,
      PEERDESK_DATABASE_URL: t.url,
      PEERDESK_JOB_LEASE_MS: '1500',
      PEERDESK_LOG_LEVEL: 'silent',
      PEERDESK_SECRET_KEY: 'k'.repeat(40),
    };
    const start = () =>
      spawn(process.execPath, ['bin/peerdesk.js', 'worker', '--concurrency', '2'], { env, stdio: 'ignore' });
    const w1 = start();
    const w2 = start();
    try {
      // The long job is held by one of the two; kill that one hard.
      const holder = await waitFor(
        async () =>
          (await t.db.selectFrom('jobs').select(['worker_id', 'status']).where('id', '=', crash).executeTakeFirst())
            ?.worker_id as string | null,
        20_000,
      );
      await waitFor(
        async () =>
          (await t.db
            .selectFrom('jobs')
            .select('id')
            .where('status', 'in', ['queued'])
            .where('id', '!=', crash)
            .executeTakeFirst()) === undefined || null,
        20_000,
      ).catch(() => null);
      const victim = holder.includes(`-${w1.pid}-`) ? w1 : w2;
      const survivor = victim === w1 ? w2 : w1;
      victim.kill('SIGKILL');
      // The survivor re-claims it after the lease expires (attempt 2 on another worker).
      const again = await waitFor(async () => {
        const j = await t.db.selectFrom('jobs').selectAll().where('id', '=', crash).executeTakeFirst();
        return j && Number(j.attempts) >= 2 && j.worker_id && !String(j.worker_id).includes(`-${victim.pid}-`)
          ? j
          : null;
      }, 30_000);
      expect(String(again.worker_id)).toContain(`-${survivor.pid}-`);
      const others = await t.db.selectFrom('jobs').selectAll().where('id', '!=', crash).execute();
      await waitFor(
        async () =>
          (await t.db
            .selectFrom('jobs')
            .select('id')
            .where('id', '!=', crash)
            .where('status', '!=', 'succeeded')
            .executeTakeFirst()) === undefined || null,
        20_000,
      ).catch(() => null);
      const finished = await t.db.selectFrom('jobs').selectAll().where('id', '!=', crash).execute();
      expect(others.length).toBe(20);
      for (const j of finished) {
        expect(j.status).toBe('succeeded');
        // Exactly once: one attempt each, one "started" line each.
        expect(Number(j.attempts)).toBe(1);
        const starts = await t.db
          .selectFrom('job_logs')
          .select('id')
          .where('job_id', '=', j.id)
          .where('message', 'like', 'attempt%')
          .execute();
        expect(starts).toHaveLength(1);
      }
    } finally {
      w1.kill('SIGKILL');
      w2.kill('SIGKILL');
    }
  }, 90_000);
});

describe('job progress inside a transaction', () => {
  it('never blocks a job that reports from inside its own SQLite transaction', async () => {
    const { JobWriter } = await import('../../src/jobs/job-writer.ts');
    const t = await createTestDb('sqlite');
    try {
      const id = await enqueueJob(t.db, 'system.sleep', { ms: 0 });
      const w = new JobWriter(t.db, id);
      // SQLite has one connection: a blocking write here would wait for the transaction forever.
      await t.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('relationships')
          .values({ slug: 'x', name: 'X', color: 'ff0000', created_at: now(), updated_at: now(), version: 1 })
          .execute();
        await Promise.race([
          (async () => {
            await w.log('inside the transaction');
            await w.progress(0.5, 'half');
            await w.progress(0.7, 'later');
          })(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('progress blocked the job')), 2000)),
        ]);
      });
      await w.flush();
      const job = await t.db
        .selectFrom('jobs')
        .select(['progress', 'progress_message'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(job).toEqual({ progress: 0.7, progress_message: 'later' });
      const lines = await t.db.selectFrom('job_logs').select('message').where('job_id', '=', id).execute();
      expect(lines.map((l) => l.message)).toEqual(['inside the transaction']);
    } finally {
      await t.drop();
    }
  });
});
