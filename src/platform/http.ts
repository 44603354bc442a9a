// The HTTP server: Fastify with Zod schemas, OpenAPI, auth on every route, problem+json errors, metrics.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Db } from './db.ts';
import type { SecretBox } from './crypto.ts';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
} from './errors.ts';
import { hasNul, INT32_MAX } from './fields.ts';
import { z } from 'zod';
import { configureFetchGuard } from './fetch-guard.ts';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { roleAtLeast, type Authenticator, type Principal, type Role } from './principal.ts';
import { httpDuration, httpRequests } from './metrics.ts';
import { ResponseCache } from './crud.ts';
import { generationOf } from './db.ts';

export interface AppContext {
  db: Db;
  config: Config;
  secrets: SecretBox;
  logger: Logger;
}

// Only these routes answer without credentials (plus /metrics when PEERDESK_METRICS_PUBLIC is on).
// Compared with the matched route's pattern, never with the URL text (which may be percent-encoded).
const PUBLIC = new Set(['/api/health', '/api/auth/login']);

/**
 * Security headers on every answer. The UI is built by Vite into same-origin module scripts (no inline
 * script); Mantine and Swagger UI inject <style> elements and style attributes, hence 'unsafe-inline'
 * for styles only. Nothing may frame Peerdesk.
 */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

// PostgreSQL errors that only user input can cause once schemas are right; mapped to 4xx as a safety net.
const PG_RANGE = new Set(['22003', '22P02', '22021', '22P05', '54000']);
const PG_RETRY = new Set(['40P01', '40001']);

/** Path of the first input value that is NUL-bearing or, when given, equal to `value` (for error messages). */
function findInput(req: FastifyRequest, match: (v: unknown) => boolean): string | null {
  const seen = { n: 0 };
  const walk = (v: unknown, path: string, depth: number): string | null => {
    if (++seen.n > 100_000 || depth > 64) return null;
    if (match(v)) return path;
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const p = path ? `${path}.${k}` : k;
        if (match(k)) return p;
        const hit = walk(x, p, depth + 1);
        if (hit) return hit;
      }
    }
    return null;
  };
  return (
    walk(req.params, 'params', 0) ??
    walk(req.query, 'querystring', 0) ??
    (req.body !== undefined ? walk(req.body, '', 0) || (match(req.body) ? '(body)' : null) : null)
  );
}

const isNulString = (v: unknown) => typeof v === 'string' && hasNul(v);

const isIdKey = (k: string) => k === 'id' || k.endsWith('_id');
const beyondInt32 = (v: unknown, digitsToo: boolean) =>
  (typeof v === 'number' && Number.isInteger(v) && v > INT32_MAX) ||
  (digitsToo && typeof v === 'string' && /^\d{10,}$/.test(v) && Number(v) > INT32_MAX);

/** Path of the first `id`/`*_id` input holding an integer beyond a 32-bit column, or null. */
function findIdBeyondInt32(req: FastifyRequest): string | null {
  let budget = 100_000;
  const walk = (v: unknown, path: string, depth: number, digitsToo: boolean): string | null => {
    if (--budget < 0 || depth > 64 || !v || typeof v !== 'object') return null;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      if (isIdKey(k) && (beyondInt32(x, digitsToo) || (Array.isArray(x) && x.some((e) => beyondInt32(e, digitsToo)))))
        return p;
      const hit = walk(x, p, depth + 1, digitsToo);
      if (hit) return hit;
    }
    return null;
  };
  return walk(req.params, 'params', 0, true) ?? walk(req.query, 'querystring', 0, true) ?? walk(req.body, '', 0, false);
}

/** A Zod schema, as route schemas are (checked by shape: this module does not depend on one Zod copy). */
function isZodSchema(v: unknown): v is {
  safeParse(
    data: unknown,
  ): { success: true } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
} {
  return !!v && typeof (v as { safeParse?: unknown }).safeParse === 'function';
}

function problemText(status: number, code: string, detail: string, instance: string | null): string {
  return JSON.stringify({
    type: `https://peerdesk.dev/problems/${code}`,
    title: code.replace(/_/g, ' '),
    status,
    code,
    detail,
    instance,
    request_id: null,
    errors: [],
  });
}

/** Answers protocol-level errors (header overflow, malformed requests) as problem+json on the raw socket. */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request took too long to arrive']
        : err.code === 'HPE_URI_TOO_LONG'
          ? [414, 'uri_too_long', 'the request URI is too long']
          : [400, 'bad_request', 'malformed HTTP request'];
  const body = problemText(status, code, detail, null);
  const headers = Object.entries(SECURITY_HEADERS)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}Connection: close\r\n\r\n${body}`,
    );
  socket.destroy(err);
}
export const SESSION_COOKIE = 'peerdesk_session';
export const CSRF_COOKIE = 'peerdesk_csrf';

function problem(
  reply: FastifyReply,
  req: FastifyRequest,
  status: number,
  code: string,
  detail: string,
  fields: { field: string; message: string }[] = [],
) {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: `https://peerdesk.dev/problems/${code}`,
      title: code.replace(/_/g, ' '),
      status,
      code,
      detail,
      instance: req.url,
      request_id: req.id,
      errors: fields,
    });
}

function zodFields(err: FastifyError): { field: string; message: string }[] {
  const where = err.validationContext && err.validationContext !== 'body' ? `${err.validationContext}.` : '';
  return (err.validation ?? []).flatMap((v) => {
    const path = String(v.instancePath ?? '')
      .replace(/^\//, '')
      .replace(/\//g, '.');
    if (v.keyword === 'unrecognized_keys' && Array.isArray(v.params?.keys)) {
      return v.params.keys.map((k: string) => ({
        field: where + (path ? `${path}.${k}` : k),
        message: 'is not a known field',
      }));
    }
    let message = String(v.message);
    if (
      /expected .*, received undefined/i.test(message) ||
      (v.params?.input === undefined && v.keyword === 'invalid_type')
    )
      message = /received undefined/.test(message) ? 'is required' : message;
    return [{ field: where + (path || '(body)'), message }];
  });
}

/**
 * Builds the API server; routes of each domain are mounted by `registerRoutes`. `authenticator` turns
 * credentials into principals (the auth domain's job: platform/ does not import domains).
 */
export async function buildServer(
  ctx: AppContext,
  registerRoutes: (app: FastifyInstance) => Promise<void>,
  authenticator: Authenticator,
): Promise<FastifyInstance> {
  const auth: Authenticator = authenticator;
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'http' }),
    bodyLimit: ctx.config.PEERDESK_BODY_LIMIT,
    genReqId: (req) =>
      typeof req.headers['x-request-id'] === 'string' && /^[\w-]{1,64}$/.test(req.headers['x-request-id'])
        ? req.headers['x-request-id']
        : randomUUID(),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    trustProxy: ctx.config.PEERDESK_TRUST_PROXY,
    clientErrorHandler,
    // Router-level failures (a parameter longer than maxParamLength, an undecodable URL) as problem+json.
    frameworkErrors: (err: FastifyError, req, reply) => {
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
        return problem(reply, req, 414, 'uri_too_long', 'a path segment of this URL is too long');
      if (err.code === 'FST_ERR_BAD_URL')
        return problem(reply, req, 400, 'bad_request', 'the URL is not valid', [
          { field: '(url)', message: 'is not a valid URL' },
        ]);
      return problem(
        reply,
        req,
        Number(err.statusCode) >= 400 ? Number(err.statusCode) : 500,
        'bad_request',
        'the request could not be routed',
      );
    },
  });
  configureFetchGuard({ allow: ctx.config.PEERDESK_FETCH_ALLOW });
  app.setValidatorCompiler(validatorCompiler);
  // Responses are shaped by presenters; the schemas document them (OpenAPI) without re-validating.
  // The test suite sets PEERDESK_VALIDATE_RESPONSES=1 so every response is checked against its
  // documented schema: the OpenAPI contract (and the typed client) cannot drift from the code.
  if (process.env.PEERDESK_VALIDATE_RESPONSES === '1') {
    app.setSerializerCompiler(({ schema, url, method }: { schema: unknown; url: string; method: string }) => (data) => {
      const result = isZodSchema(schema) ? schema.safeParse(data) : { success: true as const };
      if (!result.success) {
        const issue = result.error.issues[0];
        throw new Error(
          `response of ${method} ${url} does not match its schema at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
        );
      }
      return JSON.stringify(data);
    });
  } else {
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  }

  // Installed before any plugin so that every context (Swagger UI included) answers with problem+json.
  app.setErrorHandler((err: FastifyError & { severity?: string }, req, reply) => {
    if (err instanceof DomainError) {
      if (err instanceof RateLimitedError) reply.header('retry-after', String(err.retryAfter));
      if (err.status === 401) reply.header('www-authenticate', 'Token');
      return problem(reply, req, err.status, err.code, err.message, err.fields);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const fields = zodFields(err);
      return problem(
        reply,
        req,
        400,
        'validation_error',
        fields.map((f) => `${f.field}: ${f.message}`).join('; '),
        fields,
      );
    }
    // PostgreSQL refusing a value the schemas let through (out of range, NUL, …): the client's input.
    if (typeof err.code === 'string' && PG_RANGE.has(err.code) && err.severity) {
      const value = /"([^"]*)"/.exec(String(err.message))?.[1];
      const field =
        (value !== undefined
          ? findInput(req, (v) => (typeof v === 'number' || typeof v === 'string') && String(v) === value)
          : null) ??
        findInput(req, isNulString) ??
        '(input)';
      return problem(reply, req, 400, 'validation_error', `${field}: is out of range or not storable`, [
        { field, message: 'is out of range or not storable' },
      ]);
    }
    if (typeof err.code === 'string' && PG_RETRY.has(err.code) && err.severity) {
      const c = new ConflictError('the write collided with a concurrent one; try again');
      return problem(reply, req, c.status, 'write_conflict', c.message);
    }
    const status = Number(err.statusCode);
    if (status >= 400 && status < 500) {
      const code =
        err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'body_too_large'
          : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'unsupported_media_type'
            : 'bad_request';
      return problem(
        reply,
        req,
        status,
        code,
        err.message,
        code === 'bad_request' ? [{ field: '(body)', message: err.message }] : [],
      );
    }
    req.log.error({ err }, 'unhandled error');
    return problem(reply, req, 500, 'internal_error', 'internal error; the request id is in the server log');
  });

  app.decorate('db', ctx.db);
  app.decorate('responseCache', ctx.config.PEERDESK_API_CACHE ? new ResponseCache() : null);
  app.decorate('secrets', ctx.secrets);
  app.decorate('config', ctx.config);
  app.decorateRequest('principal', null);
  app.decorate('principalOf', (req: FastifyRequest): Principal | null => req.principal);
  app.decorate('requireRole', (role: Role) => async (req: FastifyRequest) => {
    const p = req.principal;
    if (!p) throw new UnauthorizedError();
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    if (unsafe && !p.canWrite) throw new ForbiddenError('this API token is read-only');
    if (!roleAtLeast(p.role, role)) throw new ForbiddenError(`requires the ${role} role (you are ${p.role})`);
  });

  await app.register(import('@fastify/cookie'));
  await app.register(import('@fastify/swagger'), {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Peerdesk API',
        version: '1.0.0',
        description: 'Peering management: inventory, sessions, PeeringDB, IRR, templates.',
      },
      components: {
        securitySchemes: {
          token: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Token <key> or Bearer <key>' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ token: [] }, { session: [] }],
    },
    transform: (doc) => {
      const out = jsonSchemaTransform(doc);
      // @fastify/swagger marks every request body required; a body schema that accepts none is sent as
      // optional (Fastify then validates `undefined` against it), so its operation is marked for below.
      const body: unknown = doc.schema?.body;
      return body instanceof z.ZodType && body.safeParse(undefined).success
        ? { ...out, schema: { ...out.schema, [OPTIONAL_BODY]: true } }
        : out;
    },
    transformObject: (doc) => optionalBodies(jsonSchemaTransformObject(doc)),
  });
  await app.register(import('@fastify/swagger-ui'), {
    routePrefix: '/api/docs',
    uiConfig: { docExpansion: 'none', deepLinking: true },
  });

  app.addHook('onRequest', async (req, reply) => {
    req.startedAt = process.hrtime.bigint();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    // Public or private is decided on the route the router matched (its pattern), never on the URL
    // text: `/%61pi/schema` matches `/api/schema` and is private like it. Unmatched URLs under /api/
    // (after decoding) need credentials too, so anonymous callers cannot probe which routes exist.
    const route = req.routeOptions?.url;
    let decodedPath = req.url.split('?')[0];
    try {
      decodedPath = decodeURIComponent(decodedPath);
    } catch {
      /* undecodable: judged as written */
    }
    const matchedPath = route ?? decodedPath;
    const isPublic = route !== undefined && PUBLIC.has(route.replace(/\/$/, ''));
    const metricsPath = route === '/metrics';
    const needsAuth =
      !isPublic &&
      (matchedPath.startsWith('/api/') ||
        matchedPath === '/api' ||
        (metricsPath && !ctx.config.PEERDESK_METRICS_PUBLIC));
    const header = req.headers.authorization;
    try {
      if (header) {
        const m = /^(Token|Bearer)\s+(\S+)$/i.exec(header);
        if (!m) throw new UnauthorizedError('Authorization must be "Token <key>" or "Bearer <key>"');
        req.principal = await auth.token(m[2]);
      } else if (req.cookies?.[SESSION_COOKIE]) {
        const p = await auth.session(req.cookies[SESSION_COOKIE]!);
        req.principal = p;
        req.sessionId = req.cookies[SESSION_COOKIE];
        // Cookie-authenticated writes must echo the CSRF token (double-submit): a foreign page cannot read it.
        if (
          !['GET', 'HEAD', 'OPTIONS'].includes(req.method) &&
          !isPublic &&
          req.headers['x-csrf-token'] !== p.csrfToken
        ) {
          throw new ForbiddenError('missing or wrong X-CSRF-Token header');
        }
      }
    } catch (err) {
      // Public routes and the UI's static files ignore credentials they cannot use (an expired token
      // still gets /api/health); private routes refuse them.
      if (needsAuth || (err instanceof ForbiddenError && !isPublic)) throw err;
      req.principal = null;
    }
    if (needsAuth && !req.principal) throw new UnauthorizedError();
  });

  // Input every route must refuse, checked once before any schema, on every engine alike: NUL
  // characters in any string or key (PostgreSQL cannot store them, SQLite would), and ids beyond a
  // 32-bit column (`id` and `*_id` in the path, the query or the body: every id column fits 32 bits).
  app.addHook('preValidation', async (req) => {
    const nul = findInput(req, isNulString);
    if (nul) throw new ValidationError(nul, 'must not contain NUL characters');
    const big = findIdBeyondInt32(req);
    if (big) throw new ValidationError(big, `must be at most ${INT32_MAX}`);
  });

  app.addHook('onResponse', async (req, reply) => {
    // Read-your-writes on PostgreSQL: don't wait for the commit notification to invalidate caches.
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) generationOf(ctx.db)?.bump();
    const route = req.routeOptions?.url ?? 'unmatched';
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    const started = req.startedAt;
    if (started) httpDuration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    if (reply.statusCode >= 500) req.log.error({ url: req.url, status: reply.statusCode }, 'request failed');
  });

  app.setNotFoundHandler((req, reply) => {
    let path = req.url.split('?')[0];
    try {
      path = decodeURIComponent(path);
    } catch {
      /* undecodable: judged as written */
    }
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (app.spaFallback && req.method === 'GET' && !path.startsWith('/api/') && path !== '/metrics')
      return reply.sendFile('index.html');
    return problem(reply, req, 404, 'not_found', `no route ${req.method} ${path}`);
  });

  await registerRoutes(app as unknown as FastifyInstance);
  return app as unknown as FastifyInstance;
}

/** Marks an operation whose body schema accepts no body (an `x-` key: @fastify/swagger copies it onto the operation). */
const OPTIONAL_BODY = 'x-optional-body';

/** The spec with `requestBody.required: false` where the body may be left out, and the marks removed. */
function optionalBodies<T extends object>(spec: T): T {
  const paths = (spec as { paths?: Record<string, Record<string, Record<string, unknown>>> }).paths ?? {};
  for (const ops of Object.values(paths))
    for (const op of Object.values(ops)) {
      if (!op || typeof op !== 'object' || !(OPTIONAL_BODY in op)) continue;
      delete op[OPTIONAL_BODY];
      const body = op.requestBody as { required?: boolean } | undefined;
      if (body) body.required = false;
    }
  return spec;
}
