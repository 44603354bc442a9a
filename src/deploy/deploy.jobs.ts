// The deploy job: runs one deployment's pipeline (deploy.service.ts). Never retried: a second attempt
// could commit twice; a failed deployment is proposed again instead.
import { z } from 'zod';
import { defineJob } from '../jobs/job.types.ts';
import { onJobCancelled, onWorkerSweep } from '../jobs/jobs.service.ts';

// A queued deploy job cancelled directly (/api/jobs/{id}/cancel/) ends what waited for it as cancelled.
onJobCancelled('deploy.run', async (db, job) => {
  const { deploymentJobCancelled } = await import('./deploy.service.ts');
  await deploymentJobCancelled(db, job.id, Number((job.payload as { deployment_id?: number }).deployment_id));
});
onJobCancelled('deploy.rollout', async (db, job) => {
  const { rolloutJobCancelled } = await import('./rollouts.ts');
  await rolloutJobCancelled(db, job.id, Number((job.payload as { rollout_id?: number }).rollout_id));
});
// Deployments and rollouts whose worker died mid-run end failed (worker_lost); the router lock is released.
onWorkerSweep('deploy.stale', async (db) => {
  const [{ sweepStaleDeployments }, { sweepStaleRollouts }] = await Promise.all([
    import('./deploy.service.ts'),
    import('./rollouts.ts'),
  ]);
  return (await sweepStaleDeployments(db)) + (await sweepStaleRollouts(db));
});

export const jobs = [
  defineJob({
    kind: 'deploy.run',
    description:
      "Deploy a router's rendered configuration: diff, guards, commit with confirmation, health gate, confirm or roll back",
    payload: z.object({ deployment_id: z.number().int().min(1) }).strict(),
    maxAttempts: 1,
    async run(ctx) {
      const { runDeployment } = await import('./deploy.service.ts');
      const out = await runDeployment(
        {
          db: ctx.db,
          secrets: ctx.secrets,
          signal: ctx.signal,
          jobId: ctx.jobId,
          log: (m, level) => ctx.log(m, level),
        },
        ctx.payload.deployment_id,
      );
      // The job fails when the deployment did not end as planned, so job lists show it.
      if (out.status !== 'done')
        throw new Error(`deployment ${ctx.payload.deployment_id} ${out.status}: ${out.reason ?? ''}`);
      return { deployment_id: ctx.payload.deployment_id, status: out.status, reason: out.reason };
    },
  }),
  defineJob({
    kind: 'deploy.rollout',
    description:
      'Run a rollout: one deployment per router, the canary first, then the rest, stopping at the first that does not end done',
    payload: z.object({ rollout_id: z.number().int().min(1) }).strict(),
    maxAttempts: 1,
    async run(ctx) {
      const { runRollout } = await import('./rollouts.ts');
      const out = await runRollout(
        {
          db: ctx.db,
          secrets: ctx.secrets,
          signal: ctx.signal,
          jobId: ctx.jobId,
          log: (m, level) => ctx.log(m, level),
        },
        ctx.payload.rollout_id,
      );
      if (out.status !== 'done')
        throw new Error(`rollout ${ctx.payload.rollout_id} ${out.status}: ${out.reason ?? ''}`);
      return { rollout_id: ctx.payload.rollout_id, status: out.status };
    },
  }),
];
