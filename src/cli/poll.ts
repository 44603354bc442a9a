// `peerdesk poll [--router NAME…] [--json]`: reads live BGP state from routers now (the Refresh job,
// run here, concurrently per PEERDESK_POLL_CONCURRENCY) and prints one line per router.
import type { Command } from 'commander';

/** Registers the poll command. */
export function register(program: Command): void {
  program
    .command('poll')
    .description(
      'poll live BGP state from routers (default: all with polling enabled) and store it; exit 1 if a router failed',
    )
    .option('--router <name...>', 'only these routers')
    .option(
      '--json',
      'print the job result as JSON: {routers: [{id, name, ok, error?, peers, changed, missing, …}], failed}',
    )
    .action(async (opts: { router?: string[]; json?: boolean }) => {
      const { cliContext } = await import('./util.ts');
      const ctx = await cliContext();
      try {
        let routerIds: number[] | undefined;
        if (opts.router) {
          const rows = await ctx.db
            .selectFrom('routers')
            .select(['id', 'name'])
            .where('name', 'in', opts.router)
            .execute();
          const missing = opts.router.filter((n) => !rows.some((r) => r.name === n));
          if (missing.length) throw new Error(`no router named ${missing.join(', ')}`);
          routerIds = rows.map((r) => Number(r.id));
        }
        const { enqueueJob } = await import('../jobs/jobs.service.ts');
        const { runJobNow } = await import('../jobs/run-now.ts');
        const id = await enqueueJob(ctx.db, 'bgp.poll', routerIds ? { router_ids: routerIds } : {});
        const verbose = !opts.json && process.stderr.isTTY;
        const res = await runJobNow(ctx.db, id, (line) => verbose && process.stderr.write(`${line}\n`), ctx.secrets);
        const result = res.result as {
          routers: {
            name: string;
            ok: boolean;
            error?: string;
            peers: number;
            changed: number;
            missing: number;
            neighbors: number;
          }[];
          failed: number;
        } | null;
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else if (result) {
          for (const r of result.routers) {
            process.stdout.write(
              r.ok
                ? `${r.name}\treached\t${r.neighbors} neighbours, ${r.peers} peers, ${r.changed} changed${r.missing ? `, ${r.missing} not on the router` : ''}\n`
                : `${r.name}\tfailed\t${r.error}\n`,
            );
          }
          if (!result.routers.length) process.stdout.write('no router to poll (none has polling enabled)\n');
        } else process.stderr.write(`poll job ${id} ${res.status}: ${res.error}\n`);
        if (res.status !== 'succeeded' || (result?.failed ?? 1) > 0) process.exitCode = 1;
      } finally {
        await ctx.db.destroy();
      }
    });
}
