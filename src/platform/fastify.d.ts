// Fastify's decorations, declared once: what buildServer (http.ts) and createApp (app.ts) add to the
// instance and to each request. Routes use `app.db`, `app.requireRole(...)`, `req.principal` typed.
import type { Config } from './config.ts';
import type { SecretBox } from './crypto.ts';
import type { ResponseCache } from './crud.ts';
import type { Db } from './db.ts';
import type { Principal, Role } from './principal.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The application database (http.ts). */
    db: Db;
    config: Config;
    secrets: SecretBox;
    /** Cached list answers, or null when PEERDESK_API_CACHE is off. */
    responseCache: ResponseCache | null;
    /** The authenticated caller of a request, or null. */
    principalOf(req: FastifyRequest): Principal | null;
    /** A preValidation hook refusing callers below `role` (and read-only tokens on writes). */
    requireRole(role: Role): (req: FastifyRequest) => Promise<void>;
    /** Queues a job as a user (app.ts; absent when a server is built without the job queue). */
    enqueueJob?: (kind: string, payload: unknown, userId: number | null) => Promise<number>;
    /** Unknown non-API GETs answer with the UI's index.html (app.ts, when the UI is built). */
    spaFallback?: boolean;
  }
  interface FastifyRequest {
    /** Who is calling (set by the authentication hook; null on anonymous public routes). */
    principal: Principal | null;
    /** The UI session cookie the request authenticated with, if any. */
    sessionId?: string;
    /** process.hrtime.bigint() when the request arrived (for the duration metric). */
    startedAt?: bigint;
  }
}
