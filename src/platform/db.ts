// Database access: one Kysely instance over better-sqlite3 (embedded default) or pg (production).
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import { DataGeneration, writeTracker } from './generation.ts';

/** The application database handle; tables are described per domain, so it is typed loosely here. */
export type Db = Kysely<any>;
/** A database handle or an open transaction: repositories accept either. */
export type Executor = Kysely<any> | Transaction<any>;

export type Dialect = 'sqlite' | 'postgres';

const dialects = new WeakMap<object, Dialect>();
const generations = new WeakMap<object, DataGeneration>();

/** The data generation of a handle (see generation.ts); caches key their entries by it. */
export function generationOf(db: Db): DataGeneration | undefined {
  return generations.get(db);
}

/** Which engine a handle talks to (transactions inherit it from their parent). */
export function dialectOf(db: Executor): Dialect {
  const d = dialects.get(db) ?? dialects.get((db as any).getExecutor?.().adapter ?? {});
  if (d) return d;
  const adapter = (db as any).getExecutor().adapter;
  return adapter.constructor.name.toLowerCase().includes('postgres') ? 'postgres' : 'sqlite';
}

let pgTypesConfigured = false;

/** Opens the database named by a `sqlite:PATH` or `postgres://` URL. */
export async function openDb(url: string): Promise<Db> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pg = (await import('pg')).default;
    if (!pgTypesConfigured) {
      // int8 (COUNT, bigint ASNs) and numeric fit JS numbers for everything Peerdesk stores.
      pg.types.setTypeParser(20, (v: string) => Number(v));
      pg.types.setTypeParser(1700, (v: string) => Number(v));
      pgTypesConfigured = true;
    }
    const pool = new pg.Pool({ connectionString: url, max: Number(process.env.PEERDESK_DB_POOL ?? 10) });
    pool.on('error', () => {
      /* idle client errors surface on the next query */
    });
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    dialects.set(db, 'postgres');
    const gen = new DataGeneration();
    generations.set(db, gen);
    listenForWrites(pool, gen);
    const destroy = db.destroy.bind(db);
    (db as any).destroy = async () => {
      gen.setListening(false);
      await (gen as any).listener?.end?.().catch(() => {});
      await destroy();
    };
    return db;
  }
  if (!url.startsWith('sqlite:')) throw new Error(`unsupported database URL: ${url}`);
  const file = url.slice('sqlite:'.length) || ':memory:';
  const Database = (await import('better-sqlite3')).default;
  if (file !== ':memory:') createPrivateFile(file);
  const conn = new Database(file);
  conn.pragma('journal_mode = WAL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('busy_timeout = 5000');
  conn.pragma('synchronous = NORMAL');
  const gen = new DataGeneration();
  gen.useDataVersion(() => conn.pragma('data_version', { simple: true }) as number);
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: withBooleanParams(conn) }), plugins: [writeTracker(gen)] });
  dialects.set(db, 'sqlite');
  generations.set(db, gen);
  return db;
}

/**
 * Creates the SQLite file (and its directory) readable by the owner only before SQLite opens it:
 * SQLite gives the -wal and -shm files the database file's mode. An existing file is narrowed to 0600.
 */
function createPrivateFile(file: string): void {
  if (file.startsWith('file:')) return;
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const p of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(p).mode & 0o077) !== 0) chmodSync(p, 0o600);
    } catch {
      /* absent, or not ours to change */
    }
  }
}

/** Case-insensitive "contains" that behaves the same on both engines. */
export function icontains(column: string, needle: string) {
  const escaped = needle.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql<boolean>`lower(cast(${sql.ref(column)} as text)) like ${'%' + escaped + '%'} escape '\\'`;
}

/** Current time as the ISO-8601 UTC text every timestamp column stores. */
export function now(): string {
  return new Date().toISOString();
}

/** Whether a thrown database error is a unique-constraint violation (both engines). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Whether a thrown database error is a foreign-key violation (both engines). */
export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** SQLite has no boolean type and better-sqlite3 refuses JS booleans: bind them as 1/0. */
function withBooleanParams(conn: any): any {
  const fix = (params: unknown[]) => params.map((p) => (p === true ? 1 : p === false ? 0 : p));
  const wrapStatement = (stmt: any) =>
    new Proxy(stmt, {
      get(target, prop) {
        const v = target[prop];
        if (prop === 'all' || prop === 'run' || prop === 'get' || prop === 'iterate') return (...args: unknown[]) => v.apply(target, args.map((a) => (Array.isArray(a) ? fix(a) : fix([a])[0])));
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return new Proxy(conn, {
    get(target, prop) {
      const v = target[prop];
      if (prop === 'prepare') return (text: string) => wrapStatement(v.call(target, text));
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** Keeps one LISTEN connection open; each NOTIFY from the write triggers bumps the generation. */
function listenForWrites(pool: any, gen: DataGeneration): void {
  let stopped = false;
  const connect = async () => {
    if (stopped) return;
    let client: any;
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        client?.release(true);
      }
    };
    try {
      client = await pool.connect();
      (gen as any).listener = {
        end: async () => {
          stopped = true;
          release();
        },
      };
      client.on('notification', () => gen.bump());
      client.on('error', () => {
        gen.setListening(false);
        release();
        if (!stopped) setTimeout(connect, 1000).unref();
      });
      await client.query('LISTEN peerdesk_write');
      gen.setListening(true);
    } catch {
      gen.setListening(false);
      release();
      if (!stopped) setTimeout(connect, 1000).unref();
    }
  };
  void connect();
}
