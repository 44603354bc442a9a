// The deployment schemas the API answers with (OpenAPI), shared by the deploy routes and the session
// resource's DELETE ?remove_from_router=1, which starts a deployment too.
import { z } from 'zod';
import { DEPLOYMENT_STATUSES } from './deploy.service.ts';

const deploymentBase = z.object({
  id: z.number().int(),
  router: z.object({ id: z.number().int(), name: z.string() }),
  template: z
    .object({ id: z.number().int().nullable(), name: z.string(), version: z.number().int().nullable() })
    .nullable()
    .describe('what was rendered (null until rendered)'),
  data_generation: z.string().nullable().describe('the data generation the render saw'),
  dry_run: z.boolean(),
  force: z.boolean(),
  confirm_timeout: z
    .number()
    .int()
    .describe('seconds the router waits for the confirmation before reverting by itself'),
  mode: z.enum(['merge', 'replace']).nullable(),
  status: z.enum(DEPLOYMENT_STATUSES),
  reason: z.string().nullable().describe('why it ended as it did (which check failed, "no changes", …)'),
  failed_check: z
    .string()
    .nullable()
    .describe(
      'lock, pending_confirm, load_candidate, guard:sessions_removed, guard:prefix_list_shrink, commit, router_reachable, untouched_sessions_up, added_sessions_established, …',
    ),
  committed: z.boolean().describe('true while the change is on the router (false after a rollback)'),
  needs_approval: z.boolean(),
  proposed_by: z.string().nullable(),
  reviewed_by: z.string().nullable(),
  review_comment: z.string().nullable(),
  reviewed_at: z.string().nullable(),
  job_id: z.number().int().nullable(),
  git_commit: z.string().nullable(),
  has_changes: z.boolean().nullable().describe('null until the diff is taken'),
  action: z
    .enum(['deploy', 'configure', 'deconfigure'])
    .describe(
      "deploy: a router deploy; configure: a session's Configure / Config Manager; deconfigure: rendered without the session, which is deleted when it succeeds",
    ),
  session: z
    .object({ id: z.number().int(), name: z.string().nullable() })
    .nullable()
    .describe('the session a configure / deconfigure is for (it may since be deleted)'),
  rollout_id: z.number().int().nullable(),
  edited: z.boolean().describe('the Config Manager replaced the rendered candidate or added one-time commands'),
  one_time_credentials: z
    .boolean()
    .describe('the deployment uses credentials given for it only (held in memory, never stored)'),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  run_at: z
    .string()
    .nullable()
    .describe(
      'scheduled window: when the job runs (null = as soon as possible; with change review, on approval — at once when the window passed while waiting)',
    ),
});
export const deploymentOut = deploymentBase.meta({ id: 'Deployment' });
export const deploymentDetail = deploymentBase
  .extend({
    candidate: z.string().nullable().describe('the rendered configuration, secrets redacted'),
    diff: z.string().nullable().describe('unified diff running → candidate (empty: no changes), secrets redacted'),
    log: z.string().describe("each step and the device's answers, one line each, secrets redacted"),
  })
  .meta({ id: 'DeploymentDetail' });
/** The answer of every call that starts a deployment (202; 200 for a rejection). */
export const deploymentStarted = z
  .object({
    deployment: deploymentDetail,
    job_id: z.number().int().nullable().describe('null while the deployment waits for approval'),
  })
  .meta({ id: 'DeploymentStarted' });
