// The poll job: reads live BGP state from routers (the session list's Refresh), one router at a time
// per worker slot, reporting progress as each router's results land.
import { z } from 'zod';
import { defineJob } from '../jobs/job.types.ts';

export const jobs = [
  defineJob({
    kind: 'bgp.poll',
    description: 'Poll BGP state from routers (all with polling enabled, or the given ids)',
    payload: z.object({ router_ids: z.array(z.number().int().min(1)).max(10_000).optional() }).strict(),
    maxAttempts: 1,
    async run(ctx) {
      const { pollRouter } = await import('./poll.service.ts');
      let secrets = ctx.secrets;
      if (!secrets) {
        const { SecretBox, resolveSecretKey } = await import('../platform/crypto.ts');
        const { loadConfig } = await import('../platform/config.ts');
        const config = loadConfig();
        secrets = new SecretBox(resolveSecretKey(config.PEERDESK_SECRET_KEY, config.PEERDESK_DATA_DIR, config.PEERDESK_DATABASE_URL.startsWith('sqlite:')));
      }
      let q = ctx.db.selectFrom('routers').select(['id', 'name']);
      q = ctx.payload.router_ids ? q.where('id', 'in', ctx.payload.router_ids) : q.where('polling_enabled', '=', true);
      const routers = await q.orderBy('name').execute();
      await ctx.log(`polling ${routers.length} router(s)`);
      const results = [];
      for (const [i, r] of routers.entries()) {
        if (ctx.signal.aborted) throw new Error('cancelled');
        const res = await pollRouter(ctx.db, Number(r.id), secrets, ctx.signal);
        results.push(res);
        await ctx.log(res.ok ? `${r.name}: ${res.peers} peers, ${res.changed} changed${res.missing ? `, ${res.missing} not on the router` : ''}` : `${r.name}: ${res.error}`, res.ok ? 'info' : 'warn');
        await ctx.progress((i + 1) / routers.length, `${i + 1}/${routers.length} routers`);
      }
      return { routers: results.length, failed: results.filter((r) => !r.ok).length, results };
    },
  }),
];
