// Runs the single migration timeline in src/db/migrations (files named NNNN_name.ts).
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { sql } from 'kysely';
import type { Db } from '../platform/db.ts';
import { QUIET_TABLES } from '../platform/generation.ts';

const dir = fileURLToPath(new URL('./migrations/', import.meta.url));

const provider: MigrationProvider = {
  async getMigrations() {
    const out: Record<string, Migration> = {};
    for (const file of readdirSync(dir)
      .filter((f) => /^\d{4}_[\w-]+\.(ts|js)$/.test(f))
      .sort()) {
      out[file.replace(/\.(ts|js)$/, '')] = await import(pathToFileURL(dir + file).href);
    }
    return out;
  },
};

/** Brings the schema up to date; returns the names of migrations applied now. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'peerdesk_migrations',
    migrationLockTableName: 'peerdesk_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? error}`);
  }
  await ensureWriteNotifications(db);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * PostgreSQL: every table the API reads (all but the QUIET_TABLES of platform/generation.ts) gets a
 * statement trigger that NOTIFYs at commit, so each process can invalidate its read caches.
 * Idempotent; covers tables added by any migration.
 */
async function ensureWriteNotifications(db: Db): Promise<void> {
  if (!(db.getExecutor().adapter as object).constructor.name.toLowerCase().includes('postgres')) return;
  await sql`create or replace function peerdesk_notify_write() returns trigger language plpgsql as $$
    begin perform pg_notify('peerdesk_write', tg_table_name); return null; end $$`.execute(db);
  const tables = await sql<{
    tablename: string;
    notifies: boolean;
  }>`select t.tablename, exists (select 1 from pg_trigger g where g.tgname = 'peerdesk_notify_write' and g.tgrelid = c.oid) as notifies
    from pg_tables t join pg_class c on c.relname = t.tablename join pg_namespace n on n.oid = c.relnamespace and n.nspname = t.schemaname
    where t.schemaname = current_schema()`.execute(db);
  for (const { tablename, notifies } of tables.rows) {
    if (QUIET_TABLES.has(tablename)) {
      // A table that became quiet loses the trigger an earlier version gave it.
      if (notifies) await sql.raw(`drop trigger peerdesk_notify_write on "${tablename}"`).execute(db);
      continue;
    }
    await sql
      .raw(
        `create or replace trigger peerdesk_notify_write after insert or update or delete or truncate on "${tablename}" for each statement execute function peerdesk_notify_write()`,
      )
      .execute(db);
  }
}

/** Names of migrations not yet applied (for /api/health). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'peerdesk_migrations',
    migrationLockTableName: 'peerdesk_migrations_lock',
  });
  return (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
}
