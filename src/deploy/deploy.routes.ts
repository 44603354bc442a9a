// Deployment endpoints: deploy a router (dry run or for real), list and read deployments (diff and
// log), approve / reject proposals. The pipeline itself runs as a `deploy.run` job (deploy.service.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEPLOYMENT_STATUSES, loadDeployment, presentDeployment, proposeDeployment, reviewDeployment, type Proposer } from './deploy.service.ts';
import { UnauthorizedError } from '../platform/errors.ts';

const deploymentBase = z.object({
  id: z.number().int(),
  router: z.object({ id: z.number().int(), name: z.string() }),
  template: z.object({ id: z.number().int().nullable(), name: z.string(), version: z.number().int().nullable() }).nullable().describe('what was rendered (null until rendered)'),
  data_generation: z.string().nullable().describe('the data generation the render saw'),
  dry_run: z.boolean(),
  force: z.boolean(),
  confirm_timeout: z.number().int().describe('seconds the router waits for the confirmation before reverting by itself'),
  mode: z.enum(['merge', 'replace']).nullable(),
  status: z.enum(DEPLOYMENT_STATUSES),
  reason: z.string().nullable().describe('why it ended as it did (which check failed, "no changes", …)'),
  failed_check: z.string().nullable().describe('lock, pending_confirm, load_candidate, guard:sessions_removed, guard:prefix_list_shrink, commit, router_reachable, untouched_sessions_up, added_sessions_established, …'),
  committed: z.boolean().describe('true while the change is on the router (false after a rollback)'),
  needs_approval: z.boolean(),
  proposed_by: z.string().nullable(),
  reviewed_by: z.string().nullable(),
  review_comment: z.string().nullable(),
  reviewed_at: z.string().nullable(),
  job_id: z.number().int().nullable(),
  git_commit: z.string().nullable(),
  has_changes: z.boolean().nullable().describe('null until the diff is taken'),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
const deploymentOut = deploymentBase.meta({ id: 'Deployment' });
const deploymentDetail = deploymentBase
  .extend({
    candidate: z.string().nullable().describe('the rendered configuration, secrets redacted'),
    diff: z.string().nullable().describe('unified diff running → candidate (empty: no changes), secrets redacted'),
    log: z.string().describe("each step and the device's answers, one line each, secrets redacted"),
  })
  .meta({ id: 'DeploymentDetail' });
const started = z.object({ deployment: deploymentDetail, job_id: z.number().int().nullable().describe('null while the deployment waits for approval') }).meta({ id: 'DeploymentStarted' });
const idParams = z.object({ id: z.coerce.number().int().min(1) });

/** Mounts the deployment routes. */
export default async function deployRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app as any;
  const who = (req: FastifyRequest): Proposer => {
    const p = a.principalOf(req);
    if (!p) throw new UnauthorizedError();
    return { userId: p.userId, username: p.username, role: p.role };
  };

  r.post('/api/routers/:id/deploy/', {
    schema: {
      tags: ['deploy'],
      summary: "Deploy the router's rendered configuration (or only show the diff)",
      description:
        'Creates a deployment and queues its `deploy.run` job: render → read running → diff (dry_run stops here) → guards (no commit for an empty diff; refuse removing more than PEERDESK_DEPLOY_MAX_SESSION_REMOVALS sessions or shrinking a prefix list by more than PEERDESK_DEPLOY_MAX_PREFIX_SHRINK_PCT % unless force; one deployment per router; a pending confirmed commit) → commit with confirmation → health gate → confirm or roll back. With PEERDESK_DEPLOY_REVIEW=1 a deployment that is not a dry run waits (status planned, job_id null) for an admin other than the proposer.',
      params: idParams,
      body: z.object({ dry_run: z.boolean(), force: z.boolean().optional(), confirm_timeout: z.number().int().min(30).max(3600).optional().describe('seconds; default PEERDESK_DEPLOY_CONFIRM_TIMEOUT_S (300)') }).strict(),
      response: { 202: started },
    },
    preValidation: a.requireRole('operator'),
  }, async (req, reply) => {
    const out = await proposeDeployment(a.db, req.params.id, req.body, who(req));
    reply.code(202);
    return { deployment: presentDeployment(out.deployment, true) as any, job_id: out.jobId };
  });

  r.get('/api/deployments/', {
    schema: {
      tags: ['deploy'],
      summary: 'Deployments, newest first (filter by router and status)',
      querystring: z.object({ router: z.coerce.number().int().min(1).optional(), status: z.enum(DEPLOYMENT_STATUSES).optional(), limit: z.coerce.number().int().min(1).max(1000).default(50), offset: z.coerce.number().int().min(0).default(0) }).strict(),
      response: { 200: z.object({ count: z.number().int(), results: z.array(deploymentOut) }) },
    },
    preValidation: a.requireRole('viewer'),
  }, async (req) => {
    let q = a.db.selectFrom('deployments as d').innerJoin('routers as r', 'r.id', 'd.router_id');
    if (req.query.router) q = q.where('d.router_id', '=', req.query.router);
    if (req.query.status) q = q.where('d.status', '=', req.query.status);
    const count = Number((await q.select((eb: any) => eb.fn.countAll().as('c')).executeTakeFirstOrThrow()).c);
    // The list leaves out the big columns; `diff` is read only to say whether there are changes.
    const rows = await q
      .select(['d.id', 'd.router_id', 'r.name as router_name', 'd.template_id', 'd.template_name', 'd.template_version', 'd.data_generation', 'd.dry_run', 'd.force', 'd.confirm_timeout', 'd.mode', 'd.status', 'd.reason', 'd.failed_check', 'd.committed', 'd.needs_approval', 'd.proposed_by_name', 'd.reviewed_by_name', 'd.review_comment', 'd.reviewed_at', 'd.job_id', 'd.git_commit', 'd.created_at', 'd.started_at', 'd.finished_at'])
      .select((eb: any) => eb.case().when('d.diff', 'is', null).then(null).when('d.diff', '=', '').then('').else('x').end().as('diff'))
      .orderBy('d.id', 'desc')
      .limit(req.query.limit)
      .offset(req.query.offset)
      .execute();
    return { count, results: rows.map((row: any) => presentDeployment(row, false)) as any };
  });

  r.get('/api/deployments/:id/', {
    schema: { tags: ['deploy'], summary: 'One deployment with its candidate, diff and log', params: idParams, response: { 200: deploymentDetail } },
    preValidation: a.requireRole('viewer'),
  }, async (req) => presentDeployment(await loadDeployment(a.db, req.params.id), true) as any);

  const review = (approve: boolean) => async (req: any, reply: any) => {
    const out = await reviewDeployment(a.db, req.params.id, approve, req.body?.comment ?? null, who(req));
    reply.code(approve ? 202 : 200);
    return { deployment: presentDeployment(out.deployment, true) as any, job_id: out.jobId } as any;
  };
  const reviewBody = z.object({ comment: z.string().trim().max(2000).nullable().optional() }).strict();
  r.post('/api/deployments/:id/approve/', {
    schema: { tags: ['deploy'], summary: 'Approve a planned deployment (admin, not its proposer): queues its job', params: idParams, body: reviewBody, response: { 202: started } },
    preValidation: a.requireRole('admin'),
  }, review(true));
  r.post('/api/deployments/:id/reject/', {
    schema: { tags: ['deploy'], summary: 'Reject a planned deployment (admin, not its proposer)', params: idParams, body: reviewBody, response: { 200: started } },
    preValidation: a.requireRole('admin'),
  }, review(false));
}
