// Users, API tokens and UI sessions: who is calling, and with which role.
import { randomBytes } from 'node:crypto';
import type { Executor } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import { hashPassword, randomToken, sha256, verifyPassword } from '../platform/crypto.ts';
import { ConflictError, NotFoundError, RateLimitedError, UnauthorizedError, ValidationError } from '../platform/errors.ts';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller of a request. */
export interface Principal {
  userId: number;
  username: string;
  role: Role;
  via: 'token' | 'session';
  /** False for read-only API tokens. */
  canWrite: boolean;
  csrfToken?: string;
  tokenId?: number;
}

/** Whether `have` includes the rights of `need` (viewer < operator < admin). */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Creates a user with a scrypt-hashed password. */
export async function createUser(db: Executor, input: { username: string; password: string; role: Role; email?: string | null; mustChangePassword?: boolean }) {
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(input.username)) throw new ValidationError('username', 'use 1-64 letters, digits, _ . @ -');
  if (!ROLES.includes(input.role)) throw new ValidationError('role', `must be one of ${ROLES.join(', ')}`);
  if (input.password.length < 8) throw new ValidationError('password', 'must be at least 8 characters');
  const exists = await db.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst();
  if (exists) throw new ConflictError(`user ${input.username} already exists`, [{ field: 'username', message: 'already exists' }]);
  const t = now();
  const row = await db
    .insertInto('users')
    .values({
      username: input.username,
      email: input.email ?? null,
      password_hash: await hashPassword(input.password),
      role: input.role,
      is_active: true,
      must_change_password: input.mustChangePassword ?? false,
      created_at: t,
      updated_at: t,
      version: 1,
    })
    .returning(['id', 'username', 'role'])
    .executeTakeFirstOrThrow();
  return row as { id: number; username: string; role: Role };
}

/** Creates an API token for a user; the clear key is returned once and stored only as a hash. */
export async function createToken(db: Executor, userId: number, opts: { description?: string | null; writeEnabled?: boolean; expiresAt?: string | null } = {}) {
  const user = await db.selectFrom('users').select(['id']).where('id', '=', userId).executeTakeFirst();
  if (!user) throw new NotFoundError('user', userId);
  const key = randomToken('pd_', 30);
  const row = await db
    .insertInto('api_tokens')
    .values({
      user_id: userId,
      key_hash: sha256(key),
      key_prefix: key.slice(0, 8),
      description: opts.description ?? null,
      write_enabled: opts.writeEnabled ?? true,
      expires_at: opts.expiresAt ?? null,
      created_at: now(),
    })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  return { id: Number(row.id), key };
}

// When each token's last-used time was last written, per database (throttles those writes).
const lastUsedWrites = new WeakMap<object, Map<number, number>>();

/** Resolves an API key to its user, or throws 401. Updates last-used at most once a minute. */
export async function authenticateToken(db: Executor, key: string): Promise<Principal> {
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id', 't.expires_at', 't.write_enabled', 'u.id as user_id', 'u.username', 'u.role', 'u.is_active'])
    .where('t.key_hash', '=', sha256(key))
    .executeTakeFirst();
  if (!row || !row.is_active) throw new UnauthorizedError('invalid API token');
  if (row.expires_at && row.expires_at < now()) throw new UnauthorizedError('API token expired');
  const id = Number(row.id);
  const t = Date.now();
  let seen = lastUsedWrites.get(db);
  if (!seen) lastUsedWrites.set(db, (seen = new Map()));
  if ((seen.get(id) ?? 0) < t - 60_000) {
    seen.set(id, t);
    await db.updateTable('api_tokens').set({ last_used_at: now() }).where('id', '=', id).execute();
  }
  return { userId: Number(row.user_id), username: row.username, role: row.role, via: 'token', canWrite: Boolean(row.write_enabled), tokenId: id };
}

const WINDOW_MS = 15 * 60_000;

/** Failed-login memory of one server process (per client address and per username). */
export class LoginLimiter {
  readonly failures = new Map<string, number[]>();
}

/** Checks username/password with a per-client and per-username failure limit; opens a UI session. */
export async function login(db: Executor, username: string, password: string, client: string, opts: { limit: number; ttlHours: number; limiter: LoginLimiter }) {
  const failures = opts.limiter.failures;
  const keys = [`c:${client}`, `u:${username.toLowerCase()}`];
  const t = Date.now();
  for (const k of keys) {
    const recent = (failures.get(k) ?? []).filter((x) => x > t - WINDOW_MS);
    failures.set(k, recent);
    if (recent.length >= opts.limit) throw new RateLimitedError('too many failed logins; try again later', Math.ceil((recent[0] + WINDOW_MS - t) / 1000));
  }
  const user = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  const ok = user && user.is_active ? await verifyPassword(password, user.password_hash) : false;
  if (!ok) {
    for (const k of keys) failures.get(k)!.push(t);
    throw new UnauthorizedError('wrong username or password');
  }
  for (const k of keys) failures.delete(k);
  const sessionId = randomToken('', 32);
  const csrf = randomBytes(24).toString('base64url');
  const expires = new Date(t + opts.ttlHours * 3600_000).toISOString();
  await db.insertInto('ui_sessions').values({ id_hash: sha256(sessionId), user_id: user!.id, csrf_token: csrf, created_at: now(), expires_at: expires }).execute();
  await db.updateTable('users').set({ last_login_at: now() }).where('id', '=', user!.id).execute();
  return { sessionId, csrfToken: csrf, expiresAt: expires, user: { id: Number(user!.id), username: user!.username as string, role: user!.role as Role } };
}

/** Resolves a UI session cookie to its user, or throws 401. */
export async function authenticateSession(db: Executor, sessionId: string): Promise<Principal> {
  const row = await db
    .selectFrom('ui_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.csrf_token', 's.expires_at', 'u.id as user_id', 'u.username', 'u.role', 'u.is_active'])
    .where('s.id_hash', '=', sha256(sessionId))
    .executeTakeFirst();
  if (!row || !row.is_active || row.expires_at < now()) throw new UnauthorizedError('session expired; log in again');
  return { userId: Number(row.user_id), username: row.username, role: row.role, via: 'session', canWrite: true, csrfToken: row.csrf_token };
}

/** Ends a UI session. */
export async function logout(db: Executor, sessionId: string): Promise<void> {
  await db.deleteFrom('ui_sessions').where('id_hash', '=', sha256(sessionId)).execute();
}

/**
 * Makes sure an admin exists: on first start creates `admin` with PEERDESK_ADMIN_PASSWORD or a
 * generated one-time password, which is returned so the caller can print it once.
 */
export async function ensureAdmin(db: Executor, configured?: string): Promise<{ created: boolean; password?: string }> {
  const any = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return { created: false };
  const password = configured ?? randomToken('', 12);
  await createUser(db, { username: 'admin', password, role: 'admin', mustChangePassword: !configured });
  return { created: true, password: configured ? undefined : password };
}
