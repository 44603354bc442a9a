// The change log's writer: every write records who, what, before and after, in the same transaction
// (secrets already masked by presenters). The write path (crud/write.ts) and services call it; the
// changes domain (src/changes/) lists and shows the records.
import type { Executor } from './db.ts';
import { now } from './db.ts';

export interface Actor {
  userId: number | null;
  username: string | null;
  requestId?: string | null;
}

/** Records one change in the same transaction as the write it describes. */
export async function recordChange(
  db: Executor,
  actor: Actor,
  change: {
    action: 'create' | 'update' | 'delete' | string;
    objectType: string;
    objectId: number | null;
    repr?: string | null;
    before?: unknown;
    after?: unknown;
  },
): Promise<void> {
  await db
    .insertInto('changes')
    .values({
      time: now(),
      user_id: actor.userId,
      username: actor.username,
      action: change.action,
      object_type: change.objectType,
      object_id: change.objectId,
      object_repr: change.repr ?? null,
      before: change.before === undefined || change.before === null ? null : JSON.stringify(change.before),
      after: change.after === undefined || change.after === null ? null : JSON.stringify(change.after),
      request_id: actor.requestId ?? null,
    })
    .execute();
}
