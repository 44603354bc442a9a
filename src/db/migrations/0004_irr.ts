// IRR history: every refresh of a peer's IRR prefix list is a version with its diff; suspicious
// refreshes are held for review. AS-path lists keep the origin ASNs of the same expansion.
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
  await idCol(db.schema.createTable('prefix_list_versions'))
    .addColumn('prefix_list_id', ref, (c: any) => c.notNull().references('prefix_lists.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c: any) => c.notNull())
    .addColumn('created_at', 'text', (c: any) => c.notNull())
    .addColumn('status', 'text', (c: any) =>
      c.notNull().check(sql`status in ('active','held','rejected','superseded')`),
    )
    .addColumn('reason', 'text')
    .addColumn('irr_server', 'text')
    .addColumn('sources', 'text')
    .addColumn('query', 'text')
    .addColumn('prefix_count', 'integer', (c: any) => c.notNull())
    .addColumn('entries', 'text', (c: any) => c.notNull())
    .addColumn('added', 'text', (c: any) => c.notNull())
    .addColumn('removed', 'text', (c: any) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addUniqueConstraint('prefix_list_versions_unique', ['prefix_list_id', 'version'])
    .execute();
  await db.schema
    .createIndex('prefix_list_versions_status')
    .on('prefix_list_versions')
    .columns(['status', 'prefix_list_id'])
    .execute();

  await idCol(db.schema.createTable('as_path_lists'))
    .addColumn('name', 'text', (c: any) => c.notNull().unique())
    .addColumn('peer_asn_id', ref, (c: any) => c.references('peer_asns.id').onDelete('cascade'))
    .addColumn('query', 'text')
    .addColumn('asns', 'text', (c: any) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c: any) => c.notNull())
    .addColumn('updated_at', 'text', (c: any) => c.notNull())
    .addColumn('version', 'integer', (c: any) => c.notNull().defaultTo(1))
    .execute();

  await db.schema.alterTable('peer_asns').addColumn('irr_refreshed_at', 'text').execute();
  await db.schema.alterTable('peer_asns').addColumn('irr_last_error', 'text').execute();

  // Daily refresh of every peer's IRR lists, after the PeeringDB sync has updated AS-SETs.
  const stamp = new Date().toISOString();
  const next = new Date();
  next.setUTCHours(5, 15, 0, 0);
  if (next.getTime() <= Date.now()) next.setUTCDate(next.getUTCDate() + 1);
  await db
    .insertInto('schedules')
    .values({
      name: 'irr-refresh',
      kind: 'irr.refresh_all',
      payload: '{}',
      cron: '15 5 * * *',
      enabled: pg ? true : 1,
      next_run_at: next.toISOString(),
      description: 'Daily IRR prefix-list refresh of every peer ASN with an AS-SET',
      created_at: stamp,
      updated_at: stamp,
      version: 1,
    })
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.deleteFrom('schedules').where('name', '=', 'irr-refresh').execute();
  await db.schema.dropTable('as_path_lists').ifExists().execute();
  await db.schema.dropTable('prefix_list_versions').ifExists().execute();
}
