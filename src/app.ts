// Assembles Peerdesk: database, migrations, first admin, HTTP routes of every domain, in-process worker.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadConfig, type Config } from './platform/config.ts';
import { openDb, type Db } from './platform/db.ts';
import { migrateToLatest, pendingMigrations } from './db/migrate.ts';
import { SecretBox, resolveSecretKey } from './platform/crypto.ts';
import { createLogger } from './platform/logging.ts';
import { buildServer, type AppContext } from './platform/http.ts';
import { registerResource, type Resource } from './platform/crud.ts';
import { authenticateSession, authenticateToken, ensureAdmin } from './auth/auth.service.ts';
import { registry } from './platform/metrics.ts';
import { DRIVER_INFO, POLLABLE_DRIVERS } from './drivers/registry.ts';
import { enqueueJob } from './jobs/jobs.service.ts';
import { startWorker, type WorkerHandle } from './jobs/worker.ts';
import { relationships } from './relationships/relationships.resource.ts';
import { peerAsns } from './asns/peer-asns.resource.ts';
import { fabrics, peeringNetworks, peeringConnections } from './fabrics/fabrics.resource.ts';
import { platforms, bfdProfiles, routingPolicies, communities } from './routers/catalogue.resource.ts';
import { routers, peerGroups } from './routers/routers.resource.ts';
import { bgpPeers } from './bgp/bgp-peers.resource.ts';
import { prefixLists } from './bgp/prefix-lists.resource.ts';
import { peeringSessions } from './sessions/peering-sessions.resource.ts';

/** Every CRUD resource, in the order the API docs list them. */
export const RESOURCES: Resource[] = [
  relationships,
  peerAsns,
  fabrics,
  peeringNetworks,
  peeringConnections,
  peeringSessions,
  platforms,
  routers,
  peerGroups,
  bgpPeers,
  prefixLists,
  routingPolicies,
  communities,
  bfdProfiles,
];

/**
 * Every route plugin, explicitly: the core first, then each capability. A module that fails to import
 * fails the start loudly (no "load it if the file exists"). Capabilities listed in /api/capabilities
 * are exactly the ones mounted here.
 */
const ROUTE_MODULES: {
  capability?: Capability;
  load: () => Promise<{ default: (app: FastifyInstance) => Promise<void> }>;
}[] = [
  { load: () => import('./auth/auth.routes.ts') },
  { load: () => import('./changes/changes.routes.ts') },
  { load: () => import('./jobs/jobs.routes.ts') },
  { load: () => import('./sessions/sessions.routes.ts') },
  { load: () => import('./search/search.routes.ts') },
  { capability: 'peeringdb', load: () => import('./peeringdb/peeringdb.routes.ts') },
  { capability: 'templates', load: () => import('./templates/templates.routes.ts') },
  { capability: 'irr', load: () => import('./irr/irr.routes.ts') },
  { capability: 'polling', load: () => import('./polling/polling.routes.ts') },
  { capability: 'email', load: () => import('./email/email.routes.ts') },
  { capability: 'drivers', load: () => import('./deploy/deploy.routes.ts') },
];

type Capability = 'peeringdb' | 'irr' | 'templates' | 'polling' | 'drivers' | 'email';

export interface PeerdeskApp {
  app: FastifyInstance;
  ctx: AppContext;
  worker: WorkerHandle | null;
  /** Password of the admin created on this first start (when generated), to print once. */
  initialAdminPassword?: string;
  close(): Promise<void>;
}

/** Opens the database from config, migrates it and prepares the secret box. */
export async function openContext(config: Config): Promise<AppContext> {
  const logger = createLogger(config.PEERDESK_LOG_LEVEL);
  const db = await openDb(config.PEERDESK_DATABASE_URL);
  await migrateToLatest(db);
  const key = resolveSecretKey(
    config.PEERDESK_SECRET_KEY,
    config.PEERDESK_DATA_DIR,
    config.PEERDESK_DATABASE_URL.startsWith('sqlite:'),
  );
  return { db, config, secrets: new SecretBox(key), logger };
}

/** Builds the whole application (used by `serve` and by tests). */
export async function createApp(opts: { config?: Config; db?: Db; worker?: boolean } = {}): Promise<PeerdeskApp> {
  const config = opts.config ?? loadConfig();
  const ctx = opts.db
    ? {
        db: opts.db,
        config,
        secrets: new SecretBox(config.PEERDESK_SECRET_KEY ?? 'test-secret-key-test-secret-key-0000'),
        logger: createLogger(config.PEERDESK_LOG_LEVEL),
      }
    : await openContext(config);
  if (opts.db) await migrateToLatest(opts.db);
  const admin = await ensureAdmin(ctx.db, config.PEERDESK_ADMIN_PASSWORD);
  const app = await buildServer(
    ctx,
    async (app) => {
      app.decorate('enqueueJob', (kind: string, payload: unknown, userId: number | null) =>
        enqueueJob(ctx.db, kind, payload, { userId }),
      );
      for (const res of RESOURCES) registerResource(app, res);
      for (const m of ROUTE_MODULES) await app.register((await m.load()).default);
      await systemRoutes(app, ctx);
      await staticUi(app);
    },
    { token: (k) => authenticateToken(ctx.db, k), session: (id) => authenticateSession(ctx.db, id) },
  );
  const worker =
    opts.worker === false || !config.PEERDESK_WORKER
      ? null
      : startWorker({ db: ctx.db, logger: ctx.logger.child({ component: 'worker' }), secrets: ctx.secrets });
  return {
    app,
    ctx,
    worker,
    initialAdminPassword: admin.password,
    async close() {
      await worker?.stop();
      await app.close();
      await (await import('./templates/render-pool.ts')).closeRenderPool();
      await ctx.db.destroy();
    },
  };
}

async function systemRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Liveness and readiness: database, migrations, workers',
        response: {
          200: z.object({
            status: z.string(),
            database: z.string(),
            migrations: z.object({ pending: z.array(z.string()) }),
            workers: z.number().int(),
            version: z.string(),
          }),
          503: z.object({
            status: z.string(),
            database: z.string(),
            migrations: z.object({ pending: z.array(z.string()) }),
            workers: z.number().int(),
            version: z.string(),
          }),
        },
      },
    },
    async (_req, reply) => {
      let database = 'ok';
      let pending: string[] = [];
      let workers = 0;
      try {
        pending = await pendingMigrations(ctx.db);
        const cutoff = new Date(Date.now() - 60_000).toISOString();
        const row = await ctx.db
          .selectFrom('workers')
          .select((eb) => eb.fn.countAll().as('c'))
          .where('seen_at', '>', cutoff)
          .executeTakeFirst();
        workers = Number(row?.c ?? 0);
      } catch (err) {
        database = `error: ${(err as Error).message}`;
      }
      const ok = database === 'ok' && pending.length === 0;
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ok' : 'degraded', database, migrations: { pending }, workers, version: '0.1.0' });
    },
  );
  const mounted = new Set(ROUTE_MODULES.map((m) => m.capability).filter(Boolean));
  const caps = {
    peeringdb: mounted.has('peeringdb'),
    irr: mounted.has('irr'),
    templates: mounted.has('templates'),
    polling: mounted.has('polling') && POLLABLE_DRIVERS.length > 0,
    drivers: mounted.has('drivers') && DRIVER_INFO.some((d) => d.capabilities.includes('config')),
    email: mounted.has('email'),
    router_drivers: DRIVER_INFO.map((d) => ({
      name: d.name,
      label: d.label,
      capabilities: [...d.capabilities],
      hostname_forms: [...d.hostnameForms],
    })),
  };
  const driverInfoSchema = z.object({
    name: z.string(),
    label: z.string(),
    capabilities: z.array(z.enum(['list_neighbors', 'running_config', 'admin_state', 'config', 'commit_confirm'])),
    hostname_forms: z.array(z.string()),
  });
  r.get(
    '/api/capabilities',
    {
      schema: {
        tags: ['system'],
        summary:
          'Which capabilities this installation has (the UI hides or explains missing ones) and what each router driver can do',
        response: {
          200: z.object({
            peeringdb: z.boolean(),
            irr: z.boolean(),
            templates: z.boolean(),
            polling: z.boolean().describe('live BGP state from routers (Refresh)'),
            drivers: z.boolean().describe('pushing configuration to routers (Configure)'),
            email: z.boolean(),
            router_drivers: z.array(driverInfoSchema),
          }),
        },
      },
      preValidation: app.requireRole('viewer'),
    },
    async () => caps,
  );
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const counts = await ctx.db
      .selectFrom('jobs')
      .select(['status'])
      .select((eb) => eb.fn.countAll().as('c'))
      .groupBy('status')
      .execute();
    const lines = counts.map((c) => `peerdesk_jobs_by_status{status="${c.status}"} ${Number(c.c)}`).join('\n');
    reply.type(registry.contentType);
    return `${await registry.metrics()}\n# HELP peerdesk_jobs_by_status Jobs in the queue by status\n# TYPE peerdesk_jobs_by_status gauge\n${lines}\n`;
  });
  app.get('/api/schema', { schema: { hide: true } }, async () => app.swagger());
}

async function staticUi(app: FastifyInstance) {
  const dist = fileURLToPath(new URL('../web/dist/', import.meta.url));
  if (!existsSync(dist)) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html')
        .send(
          '<!doctype html><title>Peerdesk</title><p>The web UI is not built. Run <code>npm run build</code>. The API is at <a href="/api/docs">/api/docs</a>.</p>',
        ),
    );
    return;
  }
  await app.register(import('@fastify/static'), { root: dist, prefix: '/', wildcard: false });
  // Client-side routes: unknown non-API GETs get the SPA shell (see the not-found handler in http.ts).
  app.spaFallback = true;
}
