// The HTTP server: Fastify with Zod schemas, OpenAPI, auth on every route, problem+json errors, metrics.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Db } from './db.ts';
import type { SecretBox } from './crypto.ts';
import { DomainError, ForbiddenError, RateLimitedError, UnauthorizedError } from './errors.ts';
import { authenticateSession, authenticateToken, roleAtLeast, type Principal, type Role } from '../auth/auth.service.ts';
import { httpDuration, httpRequests } from './metrics.ts';
import { ResponseCache } from './crud.ts';
import { generationOf } from './db.ts';

export interface AppContext {
  db: Db;
  config: Config;
  secrets: SecretBox;
  logger: Logger;
}

// Only these answer without credentials (plus /metrics when PEERDESK_METRICS_PUBLIC is on).
const PUBLIC = new Set(['/api/health', '/api/auth/login']);
export const SESSION_COOKIE = 'peerdesk_session';
export const CSRF_COOKIE = 'peerdesk_csrf';

function problem(reply: FastifyReply, req: FastifyRequest, status: number, code: string, detail: string, fields: { field: string; message: string }[] = []) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `https://peerdesk.dev/problems/${code}`, title: code.replace(/_/g, ' '), status, code, detail, instance: req.url, request_id: req.id, errors: fields });
}

function zodFields(err: any): { field: string; message: string }[] {
  const where = err.validationContext && err.validationContext !== 'body' ? `${err.validationContext}.` : '';
  return (err.validation as any[]).flatMap((v) => {
    const path = String(v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (v.keyword === 'unrecognized_keys' && Array.isArray(v.params?.keys)) {
      return v.params.keys.map((k: string) => ({ field: where + (path ? `${path}.${k}` : k), message: 'is not a known field' }));
    }
    let message = String(v.message);
    if (/expected .*, received undefined/i.test(message) || v.params?.input === undefined && v.keyword === 'invalid_type') message = /received undefined/.test(message) ? 'is required' : message;
    return [{ field: where + (path || '(body)'), message }];
  });
}

/** Builds the API server; routes of each domain are mounted by `registerRoutes`. */
export async function buildServer(ctx: AppContext, registerRoutes: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'http' }),
    bodyLimit: ctx.config.PEERDESK_BODY_LIMIT,
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' && /^[\w-]{1,64}$/.test(req.headers['x-request-id']) ? req.headers['x-request-id'] : randomUUID()),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    trustProxy: process.env.PEERDESK_TRUST_PROXY === '1',
  });
  app.setValidatorCompiler(validatorCompiler);
  // Responses are shaped by presenters; the schemas document them (OpenAPI) without re-validating.
  // The test suite sets PEERDESK_VALIDATE_RESPONSES=1 so every response is checked against its
  // documented schema: the OpenAPI contract (and the typed client) cannot drift from the code.
  if (process.env.PEERDESK_VALIDATE_RESPONSES === '1') {
    app.setSerializerCompiler(({ schema, url, method }: any) => (data) => {
      const result = schema?.safeParse ? schema.safeParse(data) : { success: true };
      if (!result.success) {
        const issue = result.error.issues[0];
        throw new Error(`response of ${method} ${url} does not match its schema at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
      }
      return JSON.stringify(data);
    });
  } else {
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  }

  app.decorate('db', ctx.db);
  app.decorate('responseCache', ctx.config.PEERDESK_API_CACHE ? new ResponseCache() : null);
  app.decorate('secrets', ctx.secrets);
  app.decorate('config', ctx.config);
  app.decorateRequest('principal', null);
  app.decorate('principalOf', (req: FastifyRequest) => (req as any).principal as Principal | null);
  app.decorate('requireRole', (role: Role) => async (req: FastifyRequest) => {
    const p = (req as any).principal as Principal | null;
    if (!p) throw new UnauthorizedError();
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    if (unsafe && !p.canWrite) throw new ForbiddenError('this API token is read-only');
    if (!roleAtLeast(p.role, role)) throw new ForbiddenError(`requires the ${role} role (you are ${p.role})`);
  });

  await app.register(import('@fastify/cookie'));
  await app.register(import('@fastify/swagger'), {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Peerdesk API', version: '1.0.0', description: 'Peering management: inventory, sessions, PeeringDB, IRR, templates.' },
      components: {
        securitySchemes: {
          token: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Token <key> or Bearer <key>' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ token: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(import('@fastify/swagger-ui'), { routePrefix: '/api/docs', uiConfig: { docExpansion: 'none', deepLinking: true } });

  app.addHook('onRequest', async (req) => {
    (req as any).startedAt = process.hrtime.bigint();
    const path = req.url.split('?')[0];
    const needsAuth = path.startsWith('/api/') && !PUBLIC.has(path.replace(/\/$/, ''));
    const metricsPath = path === '/metrics';
    const auth = req.headers.authorization;
    if (auth) {
      const m = /^(Token|Bearer)\s+(\S+)$/i.exec(auth);
      if (!m) throw new UnauthorizedError('Authorization must be "Token <key>" or "Bearer <key>"');
      (req as any).principal = await authenticateToken(ctx.db, m[2]);
    } else if (req.cookies?.[SESSION_COOKIE]) {
      try {
        const p = await authenticateSession(ctx.db, req.cookies[SESSION_COOKIE]!);
        (req as any).principal = p;
        // Cookie-authenticated writes must echo the CSRF token (double-submit): a foreign page cannot read it.
        if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method) && path !== '/api/auth/login' && req.headers['x-csrf-token'] !== p.csrfToken) {
          throw new ForbiddenError('missing or wrong X-CSRF-Token header');
        }
      } catch (err) {
        if (err instanceof ForbiddenError || needsAuth) throw err;
      }
    }
    if ((needsAuth || (metricsPath && !ctx.config.PEERDESK_METRICS_PUBLIC)) && !(req as any).principal) throw new UnauthorizedError();
  });

  app.addHook('onResponse', async (req, reply) => {
    // Read-your-writes on PostgreSQL: don't wait for the commit notification to invalidate caches.
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) generationOf(ctx.db)?.bump();
    const route = req.routeOptions?.url ?? 'unmatched';
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    const started = (req as any).startedAt as bigint | undefined;
    if (started) httpDuration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    if (reply.statusCode >= 500) req.log.error({ reqId: req.id, url: req.url, status: reply.statusCode }, 'request failed');
  });

  app.setErrorHandler((err: any, req, reply) => {
    if (err instanceof DomainError) {
      if (err instanceof RateLimitedError) reply.header('retry-after', String(err.retryAfter));
      if (err.status === 401) reply.header('www-authenticate', 'Token');
      return problem(reply, req, err.status, err.code, err.message, err.fields);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const fields = zodFields(err);
      return problem(reply, req, 400, 'validation_error', fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields);
    }
    const status = Number(err.statusCode);
    if (status >= 400 && status < 500) {
      const code = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body_too_large' : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'bad_request';
      return problem(reply, req, status, code, err.message, code === 'bad_request' ? [{ field: '(body)', message: err.message }] : []);
    }
    req.log.error({ err, reqId: req.id }, 'unhandled error');
    return problem(reply, req, 500, 'internal_error', 'internal error; the request id is in the server log');
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    if ((app as any).spaFallback && req.method === 'GET' && !path.startsWith('/api/') && path !== '/metrics') return (reply as any).sendFile('index.html');
    return problem(reply, req, 404, 'not_found', `no route ${req.method} ${path}`);
  });

  await registerRoutes(app as unknown as FastifyInstance);
  return app as unknown as FastifyInstance;
}
