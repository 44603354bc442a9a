// PeeringDB job kinds: the mirror sync (scheduled daily by migration 0002) and "sync all peer ASNs".
import { z } from 'zod';
import { defineJob, type JobDefinition } from '../jobs/job.types.ts';

export const jobs: JobDefinition[] = [
  defineJob({
    kind: 'peeringdb.sync',
    description: 'Syncs the PeeringDB mirror: full the first time (or with full=true), then incremental with ?since',
    payload: z.object({ full: z.boolean().default(false), sync_peer_asns: z.boolean().default(true) }).strict(),
    // A run is atomic and idempotent: retrying after a failure is safe.
    maxAttempts: 2,
    async run(ctx) {
      const { loadConfig } = await import('../platform/config.ts');
      const { clientFromConfig } = await import('./peeringdb.client.ts');
      const { syncPeeringDb } = await import('./peeringdb.sync.ts');
      const client = clientFromConfig(loadConfig(), {
        onRequest: (r) => {
          if (r.waitMs !== undefined)
            void ctx.log(
              `${r.error ?? 'retry'}: waiting ${Math.round(r.waitMs / 100) / 10} s before retrying ${r.url}`,
              'warn',
            );
        },
      });
      const run = await syncPeeringDb(ctx.db, {
        client,
        full: ctx.payload.full,
        jobId: ctx.jobId,
        userId: ctx.userId,
        signal: ctx.signal,
        log: (m, level) => ctx.log(m, level),
        progress: (f, m) => ctx.progress(ctx.payload.sync_peer_asns ? f * 0.9 : f, m),
      });
      let peerAsns: unknown = null;
      if (ctx.payload.sync_peer_asns) {
        // Peer ASNs follow the fresh mirror right away (followed fields only).
        const { syncAllPeerAsns } = await import('./peeringdb.service.ts');
        peerAsns = await syncAllPeerAsns(ctx.db, {
          signal: ctx.signal,
          log: (m, l) => ctx.log(m, l),
          progress: (f, m) => ctx.progress(0.9 + f * 0.1, m),
        });
      }
      await ctx.progress(1, 'done');
      return { run_id: run.id, mode: run.mode, counts: run.counts, peer_asns: peerAsns };
    },
  }),
  defineJob({
    kind: 'peeringdb.sync_peer_asns',
    description: 'Updates peer ASNs (name, IRR AS-SET, max-prefixes, PeeringDB id) from the PeeringDB mirror',
    payload: z.object({ peer_asn_ids: z.array(z.number().int().min(1)).optional() }).strict(),
    maxAttempts: 1,
    async run(ctx) {
      const { syncAllPeerAsns } = await import('./peeringdb.service.ts');
      const actor = { userId: ctx.userId, username: null };
      const result = await syncAllPeerAsns(ctx.db, {
        ids: ctx.payload.peer_asn_ids,
        actor,
        signal: ctx.signal,
        log: (m, l) => ctx.log(m, l),
        progress: (f, m) => ctx.progress(f, m),
      });
      await ctx.log(
        `checked ${result.checked} peer ASNs, updated ${result.updated}, ${result.not_found.length} not in PeeringDB`,
      );
      return result;
    },
  }),
];

/** The schedules PeeringDB wants by default (migration 0002 inserts the first one). */
export const defaultSchedules = [{ name: 'peeringdb-sync', kind: 'peeringdb.sync', cron: '30 4 * * *', payload: {} }];
