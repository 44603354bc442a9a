// Test databases: every repository test runs on SQLite and on PostgreSQL (a fresh database each).
//
// Migrating a database costs far more than copying one, so each worker builds a migrated template once
// per engine (and per seed: startTestApp's template also holds its users and tokens) and every test
// database is a copy of it: SQLite replays the template's schema and rows into a new in-memory database,
// PostgreSQL creates the database from the template (`CREATE DATABASE … TEMPLATE …`).
//
// This file is also the suite's globalSetup (vitest.config.ts): `setup` names the run, the workers name
// their PostgreSQL templates after it, and `teardown` drops exactly this run's templates.
import { dynamic } from '../../src/platform/db.ts';
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { inject } from 'vitest';
import { openDb, type Db } from '../../src/platform/db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { nextCronRun } from '../../src/jobs/jobs.service.ts';
import { labRequired } from './lab.ts';

export type Engine = 'sqlite' | 'postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's name: its PostgreSQL templates are pdtpl_RUN_…. */
    pdTestRun: string;
  }
}

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

/** Creates an empty, migrated database on the given engine (an unmigrated one with migrate: false). */
export async function createTestDb(engine: Engine, opts: { migrate?: boolean } = {}): Promise<TestDb> {
  if (opts.migrate === false) return engine === 'sqlite' ? newSqliteDb() : newPgDb(postgresUrl()!);
  return (await seededTestDb(engine, 'migrated', async () => undefined)).tdb;
}

/**
 * A fresh migrated database holding what `seed` wrote, and what `seed` returned. `seed` runs on the
 * template, once per worker, engine and key, so it must write the same thing on every call with that key;
 * it returns what tests need that the database cannot give back (e.g. clear API token keys).
 */
export async function seededTestDb<T>(
  engine: Engine,
  key: string,
  seed: (db: Db) => Promise<T>,
): Promise<{ tdb: TestDb; seeded: T }> {
  const id = `${engine}:${key}`;
  let template = templates.get(id) as Promise<Template<T>> | undefined;
  if (!template) {
    template = engine === 'sqlite' ? sqliteTemplate(seed) : pgTemplate(key, seed);
    templates.set(id, template);
    template.catch(() => templates.delete(id));
  }
  const copy = await (await template).copy();
  await asIfMigratedNow(copy.tdb.db);
  return copy;
}

/**
 * Migrations stamp what they seed with the time they ran: the schedules' next runs (the next cron time,
 * or a delay from then). A copy of an older template gets them as if it had been migrated now, so no
 * schedule falls due early in a test that runs the scheduler.
 */
async function asIfMigratedNow(db: Db): Promise<void> {
  const now = new Date();
  const rows = await db.selectFrom('schedules').select(['id', 'cron', 'next_run_at', 'created_at']).execute();
  for (const r of rows) {
    const made = new Date(r.created_at);
    let next: Date | null = null;
    if (r.next_run_at) {
      const was = new Date(r.next_run_at).getTime();
      next =
        nextCronRun(r.cron, made).getTime() === was
          ? nextCronRun(r.cron, now)
          : new Date(now.getTime() + (was - made.getTime()));
    }
    const stamp = now.toISOString();
    await db
      .updateTable('schedules')
      .set({ next_run_at: next?.toISOString() ?? null, created_at: stamp, updated_at: stamp })
      .where('id', '=', r.id)
      .execute();
  }
}

interface Template<T> {
  copy(): Promise<{ tdb: TestDb; seeded: T }>;
}

const templates = new Map<string, Promise<Template<unknown>>>();

async function newSqliteDb(): Promise<TestDb> {
  const db = await openDb('sqlite::memory:');
  return { db, url: 'sqlite::memory:', engine: 'sqlite', drop: () => db.destroy() };
}

// --- SQLite: the template kept as statements and rows, replayed into each new in-memory database ------

interface SqliteDump {
  /** CREATE TABLE statements in creation order. */
  tables: string[];
  /** Rows per table; sqlite_sequence comes last (inserting explicit ids moves it). */
  rows: { table: string; rows: Record<string, unknown>[] }[];
  /** Indexes, triggers and views, created after the rows (no trigger fires while copying). */
  rest: string[];
}

async function sqliteTemplate<T>(seed: (db: Db) => Promise<T>): Promise<Template<T>> {
  const { db } = await newSqliteDb();
  let seeded: T;
  let dump: SqliteDump;
  try {
    await migrateToLatest(db);
    seeded = await seed(db);
    dump = await dumpSqlite(db);
  } finally {
    await db.destroy();
  }
  return {
    async copy() {
      const tdb = await newSqliteDb();
      await restoreSqlite(tdb.db, dump);
      return { tdb, seeded };
    },
  };
}

async function dumpSqlite(db: Db): Promise<SqliteDump> {
  const objects = (
    await sql<{
      type: string;
      name: string;
      sql: string;
    }>`select type, name, sql from sqlite_master where sql is not null order by rowid`.execute(db)
  ).rows;
  const dump: SqliteDump = { tables: [], rows: [], rest: [] };
  const tables: string[] = [];
  for (const o of objects) {
    if (o.type === 'table') {
      tables.push(o.name);
      if (!o.name.startsWith('sqlite_')) dump.tables.push(o.sql); // sqlite_sequence is SQLite's own
    } else if (!o.name.startsWith('sqlite_')) {
      dump.rest.push(o.sql);
    }
  }
  tables.sort((a, b) => Number(a === 'sqlite_sequence') - Number(b === 'sqlite_sequence'));
  for (const table of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows;
    if (rows.length) dump.rows.push({ table, rows });
  }
  return dump;
}

async function restoreSqlite(db: Db, dump: SqliteDump): Promise<void> {
  // Rows go in table by table, so references are checked only once everything is there.
  await sql`pragma foreign_keys = off`.execute(db);
  await db.transaction().execute(async (trx) => {
    for (const s of dump.tables) await sql.raw(s).execute(trx);
    for (const { table, rows } of dump.rows) {
      if (table === 'sqlite_sequence') await sql`delete from sqlite_sequence`.execute(trx);
      for (let i = 0; i < rows.length; i += 100)
        await dynamic(trx)
          .insertInto(table)
          .values(rows.slice(i, i + 100))
          .execute();
    }
    for (const s of dump.rest) await sql.raw(s).execute(trx);
    const broken = (await sql`pragma foreign_key_check`.execute(trx)).rows;
    if (broken.length) throw new Error(`test database copy breaks foreign keys: ${JSON.stringify(broken)}`);
  });
  await sql`pragma foreign_keys = on`.execute(db);
}

// --- PostgreSQL: a template database per worker, copied by CREATE DATABASE … TEMPLATE ----------------

async function pgTemplate<T>(key: string, seed: (db: Db) => Promise<T>): Promise<Template<T>> {
  const base = postgresUrl()!;
  const run = runName();
  if (!run) {
    // No run to drop a template afterwards (no globalSetup): migrate and seed every database.
    return {
      async copy() {
        const tdb = await newPgDb(base);
        await migrateToLatest(tdb.db);
        return { tdb, seeded: await seed(tdb.db) };
      },
    };
  }
  const name = `pdtpl_${run}_${process.pid}_${threadId}_${key.replace(/\W/g, '_')}`.slice(0, 63);
  await sql.raw(`create database ${name}`).execute(admin(base));
  const db = await openDb(pgUrl(base, name));
  let seeded: T;
  try {
    await migrateToLatest(db);
    seeded = await seed(db);
  } finally {
    await db.destroy(); // a template is copied only while nobody is connected to it
  }
  return { copy: async () => ({ tdb: await newPgDb(base, name), seeded }) };
}

/** A new PostgreSQL database, empty or a copy of `template`. */
async function newPgDb(base: string, template?: string): Promise<TestDb> {
  const name = `pdtest_${process.pid}_${randomBytes(4).toString('hex')}`;
  await sql.raw(`create database ${name}${template ? ` template ${template}` : ''}`).execute(admin(base));
  const url = pgUrl(base, name);
  const db = await openDb(url);
  return {
    db,
    url,
    engine: 'postgres',
    async drop() {
      await db.destroy();
      await sql.raw(`drop database if exists ${name} with (force)`).execute(admin(base));
    },
  };
}

function pgUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

// CREATE and DROP DATABASE go through one small pool per worker, which lets the process exit when idle.
let adminDb: { base: string; db: Db } | null = null;
function admin(base: string): Db {
  if (adminDb?.base !== base) adminDb = { base, db: adminPool(base) };
  return adminDb.db;
}

function adminPool(base: string): Db {
  const pool = async () => {
    const pg = (await import('pg')).default;
    const p = new pg.Pool({ connectionString: base, max: 2, idleTimeoutMillis: 2_000, allowExitOnIdle: true });
    p.on('error', () => {
      /* idle client errors surface on the next query */
    });
    return p;
  };
  return new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
}

function runName(): string | null {
  try {
    return inject('pdTestRun') || null;
  } catch {
    return null;
  }
}

// --- globalSetup ---------------------------------------------------------------------------------------

/** Names the run (the workers name their PostgreSQL templates after it); the teardown drops its templates. */
export function setup(project: { provide(key: 'pdTestRun', value: string): void }): () => Promise<void> {
  const run = randomBytes(4).toString('hex');
  project.provide('pdTestRun', run);
  return async () => {
    const base = process.env.PEERDESK_TEST_POSTGRES_URL;
    if (!base) return;
    const db = adminPool(base);
    try {
      const names = (
        await sql<{
          datname: string;
        }>`select datname from pg_database where datname like ${`pdtpl\\_${run}\\_%`}`.execute(db)
      ).rows;
      for (const { datname } of names) await sql.raw(`drop database if exists ${datname} with (force)`).execute(db);
    } finally {
      await db.destroy();
    }
  };
}
