// The scheduled IRR refresh: every peer ASN with an AS-SET, concurrently over one small pool, as one job.
import { z } from 'zod';
import { defineJob } from '../jobs/job.types.ts';

export const jobs = [
  defineJob({
    kind: 'irr.refresh_all',
    description: 'Refresh the IRR prefix lists and AS-path lists of peer ASNs (all with an AS-SET, or the given ids)',
    payload: z
      .object({
        peer_asn_ids: z.array(z.number().int().min(1)).max(100_000).optional(),
        concurrency: z.number().int().min(1).max(256).default(32),
        rate_per_second: z.number().min(0).max(10_000).default(0),
      })
      .strict(),
    maxAttempts: 2,
    async run(ctx) {
      const { defaultPool, applyExpansion } = await import('./irr.service.ts');
      const { refreshMany } = await import('./expand.ts');
      let q = ctx.db.selectFrom('peer_asns').select(['id', 'asn', 'irr_as_set', 'irr_sources']);
      q = ctx.payload.peer_asn_ids
        ? q.where('id', 'in', ctx.payload.peer_asn_ids)
        : q.where('irr_as_set', 'is not', null);
      const peers = await q.orderBy('asn').execute();
      await ctx.log(`refreshing ${peers.length} peer ASNs`);
      const pool = await defaultPool();
      let held = 0;
      let failed = 0;
      let changed = 0;
      try {
        const outcomes = await refreshMany(
          peers.map((p) => ({
            target: p.irr_as_set ?? `AS${p.asn}`,
            key: Number(p.id),
            sources: p.irr_sources ? String(p.irr_sources).split(',') : undefined,
          })),
          {
            families: [4, 6],
            concurrency: ctx.payload.concurrency,
            ratePerSecond: ctx.payload.rate_per_second || undefined,
            onProgress: (p) =>
              void ctx
                .progress(p.done / Math.max(1, p.total), `${p.done}/${p.total} expanded, ${p.failed} failed`)
                .catch(() => {}),
          },
          pool,
        );
        for (const o of outcomes) {
          if (ctx.signal.aborted) throw new Error('cancelled');
          if (!o.ok || !o.result) {
            failed++;
            await ctx.log(`${o.target}: ${o.error}`, 'warn');
            await ctx.db
              .updateTable('peer_asns')
              .set({ irr_last_error: o.error ?? 'failed' })
              .where('id', '=', Number(o.key))
              .execute();
            continue;
          }
          // Each peer in its own transaction: one bad peer never undoes the others.
          const res = await ctx.db.transaction().execute((tx) =>
            applyExpansion(tx, Number(o.key), o.result!, {
              server: pool.label,
              actor: { userId: ctx.userId, username: 'irr-refresh' },
            }),
          );
          for (const l of res.lists) {
            if (l.status === 'held') {
              held++;
              await ctx.log(`${l.prefix_list.name}: held for review: ${l.reason}`, 'warn');
            } else if (l.status === 'active') changed++;
          }
        }
      } finally {
        pool.close();
      }
      await ctx.log(`done: ${changed} lists changed, ${held} held for review, ${failed} peers failed`);
      return { peers: peers.length, lists_changed: changed, held, failed };
    },
  }),
];
