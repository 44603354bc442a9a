// `peerdesk worker`: runs queued and scheduled jobs.
import type { Command } from 'commander';

/** Registers the worker command. */
export function register(program: Command): void {
  program
    .command('worker')
    .description('run background jobs and schedules (several workers may share one PostgreSQL)')
    .option('--concurrency <n>', 'jobs at once', '2')
    .action(async (opts: { concurrency: string }) => {
      const { cliContext } = await import('./util.ts');
      const ctx = await cliContext();
      const { startWorker } = await import('../jobs/worker.ts');
      const w = startWorker({
        db: ctx.db,
        logger: ctx.logger.child({ component: 'worker' }),
        concurrency: Number(opts.concurrency),
        secrets: ctx.secrets,
      });
      process.stderr.write(`worker ${w.id} started\n`);
      const stop = async () => {
        await w.stop();
        await ctx.db.destroy();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
