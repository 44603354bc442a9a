// `peerdesk job run KIND`: runs any job kind in this process (same code path as the worker).
import type { Command } from 'commander';

/** Registers the job commands. */
export function register(program: Command): void {
  const job = program.command('job').description('background jobs');
  job
    .command('kinds')
    .description('list job kinds')
    .action(async () => {
      const { allJobDefinitions } = await import('../jobs/registry.ts');
      for (const d of await allJobDefinitions()) process.stdout.write(`${d.kind.padEnd(28)} ${d.description}\n`);
    });
  job
    .command('run <kind>')
    .description('queue a job and run it here to completion, printing its log')
    .option('--payload <json>', 'payload as JSON', '{}')
    .option('--json', 'print the result as JSON')
    .action(async (kind: string, opts: { payload: string; json?: boolean }) => {
      const { cliContext } = await import('./util.ts');
      const ctx = await cliContext();
      try {
        let payload: unknown;
        try {
          payload = JSON.parse(opts.payload);
        } catch {
          throw new Error('--payload is not valid JSON');
        }
        const { enqueueJob } = await import('../jobs/jobs.service.ts');
        const { runJobNow } = await import('../jobs/run-now.ts');
        const id = await enqueueJob(ctx.db, kind, payload);
        const result = await runJobNow(
          ctx.db,
          id,
          (line) => {
            if (!opts.json) process.stderr.write(`${line}\n`);
          },
          ctx.secrets,
        );
        process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `job ${id} ${result.status}\n`);
        if (result.status !== 'succeeded') process.exitCode = 1;
      } finally {
        await ctx.db.destroy();
      }
    });
}
