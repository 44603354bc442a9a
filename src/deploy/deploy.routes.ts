// Deployment endpoints: deploy a router (dry run or for real), list and read deployments (diff and
// log), approve / reject proposals. The pipeline itself runs as a `deploy.run` job (deploy.service.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  DEPLOYMENT_STATUSES,
  RUN_AT_MAX_DAYS,
  cancelDeployment,
  loadDeployment,
  presentDeployment,
  proposeDeployment,
  reviewDeployment,
  type Proposer,
} from './deploy.service.ts';
import { UnauthorizedError } from '../platform/errors.ts';
import { pageLinks } from '../platform/crud.ts';

import { cancelRollout, createRollout, listRollouts, loadRollout, ROLLOUT_STATUSES } from './rollouts.ts';
import { proposeSessionAction } from './session-actions.ts';
import { deploymentDetail, deploymentOut, deploymentStarted as started } from './deploy.schema.ts';

const idParams = z.object({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 53 - 1),
});
const runAt = z.iso
  .datetime({ offset: true })
  .describe(
    `scheduled window: run the deployment at this time (ISO 8601 date-time, in the future, at most ${RUN_AT_MAX_DAYS} days ahead); absent = as soon as possible`,
  );

// The RouterCredentials fields, given once (Config Manager); never stored.
const oneTimeCredentials = z
  .object({
    username: z.string().max(200).optional(),
    password: z.string().max(1000).optional(),
    ssh_private_key: z.string().max(20_000).optional(),
    ssh_passphrase: z.string().max(1000).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    api_token: z.string().max(2000).optional(),
    ssh_host_key: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'the host key fingerprint as `ssh-keygen -lf` prints it: SHA256:…')
      .optional(),
    insecure_skip_host_key: z.boolean().optional(),
    insecure_tls: z.boolean().optional(),
    ca_pem: z
      .string()
      .max(20_000)
      .regex(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate')
      .optional(),
  })
  .strict()
  .refine((c) => Object.keys(c).length > 0, 'give at least one credential field');
const command = z
  .string()
  .max(2000)
  .refine((l) => !/[\r\n]/.test(l), 'one configuration line per entry (no line breaks)');
const configureBody = z
  .object({
    dry_run: z.boolean().optional().describe('default false: true shows the diff and applies nothing'),
    force: z.boolean().optional(),
    confirm_timeout: z
      .number()
      .int()
      .min(30)
      .max(3600)
      .optional()
      .describe('seconds; default PEERDESK_DEPLOY_CONFIRM_TIMEOUT_S (300)'),
    candidate: z
      .string()
      .min(1)
      .max(5_000_000)
      .optional()
      .describe(
        "Config Manager: an edited candidate replacing the rendered one (the platform's full configuration text, with real secrets: `<redacted>` is refused)",
      ),
    commands_before: z
      .array(command)
      .max(500)
      .optional()
      .describe(
        'Config Manager: configuration lines put before the candidate, this time only (every platform: lines of the loaded text — FRR vtysh configuration lines, BIRD bird.conf lines, Junos / EOS / IOS-XR configuration lines)',
      ),
    commands_after: z
      .array(command)
      .max(500)
      .optional()
      .describe('Config Manager: configuration lines put after the candidate, this time only'),
    credentials: oneTimeCredentials
      .optional()
      .describe(
        'Config Manager: credentials for this deployment only, over the stored ones (given fields replace them); held in the server process memory for the job, never stored or logged; needs the in-process worker',
      ),
    run_at: runAt.optional(),
  })
  .strict();
const rolloutRouter = z.object({
  order: z.number().int(),
  canary: z.boolean(),
  router: z.object({ id: z.number().int(), name: z.string() }),
  deployment_id: z.number().int(),
  status: z.enum(DEPLOYMENT_STATUSES),
  reason: z.string().nullable(),
  failed_check: z
    .string()
    .nullable()
    .describe('rollout_stopped: not run because an earlier deployment did not end done'),
  has_changes: z.boolean().nullable(),
  committed: z.boolean(),
});
const rolloutOut = z
  .object({
    id: z.number().int(),
    status: z.enum(ROLLOUT_STATUSES),
    canary: z.boolean(),
    dry_run: z.boolean(),
    force: z.boolean(),
    session_ids: z.array(z.number().int()),
    run_at: z.string(),
    reason: z.string().nullable(),
    job_id: z.number().int().nullable(),
    created_by: z.string().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    routers: z.array(rolloutRouter),
  })
  .meta({ id: 'Rollout' });

/** Mounts the deployment routes. */
export default async function deployRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app;
  const who = (req: FastifyRequest): Proposer => {
    const p = a.principalOf(req);
    if (!p) throw new UnauthorizedError();
    return { userId: p.userId, username: p.username, role: p.role };
  };

  r.post(
    '/api/routers/:id/deploy/',
    {
      schema: {
        tags: ['deploy'],
        summary: "Deploy the router's rendered configuration (or only show the diff)",
        description:
          'Creates a deployment and queues its `deploy.run` job: render → read running → diff (dry_run stops here) → guards (no commit for an empty diff; refuse removing more than PEERDESK_DEPLOY_MAX_SESSION_REMOVALS sessions or shrinking a prefix list by more than PEERDESK_DEPLOY_MAX_PREFIX_SHRINK_PCT % unless force; one deployment per router; a pending confirmed commit) → commit with confirmation → health gate → confirm or roll back. With PEERDESK_DEPLOY_REVIEW=1 a deployment that is not a dry run waits (status planned, job_id null) for an admin other than the proposer.',
        params: idParams,
        body: z
          .object({
            dry_run: z.boolean(),
            force: z.boolean().optional(),
            confirm_timeout: z
              .number()
              .int()
              .min(30)
              .max(3600)
              .optional()
              .describe('seconds; default PEERDESK_DEPLOY_CONFIRM_TIMEOUT_S (300)'),
            run_at: runAt.optional(),
          })
          .strict(),
        response: { 202: started },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => {
      const out = await proposeDeployment(a.db, req.params.id, req.body, who(req));
      reply.code(202);
      return { deployment: presentDeployment(out.deployment, true), job_id: out.jobId };
    },
  );

  r.get(
    '/api/deployments/',
    {
      schema: {
        tags: ['deploy'],
        summary: 'Deployments, newest first (filter by router and status)',
        querystring: z
          .object({
            router: z.coerce.number().int().min(1).optional(),
            status: z.enum(DEPLOYMENT_STATUSES).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(50),
            offset: z.coerce.number().int().min(0).default(0),
          })
          .strict(),
        response: {
          200: z.object({
            count: z.number().int(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(deploymentOut),
          }),
        },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      let q = a.db.selectFrom('deployments as d').innerJoin('routers as r', 'r.id', 'd.router_id');
      if (req.query.router) q = q.where('d.router_id', '=', req.query.router);
      if (req.query.status) q = q.where('d.status', '=', req.query.status);
      const count = Number((await q.select((eb) => eb.fn.countAll().as('c')).executeTakeFirstOrThrow()).c);
      // The list leaves out the big columns; `diff` is read only to say whether there are changes.
      const rows = await q
        .select([
          'd.id',
          'd.router_id',
          'r.name as router_name',
          'd.action',
          'd.session_id',
          'd.session_repr',
          'd.rollout_id',
          'd.one_time_credentials',
          'd.overrides_enc',
          'd.template_id',
          'd.template_name',
          'd.template_version',
          'd.data_generation',
          'd.dry_run',
          'd.force',
          'd.confirm_timeout',
          'd.mode',
          'd.status',
          'd.reason',
          'd.failed_check',
          'd.committed',
          'd.needs_approval',
          'd.proposed_by_name',
          'd.reviewed_by_name',
          'd.review_comment',
          'd.reviewed_at',
          'd.job_id',
          'd.git_commit',
          'd.created_at',
          'd.started_at',
          'd.finished_at',
          'd.run_at',
        ])
        .select((eb) =>
          eb.case().when('d.diff', 'is', null).then(null).when('d.diff', '=', '').then('').else('x').end().as('diff'),
        )
        .orderBy('d.id', 'desc')
        .limit(req.query.limit)
        .offset(req.query.offset)
        .execute();
      return {
        count,
        ...pageLinks(req, count, req.query.limit, req.query.offset),
        results: rows.map((row) => presentDeployment(row, false)),
      };
    },
  );

  r.get(
    '/api/deployments/:id/',
    {
      schema: {
        tags: ['deploy'],
        summary: 'One deployment with its candidate, diff and log',
        params: idParams,
        response: { 200: deploymentDetail },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => presentDeployment(await loadDeployment(a.db, req.params.id), true),
  );

  const review = async (
    approve: boolean,
    req: FastifyRequest,
    reply: FastifyReply,
    id: number,
    body: z.infer<typeof reviewBody> | undefined,
  ) => {
    const out = await reviewDeployment(a.db, id, approve, body?.comment ?? null, who(req));
    reply.code(approve ? 202 : 200);
    return { deployment: presentDeployment(out.deployment, true), job_id: out.jobId };
  };
  const reviewBody = z.object({ comment: z.string().trim().max(2000).nullable().optional() }).strict();
  r.post(
    '/api/deployments/:id/approve/',
    {
      schema: {
        tags: ['deploy'],
        summary: 'Approve a planned deployment (admin, not its proposer): queues its job',
        params: idParams,
        body: reviewBody,
        response: { 202: started },
      },
      preValidation: a.requireRole('admin'),
    },
    (req, reply) => review(true, req, reply, req.params.id, req.body),
  );
  r.post(
    '/api/deployments/:id/reject/',
    {
      schema: {
        tags: ['deploy'],
        summary: 'Reject a planned deployment (admin, not its proposer)',
        params: idParams,
        body: reviewBody,
        response: { 200: started },
      },
      preValidation: a.requireRole('admin'),
    },
    (req, reply) => review(false, req, reply, req.params.id, req.body),
  );

  const cancelBody = z
    .object({ reason: z.string().trim().max(2000).nullable().optional().describe('why (written to the log)') })
    .strict();
  r.post(
    '/api/deployments/:id/cancel/',
    {
      schema: {
        tags: ['deploy'],
        summary: 'Cancel a deployment that has not started (the proposer or an admin)',
        description:
          'A deployment that is planned or approved (scheduled with run_at, or waiting for review) and whose job has not started: its queued job is cancelled and it ends `cancelled`, with who and why in its log. One already applying / confirming (or whose job is running) → 409 not_cancellable. Cancelling its queued job through /api/jobs/{id}/cancel/ ends it cancelled too.',
        params: idParams,
        body: cancelBody.nullish(),
        response: { 200: deploymentDetail },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req) =>
      presentDeployment(await cancelDeployment(a.db, req.params.id, req.body?.reason ?? null, who(req)), true),
  );

  const sessionAction = async (
    action: 'configure' | 'deconfigure',
    req: FastifyRequest,
    reply: FastifyReply,
    id: number,
    body: z.infer<typeof configureBody> | undefined,
  ) => {
    const out = await proposeSessionAction(a.db, id, action, body ?? {}, who(req), a.secrets);
    reply.code(202);
    return { deployment: presentDeployment(out.deployment, true), job_id: out.jobId };
  };
  const configureSchema = (summary: string) => ({
    tags: ['deploy'],
    summary,
    description:
      'A deployment of the session\'s router through the router deploy pipeline (render → diff → guards → commit with confirmation → health gate → confirm or roll back); dry_run shows the diff. The Config Manager fields (candidate, commands_before / commands_after, one-time credentials) apply to this deployment only. One-time credentials are refused when the deployment would wait for approval, and the job fails ("one-time credentials need the in-process worker") when a worker process other than this server\'s runs it.',
    params: idParams,
    body: configureBody,
    response: { 202: started },
  });
  r.post(
    '/api/peering-sessions/:id/configure/',
    {
      schema: configureSchema(
        "Configure: deploy the session's router (one click, or with the Config Manager's fields)",
      ),
      preValidation: a.requireRole('operator'),
    },
    (req, reply) => sessionAction('configure', req, reply, req.params.id, req.body),
  );
  r.post(
    '/api/peering-sessions/:id/config-manager/',
    {
      schema: configureSchema(
        'Config Manager: the same as configure (an edited candidate, one-time commands and credentials)',
      ),
      preValidation: a.requireRole('operator'),
    },
    (req, reply) => sessionAction('configure', req, reply, req.params.id, req.body),
  );
  r.post(
    '/api/peering-sessions/:id/remove-from-router/',
    {
      schema: {
        tags: ['deploy'],
        summary: 'Delete with "also remove from the router": deconfigure, then delete the session and its BGP peer',
        description:
          'A deployment whose candidate is rendered without the session; when it ends done (applied and confirmed, or nothing to change because the router did not have it) the job deletes the session and its BGP peer. If it fails or rolls back, the session stays. dry_run shows the diff and deletes nothing. (The generic DELETE /api/peering-sessions/{id}/ deletes without touching the router.)',
        params: idParams,
        body: configureBody
          .pick({ dry_run: true, force: true, confirm_timeout: true, credentials: true, run_at: true })
          .strict()
          .optional(),
        response: { 202: started },
      },
      preValidation: a.requireRole('operator'),
    },
    (req, reply) => sessionAction('deconfigure', req, reply, req.params.id, req.body),
  );

  r.post(
    '/api/rollouts/',
    {
      schema: {
        tags: ['deploy'],
        summary:
          'Roll out to several routers: the canary first, then the rest, stopping at the first deployment that does not end done',
        description:
          'One deployment per router (the router_ids, then the routers of session_ids, each once, in that order), run by one `deploy.rollout` job: now, at `at`, or in one hour when `scheduled` is true. Refused (409) with PEERDESK_DEPLOY_REVIEW=1 unless dry_run.',
        body: z
          .object({
            session_ids: z.array(z.number().int().min(1)).max(1000).optional(),
            router_ids: z.array(z.number().int().min(1)).max(1000).optional(),
            scheduled: z.boolean().optional().describe('true: at `at`, default now + 1 h'),
            at: z.iso.datetime({ offset: true }).optional().describe('when to start (ISO 8601)'),
            canary: z.boolean().optional().describe('default true: the first router alone, then the rest'),
            dry_run: z.boolean().optional(),
            force: z.boolean().optional(),
            confirm_timeout: z.number().int().min(30).max(3600).optional(),
          })
          .strict(),
        response: { 202: z.object({ rollout: rolloutOut, job_id: z.number().int() }) },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => {
      const out = await createRollout(a.db, req.body, who(req), a.secrets);
      reply.code(202);
      return { rollout: out.rollout, job_id: out.jobId };
    },
  );
  r.get(
    '/api/rollouts/',
    {
      schema: {
        tags: ['deploy'],
        summary: 'Rollouts, newest first (filter by status), each with its routers and their deployments',
        querystring: z
          .object({
            status: z.enum(ROLLOUT_STATUSES).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(50),
            offset: z.coerce.number().int().min(0).default(0),
          })
          .strict(),
        response: {
          200: z.object({
            count: z.number().int(),
            next: z.string().nullable(),
            previous: z.string().nullable(),
            results: z.array(rolloutOut),
          }),
        },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const { count, results } = await listRollouts(a.db, req.query);
      return { count, ...pageLinks(req, count, req.query.limit, req.query.offset), results };
    },
  );
  r.post(
    '/api/rollouts/:id/cancel/',
    {
      schema: {
        tags: ['deploy'],
        summary: 'Cancel a scheduled rollout and its deployments (its creator or an admin)',
        description:
          'A rollout that has not started (status scheduled): its queued job is cancelled, it ends `stopped` with "cancelled by …" as its reason, and its deployments end `cancelled`. A running or finished rollout → 409 not_cancellable.',
        params: idParams,
        body: cancelBody.nullish(),
        response: { 200: rolloutOut },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req) => cancelRollout(a.db, req.params.id, req.body?.reason ?? null, who(req)),
  );
  r.get(
    '/api/rollouts/:id/',
    {
      schema: {
        tags: ['deploy'],
        summary: "A rollout with each router's deployment and status",
        params: idParams,
        response: { 200: rolloutOut },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => loadRollout(a.db, req.params.id),
  );
}
