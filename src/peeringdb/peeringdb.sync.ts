// PeeringDB sync: fetch a whole run first, then apply every type in ONE transaction, so the mirror
// never shows a half-applied run; bulk multi-row upserts keep a full load within seconds.
import { hostname } from 'node:os';
import { CompiledQuery, sql } from 'kysely';
import type { Selectable } from 'kysely';
import { dialectOf, now, storedEnum, type Db, type Dialect, type Executor } from '../platform/db.ts';
import type { Database, PdbSyncRunsTable } from '../platform/db.types.ts';
import { ConflictError } from '../platform/errors.ts';
import { parseIp } from '../platform/ip.ts';
import type { PeeringDbClient } from './peeringdb.client.ts';
import { columnsOf, PDB_TYPES, rowValues, tableOf, type PdbObject, type PdbType } from './peeringdb.table.ts';

export type SyncMode = 'full' | 'incremental' | 'import';

/** The mirror tables, one per PeeringDB type (`pdb_net`, ...), as the schema names them. */
type MirrorTable = Extract<keyof Database, `pdb_${PdbType}`>;

/** The mirror table of a type, typed by the schema (the same name as peeringdb.table.ts's `tableOf`). */
function mirrorTable(type: PdbType): MirrorTable {
  return `pdb_${type}`;
}

export interface TypeCounts {
  created: number;
  updated: number;
  deleted: number;
  fetched: number;
}

/** A sync run as recorded in pdb_sync_runs. */
export interface SyncRun {
  id: number;
  mode: SyncMode;
  status: 'running' | 'succeeded' | 'failed';
  started_at: string;
  finished_at: string | null;
  counts: Partial<Record<PdbType, TypeCounts>>;
  source: string | null;
  requests: number;
  error: string | null;
  job_id: number | null;
}

export type ProgressFn = (fraction: number, message?: string) => void | Promise<void>;
export type LogFn = (message: string, level?: 'info' | 'warn' | 'error') => void | Promise<void>;

/** What one type contributes to a run: its objects and whether they are the whole set. */
export interface TypeBatch {
  type: PdbType;
  objects: PdbObject[];
  /** True when `objects` is the complete set: mirror rows missing from it are deleted. */
  complete: boolean;
}

export interface ApplyHooks {
  /** Test hook: runs inside the transaction after each type is written (throw to simulate a crash). */
  afterType?: (type: PdbType) => void | Promise<void>;
}

export interface SyncOptions {
  client: PeeringDbClient;
  /** Reload everything even when a previous run left state. */
  full?: boolean;
  /** Restrict the run to some types (default: all ten). */
  types?: PdbType[];
  progress?: ProgressFn;
  log?: LogFn;
  signal?: AbortSignal;
  jobId?: number | null;
  userId?: number | null;
  hooks?: ApplyHooks;
}

const canonicalIp = (s: string) => parseIp(s)?.text ?? s.trim().toLowerCase();

const MODES: readonly SyncMode[] = ['full', 'incremental', 'import'];
const RUN_STATUSES: readonly SyncRun['status'][] = ['running', 'succeeded', 'failed'];

function presentRun(r: Selectable<PdbSyncRunsTable>): SyncRun {
  return {
    id: Number(r.id),
    mode: storedEnum(MODES, r.mode, 'sync mode'),
    status: storedEnum(RUN_STATUSES, r.status, 'sync status'),
    started_at: r.started_at,
    finished_at: r.finished_at ?? null,
    counts: typeof r.counts === 'string' ? JSON.parse(r.counts) : (r.counts ?? {}),
    source: r.source ?? null,
    requests: Number(r.requests ?? 0),
    error: r.error ?? null,
    job_id: r.job_id === null || r.job_id === undefined ? null : Number(r.job_id),
  };
}

/** Reads one sync run. */
export async function getSyncRun(db: Executor, id: number): Promise<SyncRun | null> {
  const r = await db.selectFrom('pdb_sync_runs').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? presentRun(r) : null;
}

/** Lists sync runs, newest first. */
export async function listSyncRuns(
  db: Executor,
  opts: { limit?: number; offset?: number } = {},
): Promise<{ count: number; results: SyncRun[] }> {
  const { count } = await db
    .selectFrom('pdb_sync_runs')
    .select((eb) => eb.fn.countAll().as('count'))
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('pdb_sync_runs')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(opts.limit ?? 50)
    .offset(opts.offset ?? 0)
    .execute();
  return { count: Number(count), results: rows.map(presentRun) };
}

/** Per-type mirror state: last `updated` seen, when synced, and how many rows the mirror holds. */
export async function mirrorStatus(db: Executor): Promise<{
  types: Record<string, { count: number; last_updated: string | null; last_sync_at: string | null }>;
  last_run: SyncRun | null;
  last_success: SyncRun | null;
}> {
  const state = new Map((await db.selectFrom('pdb_state').selectAll().execute()).map((r) => [r.type, r]));
  const types: Record<string, { count: number; last_updated: string | null; last_sync_at: string | null }> = {};
  for (const t of PDB_TYPES) {
    const { n } = await db
      .selectFrom(mirrorTable(t))
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const s = state.get(t);
    types[t] = { count: Number(n), last_updated: s?.last_updated ?? null, last_sync_at: s?.last_sync_at ?? null };
  }
  const last = await db.selectFrom('pdb_sync_runs').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
  const ok = await db
    .selectFrom('pdb_sync_runs')
    .selectAll()
    .where('status', '=', 'succeeded')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return { types, last_run: last ? presentRun(last) : null, last_success: ok ? presentRun(ok) : null };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Opens a run record (visible at once, outside the data transaction); closes runs whose process died. */
export async function startRun(
  db: Executor,
  mode: SyncMode,
  source: string | null,
  jobId: number | null = null,
  userId: number | null = null,
): Promise<number> {
  // A run still "running" whose process is gone (or that is hours old) died before committing:
  // its transaction never landed, so the mirror is intact and only the record needs closing.
  const host = hostname();
  const stale = new Date(Date.now() - 6 * 3600_000).toISOString();
  for (const r of await db
    .selectFrom('pdb_sync_runs')
    .select(['id', 'host', 'pid', 'started_at'])
    .where('status', '=', 'running')
    .execute()) {
    const dead =
      (r.host === host && r.pid && Number(r.pid) !== process.pid && !processAlive(Number(r.pid))) ||
      r.started_at < stale;
    if (!dead) continue;
    await db
      .updateTable('pdb_sync_runs')
      .set({
        status: 'failed',
        finished_at: now(),
        error: 'interrupted: the process stopped before the run finished; the mirror kept its previous state',
      })
      .where('id', '=', r.id)
      .where('status', '=', 'running')
      .execute();
  }
  const row = await db
    .insertInto('pdb_sync_runs')
    .values({
      mode,
      status: 'running',
      started_at: now(),
      counts: '{}',
      source,
      requests: 0,
      job_id: jobId,
      created_by: userId,
      host,
      pid: process.pid,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

async function finishRun(
  db: Db,
  id: number,
  patch: { status: 'succeeded' | 'failed'; counts?: object; error?: string | null; requests?: number; mode?: SyncMode },
): Promise<SyncRun> {
  await db
    .updateTable('pdb_sync_runs')
    .set({
      status: patch.status,
      finished_at: now(),
      ...(patch.counts ? { counts: JSON.stringify(patch.counts) } : {}),
      ...(patch.mode ? { mode: patch.mode } : {}),
      error: patch.error ?? null,
      ...(patch.requests !== undefined ? { requests: patch.requests } : {}),
    })
    .where('id', '=', id)
    .execute();
  return (await getSyncRun(db, id))!;
}

function placeholders(dialect: Dialect, rows: number, cols: number): string {
  const parts: string[] = [];
  let n = 1;
  for (let r = 0; r < rows; r++) {
    const p: string[] = [];
    for (let c = 0; c < cols; c++) p.push(dialect === 'postgres' ? `$${n++}` : '?');
    parts.push(`(${p.join(',')})`);
  }
  return parts.join(',');
}

/** Multi-row `insert … on conflict (id) do update` in chunks sized to each engine's parameter limit. */
async function bulkUpsert(trx: Executor, dialect: Dialect, type: PdbType, objects: PdbObject[]): Promise<void> {
  if (!objects.length) return;
  const cols = columnsOf(type);
  const per = Math.max(
    1,
    Math.min(dialect === 'postgres' ? 2000 : 1000, Math.floor((dialect === 'postgres' ? 60000 : 30000) / cols.length)),
  );
  const update = cols
    .filter((c) => c !== 'id')
    .map((c) => `"${c}" = excluded."${c}"`)
    .join(', ');
  const head = `insert into "${tableOf(type)}" (${cols.map((c) => `"${c}"`).join(', ')}) values `;
  const tail = ` on conflict ("id") do update set ${update}`;
  let fullSql = '';
  for (let i = 0; i < objects.length; i += per) {
    const chunk = objects.slice(i, i + per);
    const params: unknown[] = [];
    for (const o of chunk) for (const v of rowValues(type, o, dialect, canonicalIp)) params.push(v);
    const text =
      chunk.length === per && fullSql ? fullSql : head + placeholders(dialect, chunk.length, cols.length) + tail;
    if (chunk.length === per) fullSql = text;
    await trx.executeQuery(CompiledQuery.raw(text, params));
  }
}

async function bulkDelete(trx: Executor, type: PdbType, ids: number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 5000) {
    await trx
      .deleteFrom(mirrorTable(type))
      .where('id', 'in', ids.slice(i, i + 5000))
      .execute();
  }
}

async function existingUpdated(
  trx: Executor,
  type: PdbType,
  ids: number[] | null,
): Promise<Map<number, string | null>> {
  const out = new Map<number, string | null>();
  if (ids === null) {
    for (const r of await trx.selectFrom(mirrorTable(type)).select(['id', 'updated']).execute())
      out.set(Number(r.id), r.updated);
    return out;
  }
  for (let i = 0; i < ids.length; i += 5000) {
    const rows = await trx
      .selectFrom(mirrorTable(type))
      .select(['id', 'updated'])
      .where('id', 'in', ids.slice(i, i + 5000))
      .execute();
    for (const r of rows) out.set(Number(r.id), r.updated);
  }
  return out;
}

function maxUpdated(objects: PdbObject[]): string | null {
  let max: string | null = null;
  for (const o of objects)
    if (typeof o.updated === 'string' && (max === null || Date.parse(o.updated) > Date.parse(max))) max = o.updated;
  return max;
}

/**
 * Applies batches to the mirror in one transaction and records per-type state; returns counts.
 * Objects with a status other than `ok` (deleted, pending) leave the mirror. Consumes the batches
 * (their object lists are emptied as they are written).
 */
export async function applyBatches(
  db: Db,
  batches: TypeBatch[],
  opts: { runId: number; hooks?: ApplyHooks; progress?: ProgressFn; signal?: AbortSignal },
): Promise<Partial<Record<PdbType, TypeCounts>>> {
  const dialect = dialectOf(db);
  const counts: Partial<Record<PdbType, TypeCounts>> = {};
  const stamp = now();
  await db.transaction().execute(async (trx) => {
    // Two Peerdesk processes on one PostgreSQL must not interleave their runs.
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(4242001)`.execute(trx);
    let done = 0;
    for (const batch of batches) {
      opts.signal?.throwIfAborted();
      const { type } = batch;
      // The same object can appear twice when it changed while we paged: the last copy wins.
      const byId = new Map<number, PdbObject>();
      for (const o of batch.objects) if (Number.isInteger(o?.id)) byId.set(o.id, o);
      const existing = await existingUpdated(trx, type, batch.complete ? null : [...byId.keys()]);
      const write: PdbObject[] = [];
      const remove: number[] = [];
      const c: TypeCounts = { created: 0, updated: 0, deleted: 0, fetched: batch.objects.length };
      for (const [id, o] of byId) {
        const had = existing.has(id);
        if ((o.status ?? 'ok') !== 'ok') {
          if (had) {
            remove.push(id);
            c.deleted++;
          }
          continue;
        }
        if (!had) {
          c.created++;
          write.push(o);
        } else if (existing.get(id) !== (o.updated ?? null)) {
          c.updated++;
          write.push(o);
        }
      }
      if (batch.complete) {
        for (const id of existing.keys()) {
          const o = byId.get(id);
          if (!o) {
            remove.push(id);
            c.deleted++;
          }
        }
      }
      const last = maxUpdated(batch.objects);
      // The batch is consumed: dropping its objects as each type is written keeps the peak memory
      // of a full load near one type's worth instead of the whole data set.
      batch.objects.length = 0;
      byId.clear();
      await bulkDelete(trx, type, remove);
      await bulkUpsert(trx, dialect, type, write);
      write.length = 0;
      const prev = await trx.selectFrom('pdb_state').select('last_updated').where('type', '=', type).executeTakeFirst();
      const keep =
        prev?.last_updated && (!last || Date.parse(prev.last_updated) > Date.parse(last)) && !batch.complete
          ? prev.last_updated
          : (last ?? prev?.last_updated ?? null);
      if (prev) {
        await trx
          .updateTable('pdb_state')
          .set({ last_updated: keep, last_sync_at: stamp, last_run_id: opts.runId })
          .where('type', '=', type)
          .execute();
      } else {
        await trx
          .insertInto('pdb_state')
          .values({ type, last_updated: keep, last_sync_at: stamp, last_run_id: opts.runId })
          .execute();
      }
      counts[type] = c;
      await opts.hooks?.afterType?.(type);
      done++;
      await opts.progress?.(done / batches.length, `applied ${type}: +${c.created} ~${c.updated} -${c.deleted}`);
    }
  });
  return counts;
}

/** Last `updated` per type from previous runs. */
async function readState(db: Executor): Promise<Map<string, string | null>> {
  return new Map(
    (await db.selectFrom('pdb_state').select(['type', 'last_updated']).execute()).map((r) => [r.type, r.last_updated]),
  );
}

function describe(counts: Partial<Record<PdbType, TypeCounts>>): string {
  return Object.entries(counts)
    .map(([t, c]) => `${t} +${c!.created} ~${c!.updated} -${c!.deleted}`)
    .join(', ');
}

/**
 * Runs a PeeringDB sync over HTTP: a full load the first time (or with `full`), then per type
 * `?since=<last updated − 1 s>`. Returns the finished run record; throws after recording a failure.
 */
export async function syncPeeringDb(db: Db, opts: SyncOptions): Promise<SyncRun> {
  const types = opts.types ?? [...PDB_TYPES];
  const state = await readState(db);
  const fullTypes = new Set(types.filter((t) => opts.full || !state.get(t)));
  const mode: SyncMode = fullTypes.size === types.length ? 'full' : 'incremental';
  const runId = await startRun(db, mode, opts.client.baseUrl, opts.jobId ?? null, opts.userId ?? null);
  const log = async (m: string, level?: 'info' | 'warn' | 'error') => {
    await opts.log?.(m, level);
  };
  const requestsBefore = opts.client.requests;
  try {
    await log(`PeeringDB ${mode} sync from ${opts.client.baseUrl} (run ${runId})`);
    const batches: TypeBatch[] = [];
    let i = 0;
    for (const type of types) {
      opts.signal?.throwIfAborted();
      const full = fullTypes.has(type);
      const last = state.get(type);
      // One second back: PeeringDB's `updated` has second resolution and `since` may be exclusive.
      const since = full || !last ? undefined : Math.floor(Date.parse(last) / 1000) - 1;
      const objects: PdbObject[] = [];
      for await (const page of opts.client.pages(type, { since, signal: opts.signal })) {
        for (const o of page) objects.push(o);
        await opts.progress?.(((i + 0.5) / types.length) * 0.8, `fetching ${type}: ${objects.length}`);
      }
      batches.push({ type, objects, complete: full });
      i++;
      await log(
        `fetched ${objects.length} ${type}${since !== undefined ? ` updated since ${new Date(since * 1000).toISOString()}` : ''}`,
      );
      await opts.progress?.((i / types.length) * 0.8, `fetched ${type}`);
    }
    const counts = await applyBatches(db, batches, {
      runId,
      hooks: opts.hooks,
      signal: opts.signal,
      progress: (f, m) => opts.progress?.(0.8 + f * 0.2, m),
    });
    await log(`applied: ${describe(counts)}`);
    return await finishRun(db, runId, { status: 'succeeded', counts, requests: opts.client.requests - requestsBefore });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await log(`sync failed: ${message}`, 'error');
    await finishRun(db, runId, {
      status: 'failed',
      error: message,
      requests: opts.client.requests - requestsBefore,
    }).catch(() => {});
    throw e;
  }
}

/** Applies already-loaded objects (an offline import) as one atomic run of mode `import`. */
export async function importBatches(
  db: Db,
  batches: TypeBatch[],
  opts: {
    source: string;
    progress?: ProgressFn;
    log?: LogFn;
    jobId?: number | null;
    userId?: number | null;
    hooks?: ApplyHooks;
  },
): Promise<SyncRun> {
  if (!batches.length)
    throw new ConflictError(
      'nothing to import: no PeeringDB object types found in the source',
      [],
      'peeringdb_empty_import',
    );
  const runId = await startRun(db, 'import', opts.source, opts.jobId ?? null, opts.userId ?? null);
  try {
    const order = new Map(PDB_TYPES.map((t, i) => [t, i]));
    batches.sort((a, b) => order.get(a.type)! - order.get(b.type)!);
    const counts = await applyBatches(db, batches, { runId, hooks: opts.hooks, progress: opts.progress });
    await opts.log?.(`imported from ${opts.source}: ${describe(counts)}`);
    return await finishRun(db, runId, { status: 'succeeded', counts });
  } catch (e) {
    await finishRun(db, runId, { status: 'failed', error: e instanceof Error ? e.message : String(e) }).catch(() => {});
    throw e;
  }
}
