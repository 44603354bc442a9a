// `peerdesk migrate`: brings the schema up to date.
import type { Command } from 'commander';

/** Registers the migrate command. */
export function register(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const { loadConfig } = await import('../platform/config.ts');
      const { openDb } = await import('../platform/db.ts');
      const { migrateToLatest } = await import('../db/migrate.ts');
      const db = await openDb(loadConfig().PEERDESK_DATABASE_URL);
      try {
        const applied = await migrateToLatest(db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
      } finally {
        await db.destroy();
      }
    });
}
