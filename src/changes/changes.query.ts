// Reading the change log (the writer is platform/change-log.ts, re-exported by changes.service.ts).
import type { Executor } from '../platform/db.ts';
import type { ChangeRow } from './changes.schema.ts';

/** Filters of the change log; all optional, combined with "and". */
export interface ChangeFilter {
  object_type?: string;
  object_id?: number;
  action?: string;
  /** user id */
  user?: number;
  username?: string;
  request_id?: string;
  /** time >= since (ISO-8601 text) */
  since?: string;
  /** time < until (ISO-8601 text) */
  until?: string;
}

/** Changes matching the filter, newest first, with the total. */
export async function listChanges(
  db: Executor,
  f: ChangeFilter,
  page: { limit: number; offset: number },
): Promise<{ count: number; rows: ChangeRow[] }> {
  let q = db.selectFrom('changes');
  if (f.object_type) q = q.where('object_type', '=', f.object_type);
  if (f.object_id !== undefined) q = q.where('object_id', '=', f.object_id);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.user !== undefined) q = q.where('user_id', '=', f.user);
  if (f.username) q = q.where('username', '=', f.username);
  if (f.request_id) q = q.where('request_id', '=', f.request_id);
  if (f.since) q = q.where('time', '>=', f.since);
  if (f.until) q = q.where('time', '<', f.until);
  const count = Number((await q.select((eb) => eb.fn.countAll().as('c')).executeTakeFirstOrThrow()).c);
  const rows = await q.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
  return { count, rows };
}
