// Session actions and rollouts on top of deployments: what a deployment is for (a router deploy, a
// session's Configure / Config Manager, a deconfigure before deleting a session), the Config Manager's
// edited candidate and one-time commands (encrypted: they may hold secrets), whether it needs one-time
// credentials (never stored: held in the worker's memory), and rollouts (one deployment per router,
// a canary first). Frozen in time: typed Kysely<any>, no application imports.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

type Db = Kysely<any>;

function isPg(db: Db): boolean {
  return (db.getExecutor().adapter as object).constructor.name.toLowerCase().includes('postgres');
}

export async function up(db: Db): Promise<void> {
  const pg = isPg(db);
  const ref = pg ? 'bigint' : 'integer';
  const bool = pg ? 'boolean' : 'integer';

  await (
    pg
      ? db.schema.createTable('rollouts').addColumn('id', 'bigserial', (c) => c.primaryKey())
      : db.schema.createTable('rollouts').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
  )
    .addColumn('status', 'text', (c: any) =>
      c.notNull().check(sql`status in ('scheduled','running','done','stopped','failed')`),
    )
    .addColumn('canary', bool, (c: any) => c.notNull())
    .addColumn('dry_run', bool, (c: any) => c.notNull().defaultTo(pg ? sql`false` : 0))
    .addColumn('force', bool, (c: any) => c.notNull().defaultTo(pg ? sql`false` : 0))
    .addColumn('session_ids', 'text', (c: any) => c.notNull().defaultTo('[]'))
    .addColumn('run_at', 'text', (c: any) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('job_id', ref, (c: any) => c.references('jobs.id').onDelete('set null'))
    .addColumn('created_by', ref, (c: any) => c.references('users.id').onDelete('set null'))
    .addColumn('created_by_name', 'text')
    .addColumn('created_at', 'text', (c: any) => c.notNull())
    .addColumn('updated_at', 'text', (c: any) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();

  const add = (col: string, type: any, build?: (c: any) => any) =>
    db.schema
      .alterTable('deployments')
      .addColumn(col, type, build ?? ((c: any) => c))
      .execute();
  await add('action', 'text', (c: any) =>
    c
      .notNull()
      .defaultTo('deploy')
      .check(sql`action in ('deploy','configure','deconfigure')`),
  );
  // No foreign key: the session is deleted after a successful deconfigure, the deployment stays.
  await add('session_id', ref);
  await add('session_repr', 'text');
  await add('rollout_id', ref, (c: any) => c.references('rollouts.id').onDelete('set null'));
  await add('rollout_order', 'integer');
  await add('overrides_enc', 'text');
  await add('one_time_credentials', bool, (c: any) => c.notNull().defaultTo(pg ? sql`false` : 0));
  await db.schema
    .createIndex('deployments_rollout')
    .on('deployments')
    .columns(['rollout_id', 'rollout_order'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropIndex('deployments_rollout').ifExists().execute();
  for (const col of [
    'one_time_credentials',
    'overrides_enc',
    'rollout_order',
    'rollout_id',
    'session_repr',
    'session_id',
    'action',
  ])
    await db.schema.alterTable('deployments').dropColumn(col).execute();
  await db.schema.dropTable('rollouts').ifExists().execute();
}
