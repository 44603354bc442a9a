// Test databases: every repository test runs on SQLite and on PostgreSQL (a fresh database each).
import { randomBytes } from 'node:crypto';
import { openDb, type Db } from '../../src/platform/db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { labRequired } from './lab.ts';

export type Engine = 'sqlite' | 'postgres';

/** The PostgreSQL server tests use (PEERDESK_TEST_POSTGRES_URL), or null with a warning when absent. */
export function postgresUrl(): string | null {
  const url = process.env.PEERDESK_TEST_POSTGRES_URL;
  if (url) return url;
  if (labRequired) throw new Error('PEERDESK_REQUIRE_LAB=1 but PEERDESK_TEST_POSTGRES_URL is not set');
  return null;
}

/** Engines to run database tests on: SQLite always, PostgreSQL when configured. */
export function engines(): Engine[] {
  return postgresUrl() ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestDb {
  db: Db;
  url: string;
  engine: Engine;
  /** Closes the handle and drops the throwaway database. */
  drop(): Promise<void>;
}

/** Creates an empty, migrated database on the given engine. */
export async function createTestDb(engine: Engine, opts: { migrate?: boolean } = {}): Promise<TestDb> {
  const name = `pdtest_${process.pid}_${randomBytes(4).toString('hex')}`;
  let url: string;
  let cleanup = async () => {};
  if (engine === 'sqlite') {
    url = 'sqlite::memory:';
  } else {
    const base = postgresUrl()!;
    const admin = await openDb(base);
    const { sql } = await import('kysely');
    await sql.raw(`create database ${name}`).execute(admin);
    await admin.destroy();
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
    cleanup = async () => {
      const a = await openDb(base);
      await sql.raw(`drop database if exists ${name} with (force)`).execute(a);
      await a.destroy();
    };
  }
  const db = await openDb(url);
  if (opts.migrate !== false) await migrateToLatest(db);
  return {
    db,
    url,
    engine,
    async drop() {
      await db.destroy();
      await cleanup();
    },
  };
}
