// Scheduled window for a single deployment: `run_at` (null = as soon as possible). The job is queued
// for that time; with change review, approval queues it for run_at (or now when the window passed).
// Frozen in time: typed Kysely<any>, no application imports.
import type { Kysely } from 'kysely';

type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('run_at', 'text').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('deployments').dropColumn('run_at').execute();
}
