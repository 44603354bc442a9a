// Versions and diffs, once: an object's history is a table of numbered versions (1, 2, …) owned by
// the object, each stored with what changed from the one before. Template versions (text diff) and
// IRR prefix-list versions (added/removed entries) use it; deployments can too.
import { createTwoFilesPatch } from 'diff';
import { dynamic, type Executor } from './db.ts';
import type { Row } from './crud/types.ts';

/** A stored version: at least its number. */
export type VersionRow = Row & { version: number };

/**
 * Where an object's versions live: the table and the column naming the owning object. `R` is the row
 * type of that table (its generated Selectable), which the reads below return.
 */
export interface VersionHistory<R extends VersionRow = VersionRow> {
  table: string;
  owner: string;
  /** Never set: carries `R` so that the reads infer it from the history they are given. */
  readonly rowType?: R;
}

/** The newest version of an object (optionally only among versions with the given column values). */
export async function latestVersion<R extends VersionRow>(
  db: Executor,
  history: VersionHistory<R>,
  ownerId: number,
  where: Record<string, string | number> = {},
): Promise<R | undefined> {
  let q = dynamic(db).selectFrom(history.table).selectAll().where(history.owner, '=', ownerId);
  for (const [column, value] of Object.entries(where)) q = q.where(column, '=', value);
  // The table is named at run time; its rows are the R its history was declared with.
  return (await q.orderBy('version', 'desc').limit(1).executeTakeFirst()) as R | undefined;
}

/** Every version of an object, newest first. */
export async function listVersions<R extends VersionRow>(
  db: Executor,
  history: VersionHistory<R>,
  ownerId: number,
): Promise<R[]> {
  const rows = await dynamic(db)
    .selectFrom(history.table)
    .selectAll()
    .where(history.owner, '=', ownerId)
    .orderBy('version', 'desc')
    .execute();
  return rows as R[]; // as in latestVersion
}

/** The number the next version of an object gets: one after the newest, 1 for the first. */
export function nextVersionNumber(latest: { version: unknown } | undefined | null): number {
  return latest ? Number(latest.version) + 1 : 1;
}

/** Stores the next version of an object with the given columns; returns its number. */
export async function appendVersion<R extends VersionRow>(
  db: Executor,
  history: VersionHistory<R>,
  ownerId: number,
  values: Row,
  latest?: { version: unknown } | null,
): Promise<number> {
  const version = nextVersionNumber(latest === undefined ? await latestVersion(db, history, ownerId) : latest);
  await dynamic(db)
    .insertInto(history.table)
    .values({ ...values, [history.owner]: ownerId, version })
    .execute();
  return version;
}

/** A unified diff (3 lines of context) between two texts, headed by their names. */
export function textDiff(beforeName: string, afterName: string, before: string, after: string): string {
  return createTwoFilesPatch(beforeName, afterName, before, after, '', '', { context: 3 });
}

/** What a set-like version adds and removes: added in the new order, removed in the old order. */
export function setDiff(before: Iterable<string>, after: Iterable<string>): { added: string[]; removed: string[] } {
  const b = new Set(before);
  const a = new Set(after);
  return { added: [...a].filter((k) => !b.has(k)), removed: [...b].filter((k) => !a.has(k)) };
}
