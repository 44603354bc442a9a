// The auth API's output schemas and their presenters: typed functions from selected rows to the schema.
import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { ApiTokensTable, UsersTable } from '../platform/db.types.ts';
import { bool } from '../platform/crud.ts';
import { ROLES, type Role } from '../platform/principal.ts';

export const userOut = z
  .object({
    id: z.number().int(),
    username: z.string(),
    email: z.string().nullable(),
    role: z.enum(ROLES),
    is_active: z.boolean(),
    last_login_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'User' });
export const tokenOut = z
  .object({
    id: z.number().int(),
    user: z.object({ id: z.number().int(), username: z.string() }),
    key_prefix: z.string(),
    description: z.string().nullable(),
    write_enabled: z.boolean(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'ApiToken' });

export type UserRow = Selectable<UsersTable>;
/** A token row with its owner's username (see listTokens). */
export type TokenRow = Selectable<ApiTokensTable> & { username: string };

/** A stored role: the column is text, constrained to ROLES by every write. */
export function toRole(v: string): Role {
  const role = ROLES.find((r) => r === v);
  if (!role) throw new Error(`stored role "${v}" is not one of ${ROLES.join(', ')}`);
  return role;
}

export function presentUser(u: UserRow): z.infer<typeof userOut> {
  return {
    id: Number(u.id),
    username: u.username,
    email: u.email ?? null,
    role: toRole(u.role),
    is_active: bool(u.is_active),
    last_login_at: u.last_login_at ?? null,
    created_at: u.created_at,
  };
}

export function presentToken(t: TokenRow): z.infer<typeof tokenOut> {
  return {
    id: Number(t.id),
    user: { id: Number(t.user_id), username: t.username },
    key_prefix: t.key_prefix,
    description: t.description ?? null,
    write_enabled: bool(t.write_enabled),
    expires_at: t.expires_at ?? null,
    last_used_at: t.last_used_at ?? null,
    created_at: t.created_at,
  };
}
