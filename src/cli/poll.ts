// `peerdesk poll [--router NAME…]`: reads live BGP state from routers now (the Refresh job, run here).
import type { Command } from 'commander';

/** Registers the poll command. */
export function register(program: Command): void {
  program
    .command('poll')
    .description('poll live BGP state from routers (default: all with polling enabled) and store it')
    .option('--router <name...>', 'only these routers')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { router?: string[]; json?: boolean }) => {
      const { cliContext } = await import('./util.ts');
      const ctx = await cliContext();
      try {
        let routerIds: number[] | undefined;
        if (opts.router) {
          const rows = await ctx.db.selectFrom('routers').select(['id', 'name']).where('name', 'in', opts.router).execute();
          const missing = opts.router.filter((n) => !rows.some((r) => r.name === n));
          if (missing.length) throw new Error(`no router named ${missing.join(', ')}`);
          routerIds = rows.map((r) => Number(r.id));
        }
        const { enqueueJob } = await import('../jobs/jobs.service.ts');
        const { runJobNow } = await import('../jobs/run-now.ts');
        const id = await enqueueJob(ctx.db, 'bgp.poll', routerIds ? { router_ids: routerIds } : {});
        const res = await runJobNow(ctx.db, id, (line) => !opts.json && process.stderr.write(`${line}\n`), ctx.secrets);
        if (opts.json) process.stdout.write(`${JSON.stringify(res.result)}\n`);
        const failed = (res.result as any)?.failed ?? 1;
        if (res.status !== 'succeeded' || failed > 0) process.exitCode = 1;
      } finally {
        await ctx.db.destroy();
      }
    });
}
