// Users, API tokens and UI sessions: who is calling, and with which role.
import { randomBytes } from 'node:crypto';
import type { Executor } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import { hashPassword, randomToken, sha256, verifyPassword } from '../platform/crypto.ts';
import { ConflictError, NotFoundError, RateLimitedError, UnauthorizedError, ValidationError } from '../platform/errors.ts';

import { ROLES, roleAtLeast, type Role, type Principal } from '../platform/principal.ts';
export { ROLES, roleAtLeast, type Role, type Principal };

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
    if (recent.length >= limit) throw new RateLimitedError(message, Math.max(1, Math.ceil((recent[recent.length - limit] + WINDOW_MS - t) / 1000)));
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
export async function login(db: Executor, username: string, password: string, client: string, opts: { limit: number; ttlHours: number; limiter: LoginLimiter; device?: string }) {
  const lim = opts.limiter;
  const account = username.toLowerCase();
  const clientKeys = [`c:${client}`, ...(opts.device ? [`d:${sha256(opts.device)}`] : [])];
  const t = Date.now();
  lim.check(`c:${client}`, opts.limit, 'too many failed logins from your address; try again later', t);
  const accountFailures = lim.recent(`u:${account}`, t);
  if (accountFailures.length >= opts.limit && !lim.isKnownGood(account, clientKeys, t)) {
    const backoff = Math.min(WINDOW_MS, 1000 * 2 ** Math.min(20, accountFailures.length - opts.limit));
    const wait = accountFailures[accountFailures.length - 1] + backoff - t;
    if (wait > 0) throw new RateLimitedError('too many failed logins for this account; try again later', Math.ceil(wait / 1000));
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
  await db.insertInto('ui_sessions').values({ id_hash: sha256(sessionId), user_id: user!.id, csrf_token: csrf, created_at: now(), expires_at: expires }).execute();
  await db.updateTable('users').set({ last_login_at: now() }).where('id', '=', user!.id).execute();
  return { sessionId, csrfToken: csrf, expiresAt: expires, device, user: { id: Number(user!.id), username: user!.username as string, role: user!.role as Role } };
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
