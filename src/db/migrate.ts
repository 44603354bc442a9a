// Runs the single migration timeline in src/db/migrations (files named NNNN_name.ts).
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Db } from '../platform/db.ts';

const dir = fileURLToPath(new URL('./migrations/', import.meta.url));

const provider: MigrationProvider = {
  async getMigrations() {
    const out: Record<string, Migration> = {};
    for (const file of readdirSync(dir).filter((f) => /^\d{4}_[\w-]+\.ts$/.test(f)).sort()) {
      out[file.replace(/\.ts$/, '')] = await import(pathToFileURL(dir + file).href);
    }
    return out;
  },
};

/** Brings the schema up to date; returns the names of migrations applied now. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'peerdesk_migrations', migrationLockTableName: 'peerdesk_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? error}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations not yet applied (for /api/health). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'peerdesk_migrations', migrationLockTableName: 'peerdesk_migrations_lock' });
  return (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
}
