// The router page's live routes: state summary with the last poll's outcome and recent jobs, drift
// report, import of existing sessions, and the driver registry. Mounted by src/polling/polling.routes.ts.
import { effectiveState } from '../sessions/session-rules.ts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ipAddress } from '../platform/fields.ts';
import { DomainError, NotFoundError, UpstreamError } from '../platform/errors.ts';
import { type Db } from '../platform/db.ts';
import { DRIVERS } from './catalogue.resource.ts';
import { deviceTimeoutMs, driverInfo, loadRouters, lookupDriver, unreachableReason } from '../polling/router-access.ts';
import { runInlineJob } from '../polling/inline-job.ts';
import { maxPrefixWarnings } from '../polling/state.service.ts';
import { driftReport } from './drift.service.ts';
import type { ImportResult } from './import.service.ts';

const ref = z.object({ id: z.number().int(), name: z.string() });
const driftValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const driftOutput = z
  .object({
    router: ref,
    checked_at: z.string(),
    neighbors: z.number().int(),
    peers: z.number().int(),
    in_sync: z.number().int(),
    unknown_on_router: z.array(
      z.object({
        vrf: z.string().nullable(),
        peer_ip: z.string(),
        remote_asn: z.number().int().nullable(),
        description: z.string().nullable(),
        state: z.string(),
        admin_down: z.boolean(),
      }),
    ),
    missing_on_router: z.array(
      z.object({
        bgp_peer_id: z.number().int(),
        session_id: z.number().int().nullable(),
        vrf: z.string().nullable(),
        peer_ip: z.string(),
        remote_asn: z.number().int(),
        description: z.string().nullable(),
        enabled: z.boolean(),
      }),
    ),
    differences: z.array(
      z.object({
        bgp_peer_id: z.number().int(),
        session_id: z.number().int().nullable(),
        vrf: z.string().nullable(),
        peer_ip: z.string(),
        field: z.enum(['remote_asn', 'admin_state', 'description']),
        peerdesk: driftValue,
        router: driftValue,
      }),
    ),
  })
  .meta({ id: 'DriftReport' });

export const importOutput = z
  .object({
    job_id: z.number().int(),
    router: ref,
    dry_run: z.boolean(),
    neighbors: z.number().int(),
    created: z.number().int().describe('sessions created (dry run: that would be)'),
    existing: z.number().int(),
    skipped: z.number().int(),
    peer_asns_created: z.array(z.number().int()),
    not_on_router: z.array(z.string()),
    items: z.array(
      z.object({
        vrf: z.string().nullable(),
        peer_ip: z.string(),
        remote_asn: z.number().int().nullable(),
        description: z.string().nullable(),
        state: z.string(),
        action: z.enum(['create', 'wrap', 'exists', 'skip']),
        reason: z.string().nullable(),
        network: z.object({ id: z.number().int(), name: z.string(), prefix: z.string() }).nullable(),
        peer_asn: z
          .object({
            id: z.number().int().nullable(),
            asn: z.number().int(),
            name: z.string(),
            exists: z.boolean(),
            from_peeringdb: z.boolean(),
          })
          .nullable(),
        session_id: z.number().int().nullable(),
      }),
    ),
  })
  .meta({ id: 'ImportResult' });

const driverOutput = z
  .object({
    name: z.string(),
    label: z.string(),
    available: z.boolean(),
    capabilities: z.array(z.string()),
    hostname_forms: z.array(z.string()),
  })
  .meta({ id: 'DriverInfo' });

const liveOutput = z
  .object({
    router: ref,
    driver: driverOutput.nullable(),
    pollable: z.boolean(),
    not_pollable_reason: z.string().nullable(),
    admin_on_device: z.boolean().describe('admin up/down reaches the device (driver with admin_state)'),
    polling_enabled: z.boolean(),
    last_polled_at: z.string().nullable(),
    last_poll_error: z.string().nullable(),
    last_poll_job_id: z.number().int().nullable(),
    sessions: z.number().int(),
    by_state: z
      .record(z.string(), z.number().int())
      .describe('sessions per shown state (disabled ones count as admin-down)'),
    max_prefix_warnings: z.array(
      z.object({
        bgp_peer_id: z.number().int(),
        peer_ip: z.string(),
        remote_asn: z.number().int(),
        limit: z.number().int(),
        received: z.number().int(),
        percent: z.number(),
      }),
    ),
    maintenance: z.object({ id: z.number().int(), started_at: z.string(), message: z.string().nullable() }).nullable(),
    recent_jobs: z.array(
      z.object({
        id: z.number().int(),
        kind: z.string(),
        status: z.string(),
        created_at: z.string(),
        finished_at: z.string().nullable(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'RouterLive' });

/** Mounts /api/routers/{id}/live/, /drift/, /import/ and /api/drivers/. */
export default async function routerLiveRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app;
  const db = (): Db => a.db;
  const idParams = z.object({ id: z.coerce.number().int().min(1) });

  r.get(
    '/api/drivers/',
    {
      schema: {
        tags: ['routing'],
        summary: 'Router drivers by platform driver name: what each can do and the hostname forms it takes',
        response: { 200: z.array(driverOutput) },
      },
      preValidation: a.requireRole('viewer'),
    },
    async () => driverInfo(DRIVERS),
  );

  r.get(
    '/api/routers/:id/live/',
    {
      schema: {
        tags: ['routing'],
        summary:
          "The router page's live summary: driver, last poll (time, error, job), sessions by state, max-prefix warnings, maintenance, recent jobs",
        params: idParams,
        response: { 200: liveOutput },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const [router] = await loadRouters(db(), [req.params.id]);
      if (!router) throw new NotFoundError('router', req.params.id);
      // Read on every request (this route has no response cache): the poll status changes with every
      // poll, in a table whose writes do not invalidate the cached lists.
      const extra = await db()
        .selectFrom('router_poll_status')
        .select(['last_polled_at', 'last_poll_error', 'last_poll_job_id'])
        .where('router_id', '=', router.id)
        .executeTakeFirst();
      const driver = await lookupDriver(router.driver);
      const why = unreachableReason(router, driver, 'list_neighbors');
      const counts = await db()
        .selectFrom('peering_sessions as s')
        .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
        .select(['b.state', 'b.enabled'])
        .select((eb) => eb.fn.countAll().as('c'))
        .where('b.router_id', '=', router.id)
        .groupBy(['b.state', 'b.enabled'])
        .execute();
      const byState: Record<string, number> = {};
      let sessions = 0;
      for (const c of counts) {
        const st = effectiveState(c.enabled, c.state);
        byState[st] = (byState[st] ?? 0) + Number(c.c);
        sessions += Number(c.c);
      }
      const warnings = (await maxPrefixWarnings(db(), { routerId: router.id })).map(({ warning: _w, ...w }) => w);
      const m = await db()
        .selectFrom('maintenances')
        .select(['id', 'started_at', 'message'])
        .where('status', '=', 'active')
        .where('router_id', '=', router.id)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      const jobs = await db()
        .selectFrom('router_jobs as rj')
        .innerJoin('jobs as j', 'j.id', 'rj.job_id')
        .select(['j.id', 'j.kind', 'j.status', 'j.created_at', 'j.finished_at', 'j.error'])
        .where('rj.router_id', '=', router.id)
        .orderBy('j.id', 'desc')
        .limit(20)
        .execute();
      return {
        router: { id: router.id, name: router.name },
        driver: driver
          ? {
              name: driver.name,
              label: driver.label,
              available: true,
              capabilities: [...driver.capabilities],
              hostname_forms: [...driver.hostnameForms],
            }
          : null,
        pollable: !why,
        not_pollable_reason: why,
        admin_on_device: !!driver && !unreachableReason(router, driver, 'admin_state'),
        polling_enabled: router.polling_enabled,
        last_polled_at: extra?.last_polled_at ?? null,
        last_poll_error: extra?.last_poll_error ?? null,
        last_poll_job_id:
          extra?.last_poll_job_id === null || extra?.last_poll_job_id === undefined
            ? null
            : Number(extra.last_poll_job_id),
        sessions,
        by_state: byState,
        max_prefix_warnings: warnings,
        maintenance: m ? { id: Number(m.id), started_at: m.started_at, message: m.message ?? null } : null,
        recent_jobs: jobs.map((j) => ({
          id: Number(j.id),
          kind: j.kind,
          status: j.status,
          created_at: j.created_at,
          finished_at: j.finished_at ?? null,
          error: j.error ?? null,
        })),
      };
    },
  );

  r.get(
    '/api/routers/:id/drift/',
    {
      schema: {
        tags: ['routing'],
        summary:
          'Drift report: neighbours on the router unknown to Peerdesk, Peerdesk peers missing on the router, field differences (remote AS, admin state, description)',
        description:
          'Reads the router now (one device call). 409 when the router has no driver that can list neighbours, 502 when it does not answer.',
        params: idParams,
        response: { 200: driftOutput },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      if (!(await db().selectFrom('routers').select('id').where('id', '=', req.params.id).executeTakeFirst()))
        throw new NotFoundError('router', req.params.id);
      return driftReport(db(), req.params.id, {
        secrets: a.secrets,
        signal: AbortSignal.timeout(deviceTimeoutMs() * 2),
      });
    },
  );

  r.post(
    '/api/routers/:id/import/',
    {
      schema: {
        tags: ['routing'],
        summary:
          "Import the router's existing BGP sessions: preview (`dry_run: true`) or create them (optionally only `peer_ips`)",
        description:
          'Each neighbour is matched to a peering network by prefix (most specific) and to a peer ASN (created when missing, from the PeeringDB mirror when it has the network), then created through the session wizard’s write path in one transaction. A neighbour with a session already is `exists`; one with a bare BGP peer is wrapped. Re-running imports nothing twice. Recorded as a `router.import` job.',
        params: idParams,
        body: z.object({ dry_run: z.boolean(), peer_ips: z.array(ipAddress).min(1).max(10_000).optional() }).strict(),
        response: { 200: importOutput },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req) => {
      if (!(await db().selectFrom('routers').select('id').where('id', '=', req.params.id).executeTakeFirst()))
        throw new NotFoundError('router', req.params.id);
      const out = await runInlineJob<ImportResult>(
        db(),
        'router.import',
        { router_id: req.params.id, dry_run: req.body.dry_run, peer_ips: req.body.peer_ips },
        {
          userId: a.principalOf(req)?.userId ?? null,
          secrets: a.secrets,
          timeoutMs: Math.max(60_000, deviceTimeoutMs() * 4),
        },
      );
      if (out.status !== 'succeeded' || !out.result) {
        if (out.cause instanceof DomainError) {
          out.cause.message = `${out.cause.message} (job ${out.jobId})`;
          throw out.cause;
        }
        throw new UpstreamError(`import failed: ${out.error} (job ${out.jobId})`, 'import_failed');
      }
      return { job_id: out.jobId, ...out.result };
    },
  );
}
