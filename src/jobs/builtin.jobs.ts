// Housekeeping jobs that belong to no single domain.
import { z } from 'zod';
import { defineJob } from './job.types.ts';
import { now } from '../platform/db.ts';

export const jobs = [
  defineJob({
    kind: 'system.cleanup',
    description: 'Deletes expired UI sessions and finished jobs older than the retention (days)',
    payload: z.object({ retention_days: z.number().int().min(1).max(3650).default(30) }).strict(),
    async run(ctx) {
      const cutoff = new Date(Date.now() - ctx.payload.retention_days * 86400_000).toISOString();
      const s = await ctx.db.deleteFrom('ui_sessions').where('expires_at', '<', now()).executeTakeFirst();
      const j = await ctx.db
        .deleteFrom('jobs')
        .where('status', 'in', ['succeeded', 'cancelled', 'failed'])
        .where('finished_at', '<', cutoff)
        .executeTakeFirst();
      await ctx.log(`removed ${s.numDeletedRows} expired sessions and ${j.numDeletedRows} old jobs`);
      return { sessions: Number(s.numDeletedRows), jobs: Number(j.numDeletedRows) };
    },
  }),
  defineJob({
    kind: 'system.sleep',
    description: 'Waits the given milliseconds, reporting progress (for testing workers and cancellation)',
    payload: z
      .object({ ms: z.number().int().min(0).max(600_000).default(1000), fail: z.boolean().default(false) })
      .strict(),
    async run(ctx) {
      const steps = 10;
      for (let i = 1; i <= steps; i++) {
        if (ctx.signal.aborted) throw new Error('cancelled');
        await new Promise((r) => setTimeout(r, ctx.payload.ms / steps));
        await ctx.progress(i / steps, `step ${i}/${steps}`);
      }
      if (ctx.payload.fail) throw new Error('failed on request');
      return { slept_ms: ctx.payload.ms };
    },
  }),
];
