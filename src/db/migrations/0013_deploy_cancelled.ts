// Deployments get a final status `cancelled` (cancelled before they started: by the cancel endpoint,
// by cancelling their queued job, or with their rollout). Only the status CHECK constraint changes.
// PostgreSQL replaces the constraint; SQLite cannot alter a CHECK, so the table is rebuilt with the
// same columns and indexes (the lock rows, which would go with the old table, are kept aside and put back).
// Frozen in time: typed Kysely<any>, no application imports.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

type Db = Kysely<any>;

const OLD = `'planned','approved','applying','confirming','done','rolled_back','failed','rejected'`;
const NEW = `'planned','approved','applying','confirming','done','rolled_back','failed','rejected','cancelled'`;

function isPg(db: Db): boolean {
  return (db.getExecutor().adapter as object).constructor.name.toLowerCase().includes('postgres');
}

async function setStatusCheck(db: Db, from: string, to: string): Promise<void> {
  if (isPg(db)) {
    const found = await sql<{
      conname: string;
    }>`select conname from pg_constraint where conrelid = 'deployments'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%status%'`.execute(
      db,
    );
    for (const c of found.rows) await sql.raw(`alter table deployments drop constraint "${c.conname}"`).execute(db);
    await sql
      .raw(`alter table deployments add constraint deployments_status_check check (status in (${to}))`)
      .execute(db);
    return;
  }
  const table = await sql<{
    sql: string;
  }>`select sql from sqlite_master where type = 'table' and name = 'deployments'`.execute(db);
  const create = table.rows[0]?.sql;
  if (!create || !create.includes(from))
    throw new Error('deployments: the status check constraint is not the expected one');
  const indexes = await sql<{
    sql: string;
  }>`select sql from sqlite_master where type = 'index' and tbl_name = 'deployments' and sql is not null`.execute(db);
  await sql`create table deploy_locks_keep as select * from deploy_locks`.execute(db);
  await sql
    .raw(create.replace(from, to).replace(/^CREATE TABLE\s+("?)deployments\1/i, 'create table "deployments_new"'))
    .execute(db);
  await sql`insert into deployments_new select * from deployments`.execute(db);
  await sql`drop table deployments`.execute(db);
  await sql`alter table deployments_new rename to deployments`.execute(db);
  for (const ix of indexes.rows) await sql.raw(ix.sql).execute(db);
  await sql`insert into deploy_locks select * from deploy_locks_keep`.execute(db);
  await sql`drop table deploy_locks_keep`.execute(db);
}

export async function up(db: Db): Promise<void> {
  await setStatusCheck(db, OLD, NEW);
}

export async function down(db: Db): Promise<void> {
  await sql`update deployments set status = 'failed', failed_check = coalesce(failed_check, 'cancelled') where status = 'cancelled'`.execute(
    db,
  );
  await setStatusCheck(db, NEW, OLD);
}
