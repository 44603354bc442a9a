// `peerdesk deploy ROUTER [--dry-run] [--confirm-timeout S] [--force] [--at ISO] [--json]`: deploys a
// router's rendered configuration here and now (the `deploy.run` job, run in this process) and prints
// the diff and the outcome. With --at the deployment is scheduled instead: its job is queued for that
// time and a worker (or `peerdesk serve`) runs it; the command prints the planned deployment. With PEERDESK_DEPLOY_REVIEW=1 a deployment that is not a dry run is only proposed
// (approve it in the UI/API). Exit code 1 unless the deployment ended `done` (or waits for approval).
import type { Command } from 'commander';

/** Registers the deploy command. */
export function register(program: Command): void {
  program
    .command('deploy')
    .description(
      "deploy a router's rendered configuration: diff, guards, commit with confirmation, health gate, confirm or roll back",
    )
    .argument('<router>', 'router name')
    .option('--dry-run', 'only render and show the diff against the running configuration')
    .option(
      '--confirm-timeout <seconds>',
      'seconds the router waits for the confirmation before reverting by itself (30–3600)',
    )
    .option('--force', 'deploy even when the guards refuse (sessions removed, prefix lists shrunk)')
    .option(
      '--at <iso>',
      'schedule it: run at this time (ISO 8601 date-time, in the future, at most 30 days ahead) by a worker, instead of now in this process',
    )
    .option('--json', 'print the deployment as JSON (with diff and log)')
    .action(
      async (
        name: string,
        opts: { dryRun?: boolean; confirmTimeout?: string; force?: boolean; at?: string; json?: boolean },
      ) => {
        const timeout = opts.confirmTimeout === undefined ? undefined : Number(opts.confirmTimeout);
        if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 30 || timeout > 3600))
          throw new Error('--confirm-timeout must be a whole number of seconds from 30 to 3600');
        if (opts.at !== undefined) {
          const { checkRunAt } = await import('../deploy/deploy.service.ts');
          try {
            checkRunAt(opts.at);
          } catch (e) {
            throw new Error(`--at: ${e instanceof Error ? e.message.replace(/^run_at: /, '') : String(e)}`);
          }
        }
        const { cliContext } = await import('./util.ts');
        const ctx = await cliContext();
        try {
          const router = await ctx.db.selectFrom('routers').select('id').where('name', '=', name).executeTakeFirst();
          if (!router) throw new Error(`no router named ${name}`);
          const { proposeDeployment, loadDeployment, presentDeployment } = await import('../deploy/deploy.service.ts');
          // The shell user stands for the server's operator: proposer "cli" (never an approver of its own proposal).
          const out = await proposeDeployment(
            ctx.db,
            Number(router.id),
            { dry_run: !!opts.dryRun, force: !!opts.force, confirm_timeout: timeout, run_at: opts.at },
            { userId: null, username: 'cli', role: 'admin' },
          );
          const id = Number(out.deployment.id);
          if (out.jobId !== null && opts.at === undefined) {
            const { runJobNow } = await import('../jobs/run-now.ts');
            const verbose = !opts.json && process.stderr.isTTY;
            await runJobNow(ctx.db, out.jobId, (line) => verbose && process.stderr.write(`${line}\n`), ctx.secrets);
          }
          const d = presentDeployment(await loadDeployment(ctx.db, id), true);
          if (opts.json) process.stdout.write(`${JSON.stringify(d)}\n`);
          else {
            if (d.diff) process.stdout.write(d.diff.endsWith('\n') ? d.diff : `${d.diff}\n`);
            const waiting =
              d.status === 'planned'
                ? [
                    d.run_at ? `scheduled for ${d.run_at}` : '',
                    d.needs_approval ? 'waiting for approval: PEERDESK_DEPLOY_REVIEW=1' : '',
                  ]
                    .filter(Boolean)
                    .join('; ')
                : '';
            process.stdout.write(
              `deployment #${d.id} ${name}: ${d.status}${d.reason ? ` (${d.reason})` : waiting ? ` (${waiting})` : ''}\n`,
            );
          }
          if (!(d.status === 'done' || (d.status === 'planned' && (d.needs_approval || d.run_at))))
            process.exitCode = 1;
        } finally {
          await ctx.db.destroy();
        }
      },
    );
}
