// Routers, live: the last poll's outcome per router, which jobs touched which router (the router
// page's recent jobs), and maintenances that take sessions down and later restore each one's prior
// admin state. Frozen in time: typed Kysely<any>, no application imports.
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

  // Null after a successful poll; the reason after a failed one (unreachable, no driver, …).
  await db.schema.alterTable('routers').addColumn('last_poll_error', 'text').execute();
  await db.schema.alterTable('routers').addColumn('last_poll_job_id', ref).execute();

  await idCol(db.schema.createTable('router_jobs'))
    .addColumn('router_id', ref, (c: any) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('job_id', ref, (c: any) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c: any) => c.notNull())
    .addColumn('created_at', 'text', (c: any) => c.notNull())
    .addUniqueConstraint('router_jobs_unique', ['router_id', 'job_id'])
    .execute();

  await idCol(db.schema.createTable('maintenances'))
    .addColumn('scope', 'text', (c: any) => c.notNull().check(sql`scope in ('router','fabric')`))
    .addColumn('router_id', ref, (c: any) => c.references('routers.id').onDelete('set null'))
    .addColumn('fabric_id', ref, (c: any) => c.references('fabrics.id').onDelete('set null'))
    .addColumn('message', 'text')
    .addColumn('status', 'text', (c: any) => c.notNull().check(sql`status in ('active','ended')`))
    .addColumn('started_at', 'text', (c: any) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('created_by', ref, (c: any) => c.references('users.id').onDelete('set null'))
    .addColumn('start_job_id', ref, (c: any) => c.references('jobs.id').onDelete('set null'))
    .addColumn('end_job_id', ref, (c: any) => c.references('jobs.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('maintenances_status').on('maintenances').columns(['status', 'id']).execute();

  await idCol(db.schema.createTable('maintenance_peers'))
    .addColumn('maintenance_id', ref, (c: any) => c.notNull().references('maintenances.id').onDelete('cascade'))
    .addColumn('bgp_peer_id', ref, (c: any) => c.notNull().references('bgp_peers.id').onDelete('cascade'))
    .addColumn('prior_enabled', 'boolean', (c: any) => c.notNull())
    .addUniqueConstraint('maintenance_peers_unique', ['maintenance_id', 'bgp_peer_id'])
    .execute();
  await db.schema.createIndex('maintenance_peers_peer').on('maintenance_peers').column('bgp_peer_id').execute();

  // Polling on a schedule: every router with polling enabled, every 5 minutes (admins change it in /api/schedules/).
  const stamp = new Date().toISOString();
  const next = new Date(Math.floor(Date.now() / 300_000) * 300_000 + 300_000);
  await db
    .insertInto('schedules')
    .values({
      name: 'bgp-poll',
      kind: 'bgp.poll',
      payload: '{}',
      cron: '*/5 * * * *',
      enabled: pg ? true : 1,
      next_run_at: next.toISOString(),
      description: 'Poll live BGP state from every router with polling enabled',
      created_at: stamp,
      updated_at: stamp,
      version: 1,
    })
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.deleteFrom('schedules').where('name', '=', 'bgp-poll').execute();
  for (const t of ['maintenance_peers', 'maintenances', 'router_jobs'])
    await db.schema.dropTable(t).ifExists().execute();
  await db.schema.alterTable('routers').dropColumn('last_poll_job_id').execute();
  await db.schema.alterTable('routers').dropColumn('last_poll_error').execute();
}
