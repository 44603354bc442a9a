// Deleting an object that others point at: refuse with the count (409) unless the request names a
// replacement, to which every reference is moved first. Used by every resource whose rows are
// referenced through nullable foreign keys (which would otherwise be silently nulled by the database).
import { dynamic, now } from '../platform/db.ts';
import type { Row, WriteContext } from '../platform/crud.ts';
import { ConflictError, ValidationError } from '../platform/errors.ts';
import { recordChange } from '../changes/changes.service.ts';

/** One foreign key that points at the protected table. */
export interface Reference {
  table: string;
  column: string;
  /** Plural noun for the message, e.g. "peering sessions". */
  label: string;
  /** Singular noun, e.g. "peering session". */
  one: string;
  /** Change-log object type of the referencing rows (only for tables with a version column). */
  objectType?: string;
}

/** A write context that may carry the delete request's `replace_with` (see the report on crud.ts). */
export type DeleteContext = WriteContext & { replaceWith?: number | null };

/** The replacement id a delete request named, if any. */
export function replacementOf(ctx: WriteContext): number | null {
  const v = (ctx as DeleteContext).replaceWith;
  return v === undefined || v === null ? null : Number(v);
}

/** Counts the references to one row, per reference. */
export async function countReferences(
  ctx: WriteContext,
  id: number,
  refs: Reference[],
): Promise<{ ref: Reference; count: number }[]> {
  const out: { ref: Reference; count: number }[] = [];
  for (const ref of refs) {
    const r = await dynamic(ctx.db)
      .selectFrom(ref.table)
      .select((eb) => eb.fn.countAll().as('c'))
      .where(ref.column, '=', id)
      .executeTakeFirst();
    out.push({ ref, count: Number(r?.c ?? 0) });
  }
  return out;
}

/**
 * Refuses to delete `row` of `table` while it is referenced (409 naming the counts), or, when the
 * request names a replacement of the same kind, moves every reference to it first.
 */
export async function protectOrReplace(
  ctx: WriteContext,
  what: { table: string; noun: string; row: Row },
  refs: Reference[],
): Promise<void> {
  const id = Number(what.row.id);
  const counts = (await countReferences(ctx, id, refs)).filter((c) => c.count > 0);
  if (!counts.length) return;
  const summary = counts.map((c) => `${c.count} ${c.count === 1 ? c.ref.one : c.ref.label}`).join(', ');
  const replaceWith = replacementOf(ctx);
  if (replaceWith === null) {
    throw new ConflictError(
      `${what.noun} ${what.row.name ?? id} is used by ${summary}; name a replacement (replace_with=ID) to move them to another ${what.noun}, or change them first`,
      counts.map((c) => ({
        field: `${c.ref.table}.${c.ref.column}`,
        message: `${c.count} ${c.count === 1 ? c.ref.one : c.ref.label}`,
      })),
      'protected',
    );
  }
  if (replaceWith === id) throw new ValidationError('replace_with', `cannot replace a ${what.noun} with itself`);
  const target = await dynamic(ctx.db)
    .selectFrom(what.table)
    .select('id')
    .where('id', '=', replaceWith)
    .executeTakeFirst();
  if (!target) throw new ValidationError('replace_with', `no ${what.noun} with id ${replaceWith}`);
  const actor = {
    userId: ctx.principal?.userId ?? null,
    username: ctx.principal?.username ?? null,
    requestId: ctx.requestId ?? null,
  };
  for (const { ref } of counts) {
    if (ref.objectType) {
      const rows = await dynamic(ctx.db)
        .selectFrom(ref.table)
        .select(['id', 'version'])
        .where(ref.column, '=', id)
        .execute();
      for (const r of rows) {
        await dynamic(ctx.db)
          .updateTable(ref.table)
          .set({ [ref.column]: replaceWith, updated_at: now(), version: Number(r.version) + 1 })
          .where('id', '=', r.id)
          .execute();
        await recordChange(ctx.db, actor, {
          action: 'update',
          objectType: ref.objectType,
          objectId: Number(r.id),
          repr: `#${r.id}`,
          before: { [ref.column]: id },
          after: { [ref.column]: replaceWith },
        });
      }
    } else {
      await dynamic(ctx.db)
        .updateTable(ref.table)
        .set({ [ref.column]: replaceWith })
        .where(ref.column, '=', id)
        .execute();
    }
  }
}
