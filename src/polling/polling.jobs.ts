// Job kinds of the live features: poll (Refresh, router page, schedule), admin up/down on the device
// (also run inline by the API, bounded), and import of a router's existing sessions.
import { z } from 'zod';
import { defineJob } from '../jobs/job.types.ts';

const ids = z.array(z.number().int().min(1)).max(10_000);

/** RFC 8203/9003 shutdown communication: at most 255 octets of UTF-8. */
export const shutdownMessage = z
  .string()
  .max(255)
  .refine((v) => Buffer.byteLength(v, 'utf8') <= 255, 'must be at most 255 bytes of UTF-8 (RFC 9003)')
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters');

export const jobs = [
  defineJob({
    kind: 'bgp.poll',
    description:
      'Poll BGP state from routers (all with polling enabled, or the given ids), concurrently (PEERDESK_POLL_CONCURRENCY)',
    payload: z.object({ router_ids: ids.optional() }).strict(),
    maxAttempts: 1,
    async run(ctx) {
      const { pollRouters } = await import('./poll.service.ts');
      const ids = ctx.payload.router_ids ?? null;
      await ctx.log(ids ? `polling ${ids.length} router(s)` : 'polling every router with polling enabled');
      const result = await pollRouters(ctx.db, ids, {
        secrets: ctx.secrets,
        signal: ctx.signal,
        jobId: ctx.jobId,
        log: (m, level) => ctx.log(m, level),
        onResult: (_r, done, total) => ctx.progress(done / total, `${done}/${total} routers`),
      });
      if (ctx.signal.aborted) throw new Error('cancelled');
      await ctx.log(
        `${result.routers.length - result.failed} of ${result.routers.length} router(s) reached${
          result.failed
            ? `; failed: ${result.routers
                .filter((r) => !r.ok)
                .map((r) => `${r.name} (${r.error})`)
                .join(', ')}`
            : ''
        }`,
        result.failed ? 'warn' : 'info',
      );
      return result;
    },
  }),
  defineJob({
    kind: 'bgp.admin',
    description: 'Admin up or down BGP peers on their routers (and in Peerdesk), then re-poll those routers',
    payload: z
      .object({ bgp_peer_ids: ids, enabled: z.boolean(), message: shutdownMessage.nullable().optional() })
      .strict(),
    maxAttempts: 1,
    async run(ctx) {
      const { applyAdminState } = await import('./admin.service.ts');
      await ctx.log(
        `${ctx.payload.enabled ? 'admin up' : 'admin down'} of ${ctx.payload.bgp_peer_ids.length} BGP peer(s)`,
      );
      return applyAdminState(ctx.db, ctx.payload.bgp_peer_ids, ctx.payload.enabled, {
        secrets: ctx.secrets,
        signal: ctx.signal,
        message: ctx.payload.message ?? null,
        userId: ctx.userId,
        jobId: ctx.jobId,
        log: (m, level) => ctx.log(m, level),
      });
    },
  }),
  defineJob({
    kind: 'router.import',
    description: "Import a router's existing BGP sessions (dry run: preview only)",
    payload: z
      .object({
        router_id: z.number().int().min(1),
        dry_run: z.boolean(),
        peer_ips: z.array(z.string().max(64)).max(10_000).optional(),
      })
      .strict(),
    maxAttempts: 1,
    async run(ctx) {
      const { importSessions } = await import('../routers/import.service.ts');
      return importSessions(ctx.db, ctx.payload.router_id, {
        dryRun: ctx.payload.dry_run,
        peerIps: ctx.payload.peer_ips,
        secrets: ctx.secrets,
        signal: ctx.signal,
        userId: ctx.userId,
        jobId: ctx.jobId,
        log: (m, level) => ctx.log(m, level),
      });
    },
  }),
];
