// The routers' poll status in its own table (migration 0014): the values of an older database are
// carried over, polls write it (and their job links) without moving the read caches' data generation,
// and PostgreSQL keeps write notifications off both tables.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { createTestDb, engines } from '../../test/support/db.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { dynamic, generationOf } from '../platform/db.ts';
import { linkJob, storePollAnswers } from './poll.service.ts';

const dir = fileURLToPath(new URL('../db/migrations/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => /^\d{4}_[\w-]+\.ts$/.test(f))
  .sort();
const before0014 = files[files.findIndex((f) => f.startsWith('0014_')) - 1]!.replace(/\.ts$/, '');

/** Migrates up to (and including) the migration before 0014, as an older release left the database. */
async function migrateBefore0014(db: any): Promise<void> {
  const provider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const f of files) out[f.replace(/\.ts$/, '')] = await import(pathToFileURL(dir + f).href);
      return out;
    },
  };
  const { error } = await new Migrator({
    db,
    provider,
    migrationTableName: 'peerdesk_migrations',
    migrationLockTableName: 'peerdesk_migrations_lock',
  }).migrateTo(before0014);
  if (error) throw error;
}

describe.each(engines())('router poll status on %s', (engine) => {
  it('carries the poll status of an older database over, and polls write it without moving the data generation', async () => {
    const tdb = await createTestDb(engine, { migrate: false });
    const db = tdb.db;
    try {
      await migrateBefore0014(db);
      const t = '2026-11-30T06:00:00.000Z';
      const job = await db
        .insertInto('jobs')
        .values({ kind: 'bgp.poll', payload: '{}', status: 'succeeded', run_after: t, created_at: t })
        .returning('id')
        .executeTakeFirstOrThrow();
      const stamp = { status: 'active', created_at: t, updated_at: t, version: 1 };
      const ids: number[] = [];
      for (const name of ['polled', 'failing', 'never'])
        ids.push(
          Number(
            (
              await db
                .insertInto('routers')
                .values({ name, local_asn: 64500 + ids.length, ...stamp })
                .returning('id')
                .executeTakeFirstOrThrow()
            ).id,
          ),
        );
      const [polled, failing, never] = ids as [number, number, number];
      // (The columns an older release had on routers: not in today's schema types.)
      await dynamic(db)
        .updateTable('routers')
        .set({ last_polled_at: t, last_poll_error: null, last_poll_job_id: job.id })
        .where('id', '=', polled)
        .execute();
      await dynamic(db)
        .updateTable('routers')
        .set({ last_poll_error: 'connect ECONNREFUSED 127.0.3.99:179', last_poll_job_id: job.id })
        .where('id', '=', failing)
        .execute();
      if (engine === 'postgres') {
        // An earlier start gave router_jobs a write notification.
        await sql`create or replace function peerdesk_notify_write() returns trigger language plpgsql as $$ begin perform pg_notify('peerdesk_write', tg_table_name); return null; end $$`.execute(
          db,
        );
        await sql`create trigger peerdesk_notify_write after insert or update or delete or truncate on router_jobs for each statement execute function peerdesk_notify_write()`.execute(
          db,
        );
      }

      expect(await migrateToLatest(db)).toContain(files.find((f) => f.startsWith('0014_'))!.replace(/\.ts$/, ''));
      const status = async () =>
        (await db.selectFrom('router_poll_status').selectAll().orderBy('router_id').execute()).map((r: any) => ({
          ...r,
          router_id: Number(r.router_id),
          last_poll_job_id: r.last_poll_job_id === null ? null : Number(r.last_poll_job_id),
        }));
      expect(await status()).toEqual([
        { router_id: polled, last_polled_at: t, last_poll_error: null, last_poll_job_id: Number(job.id) },
        {
          router_id: failing,
          last_polled_at: null,
          last_poll_error: 'connect ECONNREFUSED 127.0.3.99:179',
          last_poll_job_id: Number(job.id),
        },
      ]);
      if (engine === 'postgres') {
        const notifying = await sql<{
          t: string;
        }>`select c.relname as t from pg_trigger g join pg_class c on c.oid = g.tgrelid where g.tgname = 'peerdesk_notify_write' and c.relname in ('routers', 'router_jobs', 'router_poll_status')`.execute(
          db,
        );
        expect(notifying.rows.map((r) => r.t)).toEqual(['routers']);
      }

      // A poll in which nothing changed: the status rows and the job links only (SQLite counts our writes).
      const job2 = await db
        .insertInto('jobs')
        .values({ kind: 'bgp.poll', payload: '{}', status: 'running', run_after: t, created_at: t })
        .returning('id')
        .executeTakeFirstOrThrow();
      const gen = generationOf(db)!;
      const g0 = gen.current();
      await linkJob(db, Number(job2.id), [polled, failing, never], 'bgp.poll');
      const at = '2026-11-30T07:00:00.000Z';
      const out = await storePollAnswers(
        db,
        [
          { routerId: polled, states: [] },
          { routerId: never, states: [] },
          { routerId: failing, states: null, error: 'no route to host' },
        ],
        { jobId: Number(job2.id), at },
      );
      expect(out).toEqual([
        { applied: { peers: 0, changed: 0, missing: 0, unknown: 0 }, warnings: [] },
        { applied: { peers: 0, changed: 0, missing: 0, unknown: 0 }, warnings: [] },
        null,
      ]);
      if (engine === 'sqlite') expect(gen.current()).toBe(g0);
      expect(await status()).toEqual([
        { router_id: polled, last_polled_at: at, last_poll_error: null, last_poll_job_id: Number(job2.id) },
        {
          router_id: failing,
          last_polled_at: null,
          last_poll_error: 'no route to host',
          last_poll_job_id: Number(job2.id),
        },
        { router_id: never, last_polled_at: at, last_poll_error: null, last_poll_job_id: Number(job2.id) },
      ]);
      // A failure keeps the time of the last successful poll.
      await storePollAnswers(db, [{ routerId: polled, states: null, error: 'timed out' }], {
        jobId: Number(job2.id),
        at: '2026-11-30T08:00:00.000Z',
      });
      expect((await status())[0]).toEqual({
        router_id: polled,
        last_polled_at: at,
        last_poll_error: 'timed out',
        last_poll_job_id: Number(job2.id),
      });
      // The status goes with its router.
      await db.deleteFrom('router_jobs').where('router_id', '=', never).execute();
      await db.deleteFrom('routers').where('id', '=', never).execute();
      expect((await status()).map((r) => r.router_id)).toEqual([polled, failing]);
    } finally {
      await tdb.drop();
    }
  });
});
