// The routers' poll status (when each was last polled, the last poll's error and job) moves out of
// `routers` into its own table, one row per router polled at least once. A poll rewrites it every
// time; in a table the read caches ignore (platform/generation.ts), a poll that changes no peer no
// longer invalidates every cached list. The values are copied over; the old columns of `routers`
// stay, unused and no longer written (frozen at their last value), because other modules may
// still select them: a later migration drops them. Frozen in time: typed Kysely<any>, no application imports.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

type Db = Kysely<any>;

function isPg(db: Db): boolean {
  return (db.getExecutor().adapter as object).constructor.name.toLowerCase().includes('postgres');
}

export async function up(db: Db): Promise<void> {
  const ref = isPg(db) ? 'bigint' : 'integer';
  await db.schema
    .createTable('router_poll_status')
    .addColumn('router_id', ref, (c: any) => c.primaryKey().references('routers.id').onDelete('cascade'))
    .addColumn('last_polled_at', 'text')
    // Null after a successful poll; the reason after a failed one (unreachable, no driver, …).
    .addColumn('last_poll_error', 'text')
    .addColumn('last_poll_job_id', ref)
    .execute();
  await sql`insert into router_poll_status (router_id, last_polled_at, last_poll_error, last_poll_job_id)
    select id, last_polled_at, last_poll_error, last_poll_job_id from routers
    where last_polled_at is not null or last_poll_error is not null or last_poll_job_id is not null`.execute(db);
}

export async function down(db: Db): Promise<void> {
  await sql`update routers set
      last_polled_at = (select s.last_polled_at from router_poll_status s where s.router_id = routers.id),
      last_poll_error = (select s.last_poll_error from router_poll_status s where s.router_id = routers.id),
      last_poll_job_id = (select s.last_poll_job_id from router_poll_status s where s.router_id = routers.id)`.execute(
    db,
  );
  await db.schema.dropTable('router_poll_status').ifExists().execute();
}
