// Deployments: each push of a rendered configuration to a router (what was rendered, the candidate, the
// diff, the device's answers, who proposed / approved it, its status and why), and one lock row per
// router so only one deployment runs on a router at a time. Frozen in time: typed Kysely<any>, no
// application imports.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

type Db = Kysely<any>;

function isPg(db: Db): boolean {
  return (db.getExecutor().adapter as object).constructor.name.toLowerCase().includes('postgres');
}

export async function up(db: Db): Promise<void> {
  const pg = isPg(db);
  const idCol = (t: any) =>
    t.addColumn('id', pg ? 'bigserial' : 'integer', (c: any) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()));
  const ref = pg ? 'bigint' : 'integer';
  const bool = pg ? 'boolean' : 'integer';

  await idCol(db.schema.createTable('deployments'))
    .addColumn('router_id', ref, (c: any) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('template_id', ref, (c: any) => c.references('config_templates.id').onDelete('set null'))
    .addColumn('template_name', 'text')
    .addColumn('template_version', 'integer')
    .addColumn('data_generation', 'text')
    .addColumn('dry_run', bool, (c: any) => c.notNull().defaultTo(pg ? sql`false` : 0))
    .addColumn('force', bool, (c: any) => c.notNull().defaultTo(pg ? sql`false` : 0))
    .addColumn('confirm_timeout', 'integer', (c: any) => c.notNull())
    .addColumn('mode', 'text')
    .addColumn('candidate', 'text')
    .addColumn('diff', 'text')
    .addColumn('log', 'text', (c: any) => c.notNull().defaultTo(''))
    .addColumn('committed', bool, (c: any) => c.notNull().defaultTo(pg ? sql`false` : 0))
    .addColumn('status', 'text', (c: any) =>
      c
        .notNull()
        .check(sql`status in ('planned','approved','applying','confirming','done','rolled_back','failed','rejected')`),
    )
    .addColumn('reason', 'text')
    .addColumn('failed_check', 'text')
    .addColumn('proposed_by', ref, (c: any) => c.references('users.id').onDelete('set null'))
    .addColumn('proposed_by_name', 'text')
    .addColumn('needs_approval', bool, (c: any) => c.notNull().defaultTo(pg ? sql`false` : 0))
    .addColumn('reviewed_by', ref, (c: any) => c.references('users.id').onDelete('set null'))
    .addColumn('reviewed_by_name', 'text')
    .addColumn('review_comment', 'text')
    .addColumn('reviewed_at', 'text')
    .addColumn('job_id', ref, (c: any) => c.references('jobs.id').onDelete('set null'))
    .addColumn('git_commit', 'text')
    .addColumn('created_at', 'text', (c: any) => c.notNull())
    .addColumn('updated_at', 'text', (c: any) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('deployments_router').on('deployments').columns(['router_id', 'id']).execute();
  await db.schema.createIndex('deployments_status').on('deployments').columns(['status', 'id']).execute();

  // The lock: a row per router while a deployment runs there (the primary key makes a second insert fail).
  await db.schema
    .createTable('deploy_locks')
    .addColumn('router_id', ref, (c: any) => c.primaryKey().references('routers.id').onDelete('cascade'))
    .addColumn('deployment_id', ref, (c: any) => c.notNull().references('deployments.id').onDelete('cascade'))
    .addColumn('locked_at', 'text', (c: any) => c.notNull())
    .execute();
}

export async function down(db: Db): Promise<void> {
  for (const t of ['deploy_locks', 'deployments']) await db.schema.dropTable(t).ifExists().execute();
}
