// Versions and diffs, once: an object's history is a table of numbered versions (1, 2, …) owned by
// the object, each stored with what changed from the one before. Template versions (text diff) and
// IRR prefix-list versions (added/removed entries) use it; deployments can too.
import { createTwoFilesPatch } from 'diff';
import { dynamic, type Executor } from './db.ts';
import type { Row } from './crud/types.ts';

/** Where an object's versions live: the table and the column naming the owning object. */
export interface VersionHistory {
  table: string;
  owner: string;
}

/** The newest version of an object (optionally only among versions with the given column values). */
export async function latestVersion(
  db: Executor,
  history: VersionHistory,
  ownerId: number,
  where: Record<string, string | number> = {},
): Promise<Row | undefined> {
  let q = dynamic(db).selectFrom(history.table).selectAll().where(history.owner, '=', ownerId);
  for (const [column, value] of Object.entries(where)) q = q.where(column, '=', value);
  return q.orderBy('version', 'desc').limit(1).executeTakeFirst();
}

/** Every version of an object, newest first. */
export async function listVersions(db: Executor, history: VersionHistory, ownerId: number): Promise<Row[]> {
  return dynamic(db)
    .selectFrom(history.table)
    .selectAll()
    .where(history.owner, '=', ownerId)
    .orderBy('version', 'desc')
    .execute();
}

/** The number the next version of an object gets: one after the newest, 1 for the first. */
export function nextVersionNumber(latest: Row | undefined | null): number {
  return latest ? Number(latest.version) + 1 : 1;
}

/** Stores the next version of an object with the given columns; returns its number. */
export async function appendVersion(
  db: Executor,
  history: VersionHistory,
  ownerId: number,
  values: Row,
  latest?: Row | null,
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
