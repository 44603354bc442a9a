// Writes src/platform/db.types.ts — the Kysely table types — from the migrated schema; with --check,
// fails when the committed file is not what the migrations give now (CI and test/unit/db-types.test.ts).
//
// SQLite is the source of the structure: a fresh in-memory database is migrated and read back
// (columns, NOT NULL, defaults, primary keys). PostgreSQL runs the same migrations, but some of them
// declare columns differently there (`bigserial` ids, `boolean` where SQLite gets `integer`), so the
// migrations are also compiled for PostgreSQL without a server (Kysely's DummyDriver) and each column's
// PostgreSQL type is taken from the schema statements. A column is typed so that both engines fit.
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
  type KyselyPlugin,
  type OperationNode,
} from 'kysely';

const root = fileURLToPath(new URL('..', import.meta.url));
const outFile = `${root}src/platform/db.types.ts`;
const migrationsDir = `${root}src/db/migrations/`;
const MANAGED = new Set(['peerdesk_migrations', 'peerdesk_migrations_lock', 'sqlite_sequence']);

interface SqliteColumn {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

/** The structure SQLite ends up with after every migration. */
async function sqliteSchema(): Promise<Map<string, SqliteColumn[]>> {
  const { openDb } = await import('../src/platform/db.ts');
  const { migrateToLatest } = await import('../src/db/migrate.ts');
  const db = await openDb('sqlite::memory:');
  try {
    await migrateToLatest(db);
    const tables = await sql<{
      name: string;
    }>`select name from sqlite_master where type = 'table' order by name`.execute(db);
    const out = new Map<string, SqliteColumn[]>();
    for (const { name } of tables.rows) {
      if (MANAGED.has(name)) continue;
      const cols = await sql<SqliteColumn>`select * from pragma_table_info(${name})`.execute(db);
      out.set(name, cols.rows);
    }
    return out;
  } finally {
    await db.destroy();
  }
}

/** Each column's declared PostgreSQL type, from the migrations compiled for PostgreSQL (no server needed). */
async function postgresTypes(): Promise<Map<string, Map<string, string>>> {
  const tables = new Map<string, Map<string, string>>();
  const name = (n: any): string => n?.table?.identifier?.name ?? n?.column?.name ?? n?.name;
  const typeOf = (dataType: any): string =>
    (dataType?.kind === 'DataTypeNode' ? String(dataType.dataType) : 'raw').toLowerCase();
  const record: KyselyPlugin = {
    transformQuery({ node }) {
      const n = node as any;
      if (n.kind === 'CreateTableNode') {
        tables.set(name(n.table), new Map(n.columns.map((c: any) => [name(c.column), typeOf(c.dataType)])));
      } else if (n.kind === 'DropTableNode') {
        tables.delete(name(n.table));
      } else if (n.kind === 'AlterTableNode') {
        const cols = tables.get(name(n.table));
        for (const a of n.columnAlterations ?? []) {
          if (a.kind === 'AddColumnNode') cols?.set(name(a.column.column), typeOf(a.column.dataType));
          else if (a.kind === 'DropColumnNode') cols?.delete(name(a.column));
          else if (a.kind === 'RenameColumnNode') {
            const t = cols?.get(name(a.column));
            if (t !== undefined) {
              cols!.delete(name(a.column));
              cols!.set(name(a.renameTo), t);
            }
          } else throw new Error(`scripts/db-types.ts does not know the alteration ${a.kind}; teach it`);
        }
        if (n.renameTo && cols) {
          tables.delete(name(n.table));
          tables.set(name(n.renameTo), cols);
        }
      }
      return node as any as OperationNode as any;
    },
    async transformResult({ result }) {
      return result;
    },
  };
  const db = new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    plugins: [record],
  });
  for (const file of readdirSync(migrationsDir)
    .filter((f) => /^\d{4}_[\w-]+\.(ts|js)$/.test(f))
    .sort()) {
    const m = await import(pathToFileURL(migrationsDir + file).href);
    await m.up(db);
  }
  await db.destroy();
  return tables;
}

const pascal = (s: string) => s.replace(/(^|_)([a-z0-9])/g, (_m, _u, c: string) => c.toUpperCase());

/** The TypeScript type of one column, valid for what either engine returns. */
function tsType(table: string, col: SqliteColumn, pgType: string | undefined): string {
  const lite = col.type.toLowerCase();
  if (lite === 'boolean' || pgType === 'boolean') return 'DbBool';
  const numeric = /^(integer|bigint|real|double precision|numeric)$/;
  if (numeric.test(lite)) {
    if (pgType !== undefined && !/^(integer|bigint|bigserial|serial|real|double precision|numeric)$/.test(pgType))
      throw new Error(`${table}.${col.name}: ${lite} on SQLite but ${pgType} on PostgreSQL`);
    return 'number';
  }
  if (lite === 'text') {
    if (pgType !== undefined && pgType !== 'text')
      throw new Error(`${table}.${col.name}: text on SQLite but ${pgType} on PostgreSQL`);
    return 'string';
  }
  throw new Error(
    `${table}.${col.name}: no TypeScript type for the column type ${col.type}; teach scripts/db-types.ts`,
  );
}

async function generate(): Promise<string> {
  const lite = await sqliteSchema();
  const pg = await postgresTypes();
  const problems: string[] = [];
  for (const t of pg.keys()) if (!lite.has(t) && !MANAGED.has(t)) problems.push(`table ${t} exists on PostgreSQL only`);
  const lines: string[] = [
    '// Generated by `npx node scripts/db-types.ts` from the migrated schema (src/db/migrations). Do not edit:',
    '// change a migration and run the script; test/unit/db-types.test.ts fails when this file is stale.',
    "import type { Generated } from 'kysely';",
    '',
    '/** A boolean column: 0/1 on SQLite, true/false on PostgreSQL (normalise reads with `bool()`). */',
    'export type DbBool = boolean | number;',
    '',
  ];
  const names = [...lite.keys()].sort();
  for (const table of names) {
    const cols = lite.get(table)!;
    const pgCols = pg.get(table);
    if (!pgCols) problems.push(`table ${table} exists on SQLite only`);
    for (const c of pgCols?.keys() ?? [])
      if (!cols.some((x) => x.name === c)) problems.push(`${table}.${c} exists on PostgreSQL only`);
    lines.push(`export interface ${pascal(table)}Table {`);
    for (const col of cols) {
      const pgType = pgCols?.get(col.name);
      if (pgCols && pgType === undefined) problems.push(`${table}.${col.name} exists on SQLite only`);
      let type = tsType(table, col, pgType);
      const nullable = col.notnull === 0 && col.pk === 0;
      if (nullable) type += ' | null';
      const auto = col.pk === 1 && (pgType === 'bigserial' || pgType === 'serial');
      if (auto || col.dflt_value !== null) type = `Generated<${type}>`;
      lines.push(`  ${col.name}: ${type};`);
    }
    lines.push('}', '');
  }
  if (problems.length) throw new Error(`the engines' schemas differ:\n  ${problems.join('\n  ')}`);
  lines.push('/** Every table of the migrated schema, for `Kysely<Database>`. */', 'export interface Database {');
  for (const table of names) lines.push(`  ${table}: ${pascal(table)}Table;`);
  lines.push('}', '');
  return lines.join('\n');
}

process.env.PEERDESK_LOG_LEVEL = 'silent';
const text = await generate();
if (process.argv.includes('--check')) {
  if (!existsSync(outFile) || readFileSync(outFile, 'utf8') !== text) {
    console.error('src/platform/db.types.ts is stale — run `npx node scripts/db-types.ts` and commit it');
    process.exit(1);
  }
  console.log('src/platform/db.types.ts is current');
} else {
  writeFileSync(outFile, text);
  console.log(`wrote src/platform/db.types.ts (${text.split('\n').length} lines)`);
}
