// Users, API tokens and UI sessions: who is calling, and with which role.
import { randomBytes } from 'node:crypto';
import type { Updateable } from 'kysely';
import { now, withTx, type Executor } from '../platform/db.ts';
import type { UsersTable } from '../platform/db.types.ts';
import { hashPassword, randomToken, sha256, verifyPassword } from '../platform/crypto.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
} from '../platform/errors.ts';
import { recordChange, type Actor } from '../changes/changes.service.ts';
import { toRole, type TokenRow, type UserRow } from './auth.schema.ts';

import { ROLES, roleAtLeast, type Role, type Principal } from '../platform/principal.ts';
export { ROLES, roleAtLeast, type Role, type Principal };

/** Creates a user with a scrypt-hashed password. */
export async function createUser(
  db: Executor,
  input: { username: string; password: string; role: Role; email?: string | null; mustChangePassword?: boolean },
) {
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(input.username))
    throw new ValidationError('username', 'use 1-64 letters, digits, _ . @ -');
  if (!ROLES.includes(input.role)) throw new ValidationError('role', `must be one of ${ROLES.join(', ')}`);
  if (input.password.length < 8) throw new ValidationError('password', 'must be at least 8 characters');
  const exists = await db.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst();
  if (exists)
    throw new ConflictError(`user ${input.username} already exists`, [
      { field: 'username', message: 'already exists' },
    ]);
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
  return { id: Number(row.id), username: row.username, role: toRole(row.role) };
}

/** Creates an API token for a user; the clear key is returned once and stored only as a hash. */
export async function createToken(
  db: Executor,
  userId: number,
  opts: { description?: string | null; writeEnabled?: boolean; expiresAt?: string | null } = {},
) {
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
  return {
    userId: Number(row.user_id),
    username: row.username,
    role: toRole(row.role),
    via: 'token',
    canWrite: Boolean(row.write_enabled),
    tokenId: id,
  };
}

const WINDOW_MS = 15 * 60_000;
const KNOWN_GOOD_MS = 30 * 24 * 3600_000;
const MAX_KEYS = 50_000;

/**
 * Failed-login memory of one server process. Failures are counted per client address (a hard limit
 * per window) and per account; an account under attack does not lock its owner out: it answers
 * clients it has not seen log in successfully with a growing backoff, while known-good clients (an
 * address or a device cookie that logged in to it before) are checked as usual.
 */
export class LoginLimiter {
  readonly failures = new Map<string, number[]>();
  /** Per username: known-good client keys (`c:address`, `d:device-hash`) → expiry. */
  readonly knownGood = new Map<string, Map<string, number>>();

  /** Recent failures under a key (older ones are forgotten). */
  recent(key: string, t = Date.now()): number[] {
    const list = (this.failures.get(key) ?? []).filter((x) => x > t - WINDOW_MS);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Records a failure under each key. */
  fail(keys: string[], t = Date.now()): void {
    if (this.failures.size > MAX_KEYS) for (const k of [...this.failures.keys()]) this.recent(k, t);
    for (const k of keys) this.failures.set(k, [...this.recent(k, t), t]);
  }

  /** Throws 429 when a key has reached the limit within the window. */
  check(key: string, limit: number, message: string, t = Date.now()): void {
    const recent = this.recent(key, t);
    if (recent.length >= limit)
      throw new RateLimitedError(
        message,
        Math.max(1, Math.ceil((recent[recent.length - limit] + WINDOW_MS - t) / 1000)),
      );
  }

  /** Whether any of the client keys logged in successfully as this user recently. */
  isKnownGood(username: string, clientKeys: string[], t = Date.now()): boolean {
    const m = this.knownGood.get(username);
    return !!m && clientKeys.some((k) => (m.get(k) ?? 0) > t);
  }

  /** Remembers the client keys as known-good for this user. */
  remember(username: string, clientKeys: string[], t = Date.now()): void {
    if (this.knownGood.size > MAX_KEYS) this.knownGood.clear();
    let m = this.knownGood.get(username);
    if (!m) this.knownGood.set(username, (m = new Map()));
    for (const k of clientKeys) m.set(k, t + KNOWN_GOOD_MS);
    if (m.size > 100) m.delete(m.keys().next().value!);
  }
}

// A hash with the real parameters: unknown users cost the same scrypt work as known ones.
let dummyHash: Promise<string> | null = null;

/** Checks a password against a user's hash, or does the same work against a dummy when there is none. */
export async function verifyUserPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  if (hash) return verifyPassword(password, hash);
  dummyHash ??= hashPassword(randomToken('', 16));
  await verifyPassword(password, await dummyHash);
  return false;
}

/**
 * Checks username/password and opens a UI session. Limits: `limit` failures per client address per
 * 15 minutes; past `limit` failures on one account, clients that are not known-good for it wait a
 * backoff doubling per failure (1 s, 2 s, … up to 15 min) between attempts. `device` is the login
 * device cookie (remembered on success); the returned `device` is the one to set.
 */
export async function login(
  db: Executor,
  username: string,
  password: string,
  client: string,
  opts: { limit: number; ttlHours: number; limiter: LoginLimiter; device?: string },
) {
  const lim = opts.limiter;
  const account = username.toLowerCase();
  const clientKeys = [`c:${client}`, ...(opts.device ? [`d:${sha256(opts.device)}`] : [])];
  const t = Date.now();
  lim.check(`c:${client}`, opts.limit, 'too many failed logins from your address; try again later', t);
  const accountFailures = lim.recent(`u:${account}`, t);
  if (accountFailures.length >= opts.limit && !lim.isKnownGood(account, clientKeys, t)) {
    const backoff = Math.min(WINDOW_MS, 1000 * 2 ** Math.min(20, accountFailures.length - opts.limit));
    const wait = accountFailures[accountFailures.length - 1] + backoff - t;
    if (wait > 0)
      throw new RateLimitedError('too many failed logins for this account; try again later', Math.ceil(wait / 1000));
  }
  const user = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  // The same scrypt work whether or not the user exists or is active: no timing side channel.
  const matches = await verifyUserPassword(password, user?.password_hash);
  const ok = matches && !!user && bool(user.is_active);
  if (!ok) {
    lim.fail([`c:${client}`, `u:${account}`], t);
    throw new UnauthorizedError('wrong username or password');
  }
  lim.failures.delete(`c:${client}`);
  const device = opts.device && /^[\w-]{20,100}$/.test(opts.device) ? opts.device : randomToken('', 24);
  lim.remember(account, [`c:${client}`, `d:${sha256(device)}`], t);
  const sessionId = randomToken('', 32);
  const csrf = randomBytes(24).toString('base64url');
  const expires = new Date(t + opts.ttlHours * 3600_000).toISOString();
  await db
    .insertInto('ui_sessions')
    .values({ id_hash: sha256(sessionId), user_id: user!.id, csrf_token: csrf, created_at: now(), expires_at: expires })
    .execute();
  await db.updateTable('users').set({ last_login_at: now() }).where('id', '=', user!.id).execute();
  return {
    sessionId,
    csrfToken: csrf,
    expiresAt: expires,
    device,
    user: { id: Number(user!.id), username: user!.username, role: toRole(user!.role) },
  };
}

/** Ends every UI session of a user except, optionally, the caller's own (by its cookie value). */
export async function revokeSessions(db: Executor, userId: number, exceptSessionId?: string | null): Promise<number> {
  let q = db.deleteFrom('ui_sessions').where('user_id', '=', userId);
  if (exceptSessionId) q = q.where('id_hash', '!=', sha256(exceptSessionId));
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows ?? 0);
}

/** Deletes every API token of a user. */
export async function revokeTokens(db: Executor, userId: number): Promise<number> {
  const r = await db.deleteFrom('api_tokens').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows ?? 0);
}

function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
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
  return {
    userId: Number(row.user_id),
    username: row.username,
    role: toRole(row.role),
    via: 'session',
    canWrite: true,
    csrfToken: row.csrf_token,
  };
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

// ---------- the caller's account, tokens and user administration (the API's queries) ------------

/** The actor of a principal's request, for the change log. */
export function actorOf(p: Principal, requestId?: string): Actor {
  return { userId: p.userId, username: p.username, requestId };
}

/** Whether a user must change their password before anything else (a generated first password). */
export async function mustChangePassword(db: Executor, userId: number): Promise<boolean> {
  const u = await db.selectFrom('users').select('must_change_password').where('id', '=', userId).executeTakeFirst();
  return bool(u?.must_change_password);
}

/**
 * Changes the caller's own password after checking the current one (wrong guesses are limited like
 * logins) and ends the user's other UI sessions (`keepSessionId`: the caller's own).
 */
export async function changeOwnPassword(
  db: Executor,
  p: Principal,
  input: { current: string; next: string; keepSessionId: string | null; requestId?: string },
  limit: { limiter: LoginLimiter; perWindow: number },
): Promise<void> {
  const key = `p:${p.userId}`;
  limit.limiter.check(key, limit.perWindow, 'too many wrong current passwords; try again later');
  const u = await db.selectFrom('users').selectAll().where('id', '=', p.userId).executeTakeFirstOrThrow();
  if (!(await verifyPassword(input.current, u.password_hash))) {
    limit.limiter.fail([key]);
    throw new ValidationError('current_password', 'is wrong');
  }
  limit.limiter.failures.delete(key);
  const hash = await hashPassword(input.next);
  await withTx(db, async (tx) => {
    await tx
      .updateTable('users')
      .set({ password_hash: hash, must_change_password: false, updated_at: now() })
      .where('id', '=', u.id)
      .execute();
    // Whoever else was logged in as this user (e.g. with the old password) is logged out.
    await revokeSessions(tx, Number(u.id), input.keepSessionId);
    await recordChange(tx, actorOf(p, input.requestId), {
      action: 'update',
      objectType: 'user',
      objectId: Number(u.id),
      repr: u.username,
      after: { password_changed: true },
    });
  });
}

function tokensWithUser(db: Executor) {
  return db.selectFrom('api_tokens as t').innerJoin('users as u', 'u.id', 't.user_id');
}

/** API tokens a principal may see (their own; everyone's for admins), by id, with the total. */
export async function listTokens(
  db: Executor,
  p: Principal,
  page: { limit: number; offset: number },
): Promise<{ count: number; rows: TokenRow[] }> {
  let q = tokensWithUser(db);
  if (!roleAtLeast(p.role, 'admin')) q = q.where('t.user_id', '=', p.userId);
  const count = Number((await q.select((eb) => eb.fn.countAll().as('c')).executeTakeFirstOrThrow()).c);
  const rows = await q
    .selectAll('t')
    .select('u.username')
    .orderBy('t.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { count, rows };
}

/** Creates a token for the caller or (admins only) another user; the key is in the answer only. */
export async function createTokenFor(
  db: Executor,
  p: Principal,
  input: { user?: number; description?: string | null; write_enabled?: boolean; expires_at?: string | null },
  requestId?: string,
): Promise<{ row: TokenRow; key: string }> {
  const userId = input.user ?? p.userId;
  if (userId !== p.userId && !roleAtLeast(p.role, 'admin'))
    throw new ForbiddenError('only admins create tokens for other users');
  const expiresAt = input.expires_at ? new Date(input.expires_at).toISOString() : null;
  if (expiresAt && expiresAt < now()) throw new ValidationError('expires_at', 'is in the past');
  const { id, key } = await withTx(db, async (tx) => {
    const t = await createToken(tx, userId, {
      description: input.description ?? null,
      writeEnabled: input.write_enabled ?? true,
      expiresAt,
    });
    await recordChange(tx, actorOf(p, requestId), {
      action: 'create',
      objectType: 'api-token',
      objectId: t.id,
      repr: t.key.slice(0, 8),
    });
    return t;
  });
  const row = await tokensWithUser(db)
    .selectAll('t')
    .select('u.username')
    .where('t.id', '=', id)
    .executeTakeFirstOrThrow();
  return { row, key };
}

/** Revokes a token of the caller's (any token for admins); others' tokens are "not found". */
export async function deleteToken(db: Executor, p: Principal, id: number, requestId?: string): Promise<void> {
  const t = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (!t || (Number(t.user_id) !== p.userId && !roleAtLeast(p.role, 'admin'))) throw new NotFoundError('token', id);
  await withTx(db, async (tx) => {
    await tx.deleteFrom('api_tokens').where('id', '=', t.id).execute();
    await recordChange(tx, actorOf(p, requestId), {
      action: 'delete',
      objectType: 'api-token',
      objectId: Number(t.id),
      repr: t.key_prefix,
    });
  });
}

/** Users by name, with the total. */
export async function listUsers(
  db: Executor,
  page: { limit: number; offset: number },
): Promise<{ count: number; rows: UserRow[] }> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .orderBy('username')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const count = Number(
    (
      await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('c'))
        .executeTakeFirstOrThrow()
    ).c,
  );
  return { count, rows };
}

/** One user, or a 404. */
export async function getUser(db: Executor, id: number): Promise<UserRow> {
  const u = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!u) throw new NotFoundError('user', id);
  return u;
}

/** Creates a user (admin), recorded in the change log. */
export async function createUserRecorded(
  db: Executor,
  p: Principal,
  input: { username: string; password: string; role: Role; email?: string | null },
  requestId?: string,
): Promise<UserRow> {
  const u = await withTx(db, async (tx) => {
    const created = await createUser(tx, input);
    await recordChange(tx, actorOf(p, requestId), {
      action: 'create',
      objectType: 'user',
      objectId: created.id,
      repr: created.username,
      after: { username: created.username, role: created.role },
    });
    return created;
  });
  return getUser(db, u.id);
}

/**
 * Changes a user (admin). A password reset ends every UI session of the user (the admin's own
 * current one, `keepSessionId`, survives a self-reset); API tokens only with `revoke_tokens`, as
 * scripts depend on them.
 */
export async function updateUser(
  db: Executor,
  p: Principal,
  id: number,
  input: { role?: Role; is_active?: boolean; password?: string; revoke_tokens?: boolean; email?: string | null },
  opts: { keepSessionId: string | null; requestId?: string },
): Promise<UserRow> {
  const u = await getUser(db, id);
  const set: Updateable<UsersTable> = { updated_at: now() };
  if ('role' in input) set.role = input.role;
  if ('is_active' in input) set.is_active = input.is_active;
  if ('email' in input) set.email = input.email;
  if (input.password) set.password_hash = await hashPassword(input.password);
  if (input.revoke_tokens && !input.password)
    throw new ValidationError('revoke_tokens', 'only goes with a password reset');
  await withTx(db, async (tx) => {
    await tx.updateTable('users').set(set).where('id', '=', u.id).execute();
    let tokensRevoked = 0;
    if (input.password) {
      await revokeSessions(tx, Number(u.id), Number(u.id) === p.userId ? opts.keepSessionId : null);
      if (input.revoke_tokens) tokensRevoked = await revokeTokens(tx, Number(u.id));
    }
    await recordChange(tx, actorOf(p, opts.requestId), {
      action: 'update',
      objectType: 'user',
      objectId: Number(u.id),
      repr: u.username,
      before: { role: u.role, is_active: bool(u.is_active) },
      after: {
        role: set.role ?? u.role,
        is_active: set.is_active ?? bool(u.is_active),
        password_changed: !!input.password,
        ...(input.password ? { tokens_revoked: tokensRevoked } : {}),
      },
    });
  });
  return getUser(db, u.id);
}

/** Deletes a user and their tokens (their jobs stay, without a creator); nobody deletes themselves. */
export async function deleteUser(db: Executor, p: Principal, id: number, requestId?: string): Promise<void> {
  if (id === p.userId) throw new ValidationError('id', 'you cannot delete your own user');
  const u = await getUser(db, id);
  await withTx(db, async (tx) => {
    await tx.updateTable('jobs').set({ created_by: null }).where('created_by', '=', u.id).execute();
    await tx.deleteFrom('users').where('id', '=', u.id).execute();
    await recordChange(tx, actorOf(p, requestId), {
      action: 'delete',
      objectType: 'user',
      objectId: Number(u.id),
      repr: u.username,
      before: { username: u.username, role: u.role },
    });
  });
}
