// The routers' old poll-status columns (moved to `router_poll_status` by 0014 and no longer read or
// written) are dropped. Down puts them back, filled from router_poll_status.
// Frozen in time: typed Kysely<any>, no application imports.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

type Db = Kysely<any>;

function isPg(db: Db): boolean {
  return (db.getExecutor().adapter as object).constructor.name.toLowerCase().includes('postgres');
}

const COLUMNS = ['last_polled_at', 'last_poll_error', 'last_poll_job_id'];

export async function up(db: Db): Promise<void> {
  for (const c of COLUMNS) await db.schema.alterTable('routers').dropColumn(c).execute();
}

export async function down(db: Db): Promise<void> {
  const ref = isPg(db) ? 'bigint' : 'integer';
  await db.schema.alterTable('routers').addColumn('last_polled_at', 'text').execute();
  await db.schema.alterTable('routers').addColumn('last_poll_error', 'text').execute();
  await db.schema.alterTable('routers').addColumn('last_poll_job_id', ref).execute();
  await sql`update routers set
      last_polled_at = (select s.last_polled_at from router_poll_status s where s.router_id = routers.id),
      last_poll_error = (select s.last_poll_error from router_poll_status s where s.router_id = routers.id),
      last_poll_job_id = (select s.last_poll_job_id from router_poll_status s where s.router_id = routers.id)`.execute(
    db,
  );
}
