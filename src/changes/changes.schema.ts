// The change log's output schema and its presenter.
import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { ChangesTable } from '../platform/db.types.ts';
import { json } from '../platform/crud.ts';

export const changeOut = z
  .object({
    id: z.number().int(),
    time: z.string(),
    user: z.object({ id: z.number().int().nullable(), username: z.string().nullable() }),
    action: z.string(),
    object_type: z.string(),
    object_id: z.number().int().nullable(),
    object_repr: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    request_id: z.string().nullable(),
  })
  .meta({ id: 'Change' });

export type ChangeRow = Selectable<ChangesTable>;

export function presentChange(c: ChangeRow): z.infer<typeof changeOut> {
  return {
    id: Number(c.id),
    time: c.time,
    user: { id: c.user_id ? Number(c.user_id) : null, username: c.username ?? null },
    action: c.action,
    object_type: c.object_type,
    object_id: c.object_id === null ? null : Number(c.object_id),
    object_repr: c.object_repr ?? null,
    before: json(c.before, null),
    after: json(c.after, null),
    request_id: c.request_id ?? null,
  };
}
