// `peerdesk router import NAME [--dry-run] [--json]` and `peerdesk router drift NAME [--json]`: the
// router page's import and drift report from the command line.
import type { Command } from 'commander';
import type { Executor } from '../platform/db.ts';

async function routerId(db: Executor, name: string): Promise<number> {
  const row = await db.selectFrom('routers').select('id').where('name', '=', name).executeTakeFirst();
  if (!row) throw new Error(`no router named ${name}`);
  return Number(row.id);
}

/** Registers the router command. */
export function register(program: Command): void {
  const router = program.command('router').description("a router's live sessions: import existing ones, report drift");
  router
    .command('import')
    .description(
      "import the router's existing BGP sessions (matched to networks by prefix, peer ASNs from the PeeringDB mirror); nothing is imported twice",
    )
    .argument('<name>', 'router name')
    .option('--dry-run', 'only show what would be imported')
    .option('--peer <ip...>', 'only these neighbour addresses')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { dryRun?: boolean; peer?: string[]; json?: boolean }) => {
      const { cliContext } = await import('./util.ts');
      const ctx = await cliContext();
      try {
        const id = await routerId(ctx.db, name);
        const { enqueueJob } = await import('../jobs/jobs.service.ts');
        const { runJobNow } = await import('../jobs/run-now.ts');
        const jobId = await enqueueJob(ctx.db, 'router.import', {
          router_id: id,
          dry_run: !!opts.dryRun,
          ...(opts.peer ? { peer_ips: opts.peer } : {}),
        });
        const res = await runJobNow(
          ctx.db,
          jobId,
          (line) => !opts.json && process.stderr.isTTY && process.stderr.write(`${line}\n`),
          ctx.secrets,
        );
        if (res.status !== 'succeeded') throw new Error(res.error ?? `import job ${jobId} ${res.status}`);
        const r = res.result as import('../routers/import.service.ts').ImportResult;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ job_id: jobId, ...r })}\n`);
          return;
        }
        for (const i of r.items) {
          process.stdout.write(
            `${i.action}\t${i.vrf ? `${i.vrf}/` : ''}${i.peer_ip}\tAS${i.remote_asn ?? '?'}\t${i.network?.name ?? '(no exchange)'}\t${i.session_id ? `session ${i.session_id}` : (i.reason ?? '')}\n`,
          );
        }
        for (const ip of r.not_on_router) process.stdout.write(`missing\t${ip}\tnot a neighbour on the router\n`);
        process.stdout.write(
          `${r.dry_run ? 'would import' : 'imported'} ${r.created}, ${r.existing} already in Peerdesk, ${r.skipped} skipped (job ${jobId})\n`,
        );
      } finally {
        await ctx.db.destroy();
      }
    });
  router
    .command('drift')
    .description(
      'compare the router with Peerdesk: unknown neighbours, missing sessions, field differences; exit 1 when they differ',
    )
    .argument('<name>', 'router name')
    .option('--json', 'print the report as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { cliContext } = await import('./util.ts');
      const ctx = await cliContext();
      try {
        const id = await routerId(ctx.db, name);
        const { driftReport } = await import('../routers/drift.service.ts');
        const { deviceTimeoutMs } = await import('../polling/router-access.ts');
        const d = await driftReport(ctx.db, id, {
          secrets: ctx.secrets,
          signal: AbortSignal.timeout(deviceTimeoutMs() * 2),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(d)}\n`);
        else {
          for (const u of d.unknown_on_router)
            process.stdout.write(
              `unknown\t${u.vrf ? `${u.vrf}/` : ''}${u.peer_ip}\tAS${u.remote_asn ?? '?'}\t${u.state}\t${u.description ?? ''}\n`,
            );
          for (const m of d.missing_on_router)
            process.stdout.write(
              `missing\t${m.vrf ? `${m.vrf}/` : ''}${m.peer_ip}\tAS${m.remote_asn}\t${m.description ?? ''}\n`,
            );
          for (const x of d.differences)
            process.stdout.write(
              `differs\t${x.vrf ? `${x.vrf}/` : ''}${x.peer_ip}\t${x.field}\tpeerdesk=${JSON.stringify(x.peerdesk)}\trouter=${JSON.stringify(x.router)}\n`,
            );
          process.stdout.write(
            `${d.neighbors} neighbours on ${d.router.name}, ${d.peers} peers in Peerdesk, ${d.in_sync} in sync\n`,
          );
        }
        if (d.unknown_on_router.length || d.missing_on_router.length || d.differences.length) process.exitCode = 1;
      } finally {
        await ctx.db.destroy();
      }
    });
}
