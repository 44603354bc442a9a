// Login/logout for the UI, the caller's profile, API tokens and user administration. Thin: validate,
// authorise, call auth.service, present with auth.schema.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  changeOwnPassword,
  createTokenFor,
  createUserRecorded,
  deleteToken,
  deleteUser,
  listTokens,
  listUsers,
  login,
  LoginLimiter,
  logout,
  mustChangePassword,
  ROLES,
  updateUser,
  type Principal,
} from './auth.service.ts';
import { presentToken, presentUser, tokenOut, userOut } from './auth.schema.ts';
import { UnauthorizedError } from '../platform/errors.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from '../platform/http.ts';
import { pageLinks, pageQuery } from '../platform/crud.ts';

/** Long-lived cookie naming a browser that logged in successfully (see LoginLimiter). */
const DEVICE_COOKIE = 'peerdesk_device';

/** Mounts /api/auth/*, /api/tokens/ and /api/users/. */
export default async function authRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Every route below but login runs after requireRole, which refuses anonymous callers.
  const me = (req: FastifyRequest): Principal => {
    if (!req.principal) throw new UnauthorizedError();
    return req.principal;
  };
  /** The caller's own UI session, kept when their sessions are revoked. */
  const ownSession = (req: FastifyRequest, p: Principal) => (p.via === 'session' ? (req.sessionId ?? null) : null);
  const limiter = new LoginLimiter();

  r.post(
    '/api/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in (UI): sets the session cookie, returns the CSRF token',
        body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1000) }).strict(),
        response: {
          200: z.object({
            user: z.object({ id: z.number().int(), username: z.string(), role: z.string() }),
            csrf_token: z.string(),
            expires_at: z.string(),
          }),
        },
      },
    },
    async (req, reply) => {
      const s = await login(app.db, req.body.username, req.body.password, req.ip, {
        limit: app.config.PEERDESK_LOGIN_RATE_LIMIT,
        ttlHours: app.config.PEERDESK_SESSION_TTL_HOURS,
        limiter,
        device: req.cookies[DEVICE_COOKIE],
      });
      // req.protocol is https when the client used https, also behind a proxy when PEERDESK_TRUST_PROXY is set.
      const secure = req.protocol === 'https';
      reply.setCookie(SESSION_COOKIE, s.sessionId, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure,
        expires: new Date(s.expiresAt),
      });
      reply.setCookie(CSRF_COOKIE, s.csrfToken, {
        path: '/',
        httpOnly: false,
        sameSite: 'lax',
        secure,
        expires: new Date(s.expiresAt),
      });
      // Marks this browser as known-good for the account: it can still log in while the account is under attack.
      reply.setCookie(DEVICE_COOKIE, s.device, {
        path: '/api/auth/login',
        httpOnly: true,
        sameSite: 'strict',
        secure,
        maxAge: 30 * 24 * 3600,
      });
      return { user: s.user, csrf_token: s.csrfToken, expires_at: s.expiresAt };
    },
  );

  r.post(
    '/api/auth/logout',
    { schema: { tags: ['auth'], summary: 'Log out (UI)' }, preValidation: app.requireRole('viewer') },
    async (req, reply) => {
      const sid = req.cookies[SESSION_COOKIE];
      if (sid) await logout(app.db, sid);
      reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The calling user',
        response: {
          200: z.object({
            id: z.number().int(),
            username: z.string(),
            role: z.string(),
            via: z.string(),
            can_write: z.boolean(),
            csrf_token: z.string().nullable(),
            must_change_password: z.boolean(),
          }),
        },
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req) => {
      const p = me(req);
      return {
        id: p.userId,
        username: p.username,
        role: p.role,
        via: p.via,
        can_write: p.canWrite,
        csrf_token: p.csrfToken ?? null,
        must_change_password: await mustChangePassword(app.db, p.userId),
      };
    },
  );

  r.post(
    '/api/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change your own password (ends your other UI sessions)',
        body: z
          .object({
            current_password: z.string().max(1000),
            new_password: z.string().min(8, 'must be at least 8 characters').max(1000),
          })
          .strict(),
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req, reply) => {
      const p = me(req);
      // Guessing the current password through a stolen session is limited like logins.
      await changeOwnPassword(
        app.db,
        p,
        {
          current: req.body.current_password,
          next: req.body.new_password,
          keepSessionId: ownSession(req, p),
          requestId: req.id,
        },
        { limiter, perWindow: app.config.PEERDESK_LOGIN_RATE_LIMIT },
      );
      return reply.code(204).send();
    },
  );

  // --- tokens: your own; admins see and manage everyone's -------------------------------------
  r.get(
    '/api/tokens/',
    {
      schema: {
        tags: ['auth'],
        summary: 'API tokens (yours; all for admins)',
        querystring: pageQuery.pick({ limit: true, offset: true }),
        response: {
          200: z.object({
            count: z.number(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(tokenOut),
          }),
        },
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req) => {
      const { count, rows } = await listTokens(app.db, me(req), req.query);
      return { count, ...pageLinks(req, count, req.query.limit, req.query.offset), results: rows.map(presentToken) };
    },
  );

  r.post(
    '/api/tokens/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an API token: the key is shown once',
        body: z
          .object({
            description: z.string().max(200).nullable().optional(),
            write_enabled: z.boolean().optional(),
            expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
            user: z.number().int().min(1).optional().describe('admins only: another user'),
          })
          .strict(),
        response: { 201: tokenOut.extend({ key: z.string() }) },
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req, reply) => {
      const { row, key } = await createTokenFor(app.db, me(req), req.body, req.id);
      return reply.code(201).send({ ...presentToken(row), key });
    },
  );

  r.delete(
    '/api/tokens/:id/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke an API token',
        params: z.object({ id: z.coerce.number().int().min(1) }),
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req, reply) => {
      await deleteToken(app.db, me(req), req.params.id, req.id);
      return reply.code(204).send();
    },
  );

  // --- users (admin) ------------------------------------------------------------------------------
  const userIn = z
    .object({
      username: z.string().min(1).max(64),
      password: z.string().min(8, 'must be at least 8 characters').max(1000),
      role: z.enum(ROLES),
      email: z.string().email().nullable().optional(),
    })
    .strict();
  r.get(
    '/api/users/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Users',
        querystring: pageQuery.pick({ limit: true, offset: true, q: true }),
        response: {
          200: z.object({
            count: z.number(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(userOut),
          }),
        },
      },
      preValidation: app.requireRole('admin'),
    },
    async (req) => {
      const { count, rows } = await listUsers(app.db, req.query);
      return { count, ...pageLinks(req, count, req.query.limit, req.query.offset), results: rows.map(presentUser) };
    },
  );
  r.post(
    '/api/users/',
    {
      schema: { tags: ['auth'], summary: 'Create a user', body: userIn, response: { 201: userOut } },
      preValidation: app.requireRole('admin'),
    },
    async (req, reply) => {
      return reply.code(201).send(presentUser(await createUserRecorded(app.db, me(req), req.body, req.id)));
    },
  );
  r.patch(
    '/api/users/:id/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change a user',
        params: z.object({ id: z.coerce.number().int().min(1) }),
        body: z
          .object({
            role: z.enum(ROLES).optional(),
            is_active: z.boolean().optional(),
            password: z.string().min(8).max(1000).optional().describe("a reset: ends all of the user's UI sessions"),
            revoke_tokens: z.boolean().optional().describe("with password: also delete the user's API tokens"),
            email: z.string().email().nullable().optional(),
          })
          .strict(),
        response: { 200: userOut },
      },
      preValidation: app.requireRole('admin'),
    },
    async (req) => {
      const p = me(req);
      return presentUser(
        await updateUser(app.db, p, req.params.id, req.body, { keepSessionId: ownSession(req, p), requestId: req.id }),
      );
    },
  );
  r.delete(
    '/api/users/:id/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Delete a user (and their tokens); you cannot delete yourself',
        params: z.object({ id: z.coerce.number().int().min(1) }),
      },
      preValidation: app.requireRole('admin'),
    },
    async (req, reply) => {
      await deleteUser(app.db, me(req), req.params.id, req.id);
      return reply.code(204).send();
    },
  );
}
