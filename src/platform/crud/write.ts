// Part of the shared REST machinery (see ../crud.ts): create, update and delete with invariants, optimistic locking and the change log.
import type { Executor } from '../db.ts';
import { dialectOf, dynamic, isForeignKeyViolation, isUniqueViolation, now } from '../db.ts';
import { ConflictError, DomainError, PreconditionFailedError, ValidationError } from '../errors.ts';
import type { SecretBox } from '../crypto.ts';
import { recordChange } from '../change-log.ts';
import { loadRow } from './list.ts';
import type { Resource, Row, WriteContext } from './types.ts';

/** The 400 of a reference (input `field`) to a row of `table` that does not exist. */
export function missingReference(field: string, table: string, id: number): ValidationError {
  return new ValidationError(field, `no ${table.replace(/_/g, ' ').replace(/s$/, '')} with id ${id}`);
}

/** Asserts a referenced row exists, naming the input field when not. */
export async function assertExists(
  db: Executor,
  table: string,
  id: number | null | undefined,
  field: string,
): Promise<Row | null> {
  if (id === null || id === undefined) return null;
  const row = await dynamic(db).selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw missingReference(field, table, id);
  return row;
}

/** Refuses a duplicate on a unique column with a 409 naming the field. */
export async function assertUnique(
  db: Executor,
  table: string,
  column: string,
  value: unknown,
  exceptId: number | null,
  field = column,
): Promise<void> {
  if (value === null || value === undefined) return;
  let q = dynamic(db).selectFrom(table).select('id').where(column, '=', value);
  if (exceptId !== null) q = q.where('id', '!=', exceptId);
  if (await q.executeTakeFirst())
    throw new ConflictError(`${field} ${JSON.stringify(value)} is already in use`, [
      { field, message: 'already in use' },
    ]);
}

/** ETag of a stored row: its id and version. */
export function etagOf(row: Row): string {
  return `"${row.id}.${row.version ?? 1}"`;
}

/** The version an If-Match header asks for: null when absent or `*`, -1 when it names another object. */
export function versionFromIfMatch(header: string | undefined, id: number): number | null {
  if (!header || header === '*') return null;
  const m = /"(\d+)\.(\d+)"/.exec(header);
  if (!m || Number(m[1]) !== id) return -1;
  return Number(m[2]);
}

function actorOf(ctx: WriteContext) {
  return {
    userId: ctx.principal?.userId ?? null,
    username: ctx.principal?.username ?? null,
    requestId: ctx.requestId ?? null,
  };
}

async function wrapDbErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    if (isUniqueViolation(err)) throw new ConflictError('an object with the same unique values already exists');
    if (isForeignKeyViolation(err))
      throw new ConflictError('the write would break a reference between objects', [], 'reference_conflict');
    throw err;
  }
}

const presentPlain = <R extends Row, In extends Row>(res: Resource<R, In>, row: R, secrets: SecretBox) =>
  res.present(row, { includeSecrets: false, secrets });

/** Creates one object inside an open transaction; returns its stored row. */
export async function createOne<R extends Row, In extends Row>(
  res: Resource<R, In>,
  ctx: WriteContext,
  input: Partial<In>,
): Promise<R> {
  const values = await res.prepare(input, ctx, null);
  const t = now();
  const inserted = await wrapDbErrors(() =>
    dynamic(ctx.db)
      .insertInto(res.table)
      .values({ ...values, created_at: t, updated_at: t, version: 1 })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  const id = Number(inserted.id);
  if (res.afterWrite) await res.afterWrite(id, input, ctx, null);
  const row = await loadRow(res, ctx.db, id);
  await recordChange(ctx.db, actorOf(ctx), {
    action: 'create',
    objectType: res.objectType,
    objectId: id,
    repr: res.repr(row),
    after: presentPlain(res, row, ctx.secrets),
  });
  return row;
}

/**
 * Serialises writers of one row for the rest of the transaction. On PostgreSQL (read committed)
 * two writers could otherwise read the same version and the later compare-and-set would fail with
 * a 412 although neither sent If-Match; SQLite transactions are serialised already.
 */
async function lockRow<R extends Row, In extends Row>(res: Resource<R, In>, db: Executor, id: number): Promise<void> {
  if (dialectOf(db) === 'postgres')
    await dynamic(db).selectFrom(res.table).select('id').where('id', '=', id).forUpdate().execute();
}

/** Updates one object (full or partial input), checking the expected version when given (412 only then). */
export async function updateOne<R extends Row, In extends Row>(
  res: Resource<R, In>,
  ctx: WriteContext,
  id: number,
  input: Partial<In>,
  expectedVersion: number | null,
): Promise<R> {
  await lockRow(res, ctx.db, id);
  const existing = await loadRow(res, ctx.db, id);
  if (expectedVersion !== null && expectedVersion !== Number(existing.version)) throw new PreconditionFailedError();
  const values = await res.prepare(input, ctx, existing);
  const version = Number(existing.version);
  const result = await wrapDbErrors(() =>
    dynamic(ctx.db)
      .updateTable(res.table)
      .set({ ...values, updated_at: now(), version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst(),
  );
  // Two writers that read the same version: only one update matches it.
  if (Number(result.numUpdatedRows) === 0) throw new PreconditionFailedError();
  if (res.afterWrite) await res.afterWrite(id, input, ctx, existing);
  const row = await loadRow(res, ctx.db, id);
  await recordChange(ctx.db, actorOf(ctx), {
    action: 'update',
    objectType: res.objectType,
    objectId: id,
    repr: res.repr(row),
    before: presentPlain(res, existing, ctx.secrets),
    after: presentPlain(res, row, ctx.secrets),
  });
  return row;
}

/** Deletes one object, after the resource's protection checks. */
export async function deleteOne<R extends Row, In extends Row>(
  res: Resource<R, In>,
  ctx: WriteContext,
  id: number,
  expectedVersion: number | null,
): Promise<void> {
  await lockRow(res, ctx.db, id);
  const existing = await loadRow(res, ctx.db, id);
  if (expectedVersion !== null && expectedVersion !== Number(existing.version)) throw new PreconditionFailedError();
  if (res.beforeDelete) await res.beforeDelete(existing, ctx);
  await wrapDbErrors(() => dynamic(ctx.db).deleteFrom(res.table).where('id', '=', id).execute());
  await recordChange(ctx.db, actorOf(ctx), {
    action: 'delete',
    objectType: res.objectType,
    objectId: id,
    repr: res.repr(existing),
    before: presentPlain(res, existing, ctx.secrets),
  });
}
