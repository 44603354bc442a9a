// Login/logout for the UI, the caller's profile, API tokens and user administration.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createToken, createUser, login, LoginLimiter, logout, revokeSessions, revokeTokens, ROLES, roleAtLeast, type Principal } from './auth.service.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../platform/errors.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from '../platform/http.ts';

/** Long-lived cookie naming a browser that logged in successfully (see LoginLimiter). */
const DEVICE_COOKIE = 'peerdesk_device';
import { hashPassword, verifyPassword } from '../platform/crypto.ts';
import { now } from '../platform/db.ts';
import { recordChange } from '../changes/changes.service.ts';
import { pageLinks, pageQuery } from '../platform/crud.ts';

const userOut = z.object({ id: z.number().int(), username: z.string(), email: z.string().nullable(), role: z.enum(ROLES), is_active: z.boolean(), last_login_at: z.string().nullable(), created_at: z.string() }).meta({ id: 'User' });
const tokenOut = z.object({ id: z.number().int(), user: z.object({ id: z.number().int(), username: z.string() }), key_prefix: z.string(), description: z.string().nullable(), write_enabled: z.boolean(), expires_at: z.string().nullable(), last_used_at: z.string().nullable(), created_at: z.string() }).meta({ id: 'ApiToken' });
const b = (v: unknown) => v === true || v === 1;
const presentUser = (u: any) => ({ id: Number(u.id), username: u.username, email: u.email ?? null, role: u.role, is_active: b(u.is_active), last_login_at: u.last_login_at ?? null, created_at: u.created_at });
const presentToken = (t: any) => ({ id: Number(t.id), user: { id: Number(t.user_id), username: t.username }, key_prefix: t.key_prefix, description: t.description ?? null, write_enabled: b(t.write_enabled), expires_at: t.expires_at ?? null, last_used_at: t.last_used_at ?? null, created_at: t.created_at });

/** Mounts /api/auth/*, /api/tokens/ and /api/users/. */
export default async function authRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app as any;
  const me = (req: any) => req.principal as Principal;
  const limiter = new LoginLimiter();

  r.post('/api/auth/login', {
    schema: { tags: ['auth'], summary: 'Log in (UI): sets the session cookie, returns the CSRF token', body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1000) }).strict(), response: { 200: z.object({ user: z.object({ id: z.number().int(), username: z.string(), role: z.string() }), csrf_token: z.string(), expires_at: z.string() }) } },
  }, async (req, reply) => {
    const s = await login(a.db, req.body.username, req.body.password, req.ip, { limit: a.config.PEERDESK_LOGIN_RATE_LIMIT, ttlHours: a.config.PEERDESK_SESSION_TTL_HOURS, limiter, device: req.cookies[DEVICE_COOKIE] });
    // req.protocol is https when the client used https, also behind a proxy when PEERDESK_TRUST_PROXY is set.
    const secure = req.protocol === 'https';
    reply.setCookie(SESSION_COOKIE, s.sessionId, { path: '/', httpOnly: true, sameSite: 'lax', secure, expires: new Date(s.expiresAt) });
    reply.setCookie(CSRF_COOKIE, s.csrfToken, { path: '/', httpOnly: false, sameSite: 'lax', secure, expires: new Date(s.expiresAt) });
    // Marks this browser as known-good for the account: it can still log in while the account is under attack.
    reply.setCookie(DEVICE_COOKIE, s.device, { path: '/api/auth/login', httpOnly: true, sameSite: 'strict', secure, maxAge: 30 * 24 * 3600 });
    return { user: s.user, csrf_token: s.csrfToken, expires_at: s.expiresAt };
  });

  r.post('/api/auth/logout', { schema: { tags: ['auth'], summary: 'Log out (UI)' }, preValidation: a.requireRole('viewer') }, async (req, reply) => {
    const sid = req.cookies[SESSION_COOKIE];
    if (sid) await logout(a.db, sid);
    reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  r.get('/api/auth/me', { schema: { tags: ['auth'], summary: 'The calling user', response: { 200: z.object({ id: z.number().int(), username: z.string(), role: z.string(), via: z.string(), can_write: z.boolean(), csrf_token: z.string().nullable(), must_change_password: z.boolean() }) } }, preValidation: a.requireRole('viewer') }, async (req) => {
    const p = me(req);
    const u = await a.db.selectFrom('users').select('must_change_password').where('id', '=', p.userId).executeTakeFirst();
    return { id: p.userId, username: p.username, role: p.role, via: p.via, can_write: p.canWrite, csrf_token: p.csrfToken ?? null, must_change_password: u?.must_change_password === true || u?.must_change_password === 1 };
  });

  r.post('/api/auth/password', { schema: { tags: ['auth'], summary: 'Change your own password (ends your other UI sessions)', body: z.object({ current_password: z.string().max(1000), new_password: z.string().min(8, 'must be at least 8 characters').max(1000) }).strict() }, preValidation: a.requireRole('viewer') }, async (req, reply) => {
    const p = me(req);
    // Guessing the current password through a stolen session is limited like logins.
    const key = `p:${p.userId}`;
    limiter.check(key, a.config.PEERDESK_LOGIN_RATE_LIMIT, 'too many wrong current passwords; try again later');
    const u = await a.db.selectFrom('users').selectAll().where('id', '=', p.userId).executeTakeFirstOrThrow();
    if (!(await verifyPassword(req.body.current_password, u.password_hash))) {
      limiter.fail([key]);
      throw new ValidationError('current_password', 'is wrong');
    }
    limiter.failures.delete(key);
    await a.db.transaction().execute(async (tx: any) => {
      await tx.updateTable('users').set({ password_hash: await hashPassword(req.body.new_password), must_change_password: false, updated_at: now() }).where('id', '=', u.id).execute();
      // Whoever else was logged in as this user (e.g. with the old password) is logged out.
      await revokeSessions(tx, Number(u.id), p.via === 'session' ? (req as any).sessionId : null);
      await recordChange(tx, { userId: p.userId, username: p.username, requestId: req.id }, { action: 'update', objectType: 'user', objectId: Number(u.id), repr: u.username, after: { password_changed: true } });
    });
    return reply.code(204).send();
  });

  // --- tokens: your own; admins see and manage everyone's -------------------------------------
  r.get('/api/tokens/', { schema: { tags: ['auth'], summary: 'API tokens (yours; all for admins)', querystring: pageQuery.pick({ limit: true, offset: true }), response: { 200: z.object({ count: z.number(), next: z.string().nullable(), previous: z.string().nullable(), results: z.array(tokenOut) }) } }, preValidation: a.requireRole('viewer') }, async (req) => {
    const p = me(req);
    let q = a.db.selectFrom('api_tokens as t').innerJoin('users as u', 'u.id', 't.user_id');
    if (!roleAtLeast(p.role, 'admin')) q = q.where('t.user_id', '=', p.userId);
    const count = Number((await q.select((eb: any) => eb.fn.countAll().as('c')).executeTakeFirst()).c);
    const rows = await q.selectAll('t').select('u.username').orderBy('t.id').limit(req.query.limit).offset(req.query.offset).execute();
    return { count, ...pageLinks(req, count, req.query.limit, req.query.offset), results: rows.map(presentToken) };
  });

  r.post('/api/tokens/', {
    schema: { tags: ['auth'], summary: 'Create an API token: the key is shown once', body: z.object({ description: z.string().max(200).nullable().optional(), write_enabled: z.boolean().optional(), expires_at: z.iso.datetime({ offset: true }).nullable().optional(), user: z.number().int().min(1).optional().describe('admins only: another user') }).strict(), response: { 201: tokenOut.extend({ key: z.string() }) } },
    preValidation: a.requireRole('viewer'),
  }, async (req, reply) => {
    const p = me(req);
    const userId = req.body.user ?? p.userId;
    if (userId !== p.userId && !roleAtLeast(p.role, 'admin')) throw new ForbiddenError('only admins create tokens for other users');
    const expiresAt = req.body.expires_at ? new Date(req.body.expires_at).toISOString() : null;
    if (expiresAt && expiresAt < now()) throw new ValidationError('expires_at', 'is in the past');
    const { id, key } = await a.db.transaction().execute(async (tx: any) => {
      const t = await createToken(tx, userId, { description: req.body.description ?? null, writeEnabled: req.body.write_enabled ?? true, expiresAt });
      await recordChange(tx, { userId: p.userId, username: p.username, requestId: req.id }, { action: 'create', objectType: 'api-token', objectId: t.id, repr: key_prefix(t.key) });
      return t;
    });
    const row = await a.db.selectFrom('api_tokens as t').innerJoin('users as u', 'u.id', 't.user_id').selectAll('t').select('u.username').where('t.id', '=', id).executeTakeFirst();
    return reply.code(201).send({ ...presentToken(row), key });
  });

  r.delete('/api/tokens/:id/', { schema: { tags: ['auth'], summary: 'Revoke an API token', params: z.object({ id: z.coerce.number().int().min(1) }) }, preValidation: a.requireRole('viewer') }, async (req, reply) => {
    const p = me(req);
    const t = await a.db.selectFrom('api_tokens').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    if (!t || (Number(t.user_id) !== p.userId && !roleAtLeast(p.role, 'admin'))) throw new NotFoundError('token', req.params.id);
    await a.db.transaction().execute(async (tx: any) => {
      await tx.deleteFrom('api_tokens').where('id', '=', t.id).execute();
      await recordChange(tx, { userId: p.userId, username: p.username, requestId: req.id }, { action: 'delete', objectType: 'api-token', objectId: Number(t.id), repr: t.key_prefix });
    });
    return reply.code(204).send();
  });

  // --- users (admin) ------------------------------------------------------------------------------
  const userIn = z.object({ username: z.string().min(1).max(64), password: z.string().min(8, 'must be at least 8 characters').max(1000), role: z.enum(ROLES), email: z.string().email().nullable().optional() }).strict();
  r.get('/api/users/', { schema: { tags: ['auth'], summary: 'Users', querystring: pageQuery.pick({ limit: true, offset: true, q: true }), response: { 200: z.object({ count: z.number(), next: z.string().nullable(), previous: z.string().nullable(), results: z.array(userOut) }) } }, preValidation: a.requireRole('admin') }, async (req) => {
    const rows = await a.db.selectFrom('users').selectAll().orderBy('username').limit(req.query.limit).offset(req.query.offset).execute();
    const count = Number((await a.db.selectFrom('users').select((eb: any) => eb.fn.countAll().as('c')).executeTakeFirst()).c);
    return { count, ...pageLinks(req, count, req.query.limit, req.query.offset), results: rows.map(presentUser) };
  });
  r.post('/api/users/', { schema: { tags: ['auth'], summary: 'Create a user', body: userIn, response: { 201: userOut } }, preValidation: a.requireRole('admin') }, async (req, reply) => {
    const p = me(req);
    const u = await a.db.transaction().execute(async (tx: any) => {
      const created = await createUser(tx, req.body);
      await recordChange(tx, { userId: p.userId, username: p.username, requestId: req.id }, { action: 'create', objectType: 'user', objectId: created.id, repr: created.username, after: { username: created.username, role: created.role } });
      return created;
    });
    return reply.code(201).send(presentUser(await a.db.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirst()));
  });
  r.patch('/api/users/:id/', { schema: { tags: ['auth'], summary: 'Change a user', params: z.object({ id: z.coerce.number().int().min(1) }), body: z.object({ role: z.enum(ROLES).optional(), is_active: z.boolean().optional(), password: z.string().min(8).max(1000).optional().describe('a reset: ends all of the user\'s UI sessions'), revoke_tokens: z.boolean().optional().describe('with password: also delete the user\'s API tokens'), email: z.string().email().nullable().optional() }).strict(), response: { 200: userOut } }, preValidation: a.requireRole('admin') }, async (req) => {
    const p = me(req);
    const u = await a.db.selectFrom('users').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    if (!u) throw new NotFoundError('user', req.params.id);
    const set: any = { updated_at: now() };
    for (const k of ['role', 'is_active', 'email'] as const) if (k in req.body) set[k] = (req.body as any)[k];
    if (req.body.password) set.password_hash = await hashPassword(req.body.password);
    if (req.body.revoke_tokens && !req.body.password) throw new ValidationError('revoke_tokens', 'only goes with a password reset');
    await a.db.transaction().execute(async (tx: any) => {
      await tx.updateTable('users').set(set).where('id', '=', u.id).execute();
      let tokensRevoked = 0;
      if (req.body.password) {
        // A reset ends every UI session of the user (the admin's own current one survives a self-reset);
        // API tokens only when asked, as scripts depend on them.
        await revokeSessions(tx, Number(u.id), Number(u.id) === p.userId && p.via === 'session' ? (req as any).sessionId : null);
        if (req.body.revoke_tokens) tokensRevoked = await revokeTokens(tx, Number(u.id));
      }
      await recordChange(tx, { userId: p.userId, username: p.username, requestId: req.id }, { action: 'update', objectType: 'user', objectId: Number(u.id), repr: u.username, before: { role: u.role, is_active: b(u.is_active) }, after: { role: set.role ?? u.role, is_active: set.is_active ?? b(u.is_active), password_changed: !!req.body.password, ...(req.body.password ? { tokens_revoked: tokensRevoked } : {}) } });
    });
    return presentUser(await a.db.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirst());
  });
  r.delete('/api/users/:id/', { schema: { tags: ['auth'], summary: 'Delete a user (and their tokens); you cannot delete yourself', params: z.object({ id: z.coerce.number().int().min(1) }) }, preValidation: a.requireRole('admin') }, async (req, reply) => {
    const p = me(req);
    if (req.params.id === p.userId) throw new ValidationError('id', 'you cannot delete your own user');
    const u = await a.db.selectFrom('users').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    if (!u) throw new NotFoundError('user', req.params.id);
    await a.db.transaction().execute(async (tx: any) => {
      await tx.updateTable('jobs').set({ created_by: null }).where('created_by', '=', u.id).execute();
      await tx.deleteFrom('users').where('id', '=', u.id).execute();
      await recordChange(tx, { userId: p.userId, username: p.username, requestId: req.id }, { action: 'delete', objectType: 'user', objectId: Number(u.id), repr: u.username, before: { username: u.username, role: u.role } });
    });
    return reply.code(204).send();
  });
}

/** The short, non-secret prefix of a token key, for the change log. */
function key_prefix(key: string): string {
  return key.slice(0, 8);
}
