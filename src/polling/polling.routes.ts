// Live-state endpoints: Refresh (poll the sessions' routers or every router), poll one router, Admin
// Up/Down on the device (single, bulk), maintenances, state history and state summary. The router
// page's drift, import and live summary are in src/routers/routers.routes.ts, mounted from here.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { enqueueJob } from '../jobs/jobs.service.ts';
import { NotFoundError } from '../platform/errors.ts';
import { loadRow } from '../platform/crud.ts';

import { peeringSessions, sessionOutput } from '../sessions/peering-sessions.resource.ts';
import { runInlineJob } from './inline-job.ts';
import { shutdownMessage } from './polling.jobs.ts';
import { linkJob, type RouterPollResult } from './poll.service.ts';
import { adminTimeoutMs } from './router-access.ts';
import {
  createMaintenance,
  endMaintenance,
  listMaintenances,
  peersOfSessions,
  setMaintenanceJob,
  type AdminResult,
} from './admin.service.ts';
import { sessionStateSummary } from './state.service.ts';

export const routerPollResult = z
  .object({
    id: z.number().int(),
    name: z.string(),
    ok: z.boolean(),
    error: z.string().optional(),
    peers: z.number().int(),
    changed: z.number().int(),
    missing: z.number().int(),
    neighbors: z.number().int(),
    unknown: z.number().int(),
    max_prefix_warnings: z.number().int(),
    duration_ms: z.number().int(),
  })
  .meta({ id: 'RouterPollResult' });

const adminPeerResult = z.object({
  session_id: z.number().int().nullable(),
  bgp_peer_id: z.number().int(),
  router: z.object({ id: z.number().int(), name: z.string() }),
  peer_ip: z.string(),
  ok: z.boolean(),
  applied_on_device: z.boolean(),
  reason: z.string().nullable().describe('why it was not applied on the device (then only the stored flag changed)'),
  error: z.string().nullable().describe("the device's error; the stored flag is then unchanged"),
  enabled: z.boolean(),
  state: z.string(),
});

export const adminAnswer = z
  .object({
    job_id: z.number().int().describe('the job that recorded this action (GET /api/jobs/{id}/ for its log)'),
    status: z.enum(['succeeded', 'failed', 'cancelled']),
    error: z.string().nullable(),
    enabled: z.boolean(),
    message: z.string().nullable(),
    applied_on_device: z.boolean().describe('true when every peer was changed on its router'),
    failed: z.number().int(),
    results: z.array(adminPeerResult),
    routers: z.array(routerPollResult).describe('the re-poll of each router driven'),
    sessions: z.array(sessionOutput).describe('the sessions after the action (at most 1000)'),
  })
  .meta({ id: 'AdminActionResult' });

const maintenanceOutput = z
  .object({
    id: z.number().int(),
    scope: z.enum(['router', 'fabric']),
    router: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    fabric: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    message: z.string().nullable(),
    status: z.enum(['active', 'ended']),
    started_at: z.string(),
    ended_at: z.string().nullable(),
    start_job_id: z.number().int().nullable(),
    end_job_id: z.number().int().nullable(),
    sessions: z.number().int(),
    already_down: z.number().int().describe('sessions that were admin down before (they stay down when it ends)'),
  })
  .meta({ id: 'Maintenance' });

const stateSummaryOutput = z
  .object({
    session_id: z.number().int(),
    bgp_peer_id: z.number().int(),
    enabled: z.boolean(),
    state: z.string(),
    state_since: z.string().nullable(),
    down_reason: z.string().nullable(),
    last_error: z.string().nullable(),
    polled_at: z.string().nullable(),
    window: z.object({ from: z.string(), to: z.string(), hours: z.number() }),
    flaps: z.number().int(),
    flaps_total: z.number().int(),
    time_in_state: z.array(z.object({ state: z.string(), seconds: z.number().int(), percent: z.number() })),
    max_prefix: z
      .object({ limit: z.number().int(), received: z.number().int(), percent: z.number(), warning: z.boolean() })
      .nullable(),
  })
  .meta({ id: 'SessionStateSummary' });

/** Runs the admin job in the request and shapes its answer (sessions re-read after the re-poll). */
async function runAdmin(
  a: FastifyInstance,
  req: FastifyRequest,
  bgpPeerIds: number[],
  enabled: boolean,
  message: string | null,
): Promise<z.infer<typeof adminAnswer>> {
  const db = a.db;
  const userId = a.principalOf(req)?.userId ?? null;
  const out = await runInlineJob<AdminResult>(
    db,
    'bgp.admin',
    { bgp_peer_ids: bgpPeerIds, enabled, message },
    { userId, secrets: a.secrets, timeoutMs: adminTimeoutMs() },
  );
  const res = out.result;
  const sessions = !bgpPeerIds.length
    ? []
    : await db
        .selectFrom('peering_sessions')
        .select(['id', 'bgp_peer_id'])
        .where('bgp_peer_id', 'in', bgpPeerIds)
        .orderBy('id')
        .execute();
  const sessionOf = new Map(sessions.map((s) => [Number(s.bgp_peer_id), Number(s.id)]));
  const rows: z.infer<typeof sessionOutput>[] = [];
  for (const s of sessions.slice(0, 1000))
    rows.push(
      peeringSessions.present(await loadRow(peeringSessions, db, Number(s.id)), {
        includeSecrets: false,
        secrets: a.secrets,
      }) as z.infer<typeof sessionOutput>,
    );
  const results = (res?.peers ?? []).map((p) => ({ session_id: sessionOf.get(p.bgp_peer_id) ?? null, ...p }));
  return {
    job_id: out.jobId,
    status: out.status,
    error: out.error ?? null,
    enabled,
    message,
    applied_on_device: !!res && res.peers.length > 0 && res.peers.every((p) => p.applied_on_device),
    failed: res ? res.failed : bgpPeerIds.length,
    results,
    routers: (res?.routers ?? []) as RouterPollResult[],
    sessions: rows,
  };
}

/** Mounts the polling, admin, maintenance and state routes (and the router live routes). */
export default async function pollingRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app;
  const queued = z.object({ job_id: z.number().int(), routers: z.array(z.number().int()) });
  const idParams = z.object({ id: z.coerce.number().int().min(1) });

  r.post(
    '/api/peering-sessions/refresh/',
    {
      schema: {
        tags: ['peering'],
        summary: "Poll live state: the given sessions' routers, or every router with polling enabled",
        description:
          'Queues a `bgp.poll` job. Its result (GET /api/jobs/{id}/) is `{routers: [{id, name, ok, error?, peers, changed, missing, neighbors, unknown, max_prefix_warnings, duration_ms}], failed}`: one outcome per router (reached, or failed and why); an unreachable router does not fail the job.',
        body: z.object({ session_ids: z.array(z.number().int().min(1)).max(10_000).optional() }).strict(),
        response: { 202: queued },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => {
      let ids: number[];
      if (req.body.session_ids?.length) {
        const rows = await a.db
          .selectFrom('peering_sessions as s')
          .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
          .select('b.router_id')
          .distinct()
          .where('s.id', 'in', req.body.session_ids)
          .execute();
        ids = rows.map((x) => Number(x.router_id)).sort((x: number, y: number) => x - y);
      } else {
        ids = (
          await a.db.selectFrom('routers').select('id').where('polling_enabled', '=', true).orderBy('id').execute()
        ).map((x) => Number(x.id));
      }
      const jobId = await enqueueJob(
        a.db,
        'bgp.poll',
        { router_ids: ids },
        { userId: a.principalOf(req)?.userId ?? null },
      );
      await linkJob(a.db, jobId, ids, 'bgp.poll');
      return reply.code(202).send({ job_id: jobId, routers: ids });
    },
  );

  r.post(
    '/api/routers/:id/poll/',
    {
      schema: {
        tags: ['routing'],
        summary: "Poll this router's BGP state now (a `bgp.poll` job; see Refresh for its result)",
        params: idParams,
        response: { 202: queued },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => {
      const router = await a.db.selectFrom('routers').select('id').where('id', '=', req.params.id).executeTakeFirst();
      if (!router) throw new NotFoundError('router', req.params.id);
      const jobId = await enqueueJob(
        a.db,
        'bgp.poll',
        { router_ids: [req.params.id] },
        { userId: a.principalOf(req)?.userId ?? null },
      );
      await linkJob(a.db, jobId, [req.params.id], 'bgp.poll');
      return reply.code(202).send({ job_id: jobId, routers: [req.params.id] });
    },
  );

  const adminDescription =
    'Runs in the request, bounded by PEERDESK_ADMIN_TIMEOUT_MS, and is recorded as a `bgp.admin` job (`job_id`). Through the router driver when it has the `admin_state` capability (with the optional RFC 8203 shutdown `message`); otherwise only the stored flag changes and each result says `applied_on_device: false` with the reason. A device error leaves the stored flag unchanged (`ok: false`). The router is re-polled at once: `sessions` carry the new state.';
  const messageBody = z
    .object({ message: shutdownMessage.nullable().optional().describe('RFC 8203 shutdown communication (admin down)') })
    .strict();
  for (const [action, enabled] of [
    ['admin-up', true],
    ['admin-down', false],
  ] as const) {
    r.post(
      `/api/peering-sessions/:id/${action}/`,
      {
        schema: {
          tags: ['peering'],
          summary: `${enabled ? 'Enable' : 'Shut down'} the session's BGP peer on the router`,
          description: adminDescription,
          params: idParams,
          body: messageBody.nullish(),
          response: { 200: adminAnswer },
        },
        preValidation: a.requireRole('operator'),
      },
      async (req) => {
        const peers = await peersOfSessions(a.db, [req.params.id], false);
        return runAdmin(a, req, peers, enabled, req.body?.message ?? null);
      },
    );
  }

  r.post(
    '/api/peering-sessions/bulk-admin/',
    {
      schema: {
        tags: ['peering'],
        summary: 'Admin up or down several sessions on their routers',
        description: adminDescription,
        body: z
          .object({
            ids: z.array(z.number().int().min(1)).min(1).max(1000),
            enabled: z.boolean(),
            message: shutdownMessage.nullable().optional(),
          })
          .strict(),
        response: { 200: adminAnswer },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req) => {
      const peers = await peersOfSessions(a.db, req.body.ids, true);
      return runAdmin(a, req, peers, req.body.enabled, req.body.message ?? null);
    },
  );

  // ---- maintenance --------------------------------------------------------------------------------
  const maintenanceAnswer = z.object({ maintenance: maintenanceOutput, action: adminAnswer.omit({ sessions: true }) });
  r.get(
    '/api/maintenances/',
    {
      schema: {
        tags: ['peering'],
        summary: 'Maintenances (newest first)',
        querystring: z.object({ status: z.enum(['active', 'ended']).optional() }).strict(),
        response: { 200: z.array(maintenanceOutput) },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => listMaintenances(a.db, { status: req.query.status }),
  );
  r.get(
    '/api/maintenances/:id/',
    {
      schema: { tags: ['peering'], summary: 'One maintenance', params: idParams, response: { 200: maintenanceOutput } },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const [m] = await listMaintenances(a.db, { id: req.params.id });
      if (!m) throw new NotFoundError('maintenance', req.params.id);
      return m;
    },
  );
  r.post(
    '/api/maintenances/',
    {
      schema: {
        tags: ['peering'],
        summary:
          'Start a maintenance: take every session of a router or fabric down (recording each one’s admin state)',
        description: `Give exactly one of router or fabric. ${adminDescription}`,
        body: z
          .object({
            router: z.number().int().min(1).nullable().optional(),
            fabric: z.number().int().min(1).nullable().optional(),
            message: shutdownMessage.nullable().optional(),
          })
          .strict(),
        response: { 201: maintenanceAnswer },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => {
      const m = await createMaintenance(a.db, req.body, a.principalOf(req)?.userId ?? null);
      const { sessions: _s, ...action } = await runAdmin(a, req, m.bgpPeerIds, false, req.body.message ?? null);
      await setMaintenanceJob(a.db, m.id, 'start', action.job_id);
      const [row] = await listMaintenances(a.db, { id: m.id });
      return reply.code(201).send({ maintenance: row!, action });
    },
  );
  r.post(
    '/api/maintenances/:id/end/',
    {
      schema: {
        tags: ['peering'],
        summary: 'End a maintenance: bring back up each session that was up before it',
        description: adminDescription,
        params: idParams,
        response: { 200: maintenanceAnswer },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req) => {
      const { bgpPeerIds } = await endMaintenance(a.db, req.params.id);
      // Nothing to restore (every session was down before, or another maintenance holds it) still records a job.
      const { sessions: _s, ...action } = await runAdmin(a, req, bgpPeerIds, true, null);
      await setMaintenanceJob(a.db, req.params.id, 'end', action.job_id);
      const [row] = await listMaintenances(a.db, { id: req.params.id });
      return { maintenance: row!, action };
    },
  );

  // ---- state history ------------------------------------------------------------------------------
  r.get(
    '/api/peering-sessions/:id/state-history/',
    {
      schema: {
        tags: ['peering'],
        summary: 'State changes and prefix counts of the session over time',
        params: idParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(500) }),
        response: {
          200: z.array(
            z.object({
              time: z.string(),
              state: z.string(),
              previous_state: z.string().nullable(),
              reason: z.string().nullable(),
              prefixes_received: z.number().int().nullable(),
              prefixes_accepted: z.number().int().nullable(),
              prefixes_advertised: z.number().int().nullable(),
            }),
          ),
        },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const s = await loadRow(peeringSessions, a.db, req.params.id);
      const rows = await a.db
        .selectFrom('session_state_events')
        .selectAll()
        .where('bgp_peer_id', '=', s.bgp_peer_id)
        .orderBy('time', 'desc')
        .orderBy('id', 'desc')
        .limit(req.query.limit)
        .execute();
      return rows.reverse().map((e) => ({
        time: e.time,
        state: e.state,
        previous_state: e.previous_state ?? null,
        reason: e.reason ?? null,
        prefixes_received: e.prefixes_received ?? null,
        prefixes_accepted: e.prefixes_accepted ?? null,
        prefixes_advertised: e.prefixes_advertised ?? null,
      }));
    },
  );
  r.get(
    '/api/peering-sessions/:id/state-summary/',
    {
      schema: {
        tags: ['peering'],
        summary: 'Flap count, time in each state, down reason and max-prefix usage (warning at ≥ 90%) of the session',
        params: idParams,
        querystring: z
          .object({
            hours: z.coerce
              .number()
              .int()
              .min(1)
              .max(24 * 366)
              .default(24),
          })
          .strict(),
        response: { 200: stateSummaryOutput },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => sessionStateSummary(a.db, req.params.id, req.query.hours),
  );

  await app.register((await import('../routers/routers.routes.ts')).default);
}
