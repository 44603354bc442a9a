// `peerdesk peeringdb sync|import|status|sync-peer-asns`: the PeeringDB mirror from the command line.
import type { Command } from 'commander';
import type { Db } from '../platform/db.ts';
import type { SyncRun } from '../peeringdb/peeringdb.sync.ts';
import type { syncAllPeerAsns } from '../peeringdb/peeringdb.service.ts';

/** Opens the configured database (migrated) through the shared CLI helper. */
async function openDatabase(): Promise<{ db: Db; config: import('../platform/config.ts').Config }> {
  const { cliContext } = await import('./util.ts');
  const ctx = await cliContext();
  return { db: ctx.db, config: ctx.config };
}

/** A one-line progress bar on a TTY's stderr; silent when stderr is a pipe or --json is given. */
function progressBar(enabled: boolean) {
  let last = '';
  return {
    update(fraction: number, message = '') {
      if (!enabled) return;
      const width = 30;
      const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
      const line =
        `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${message}`.slice(
          0,
          (process.stderr.columns || 100) - 1,
        );
      if (line === last) return;
      // Pad to the previous line's length so a shorter message leaves no stale characters.
      process.stderr.write(`\r${line.padEnd(last.length)}`);
      last = line;
    },
    done() {
      if (enabled && last) process.stderr.write('\n');
    },
  };
}

function summary(run: SyncRun): string {
  const secs = run.finished_at ? ((Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000).toFixed(1) : '?';
  const lines = [
    `run ${run.id}: ${run.mode} ${run.status} in ${secs} s${run.requests ? `, ${run.requests} requests` : ''}`,
  ];
  for (const [type, c] of Object.entries(run.counts))
    lines.push(`  ${type.padEnd(9)} +${c.created} ~${c.updated} -${c.deleted}`);
  return lines.join('\n') + '\n';
}

/** Registers the peeringdb commands. */
export function register(program: Command): void {
  const pdb = program.command('peeringdb').description('PeeringDB mirror: sync, offline import, status');

  pdb
    .command('sync')
    .description('sync the mirror from PEERDESK_PEERINGDB_URL (full the first time, then incremental)')
    .option('--full', 'reload everything instead of asking for changes since the last run')
    .option('--no-peer-asns', 'do not update peer ASNs from the fresh mirror')
    .option('--json', 'print the sync record as JSON')
    .action(async (opts: { full?: boolean; peerAsns: boolean; json?: boolean }) => {
      const { db, config } = await openDatabase();
      const bar = progressBar(!!process.stderr.isTTY && !opts.json);
      const abort = new AbortController();
      const onSig = () => abort.abort(new Error('interrupted'));
      process.once('SIGINT', onSig);
      try {
        const { clientFromConfig } = await import('../peeringdb/peeringdb.client.ts');
        const { syncPeeringDb } = await import('../peeringdb/peeringdb.sync.ts');
        const client = clientFromConfig(config, {
          onRequest: (r) => {
            if (r.waitMs !== undefined && !opts.json) {
              bar.done();
              process.stderr.write(`peerdesk: ${r.error}: retrying in ${(r.waitMs / 1000).toFixed(1)} s\n`);
            }
          },
        });
        const run = await syncPeeringDb(db, {
          client,
          full: opts.full,
          signal: abort.signal,
          progress: (f, m) => bar.update(f, m),
        });
        bar.done();
        let peerAsns: Awaited<ReturnType<typeof syncAllPeerAsns>> | null = null;
        if (opts.peerAsns) {
          const { syncAllPeerAsns } = await import('../peeringdb/peeringdb.service.ts');
          peerAsns = await syncAllPeerAsns(db, { signal: abort.signal });
        }
        if (opts.json) process.stdout.write(JSON.stringify({ ...run, peer_asns: peerAsns }) + '\n');
        else {
          process.stdout.write(summary(run));
          if (peerAsns) process.stdout.write(`peer ASNs: ${peerAsns.checked} checked, ${peerAsns.updated} updated\n`);
        }
      } finally {
        bar.done();
        process.off('SIGINT', onSig);
        await db.destroy();
      }
    });

  pdb
    .command('import <path>')
    .description(
      'import a folder of API pages (<type>/page-N.json or <type>.json) or a single JSON dump, for air-gapped networks',
    )
    .option('--json', 'print the sync record as JSON')
    .action(async (path: string, opts: { json?: boolean }) => {
      const { db } = await openDatabase();
      const bar = progressBar(!!process.stderr.isTTY && !opts.json);
      try {
        const { importPeeringDb } = await import('../peeringdb/peeringdb.import.ts');
        const run = await importPeeringDb(db, path, { progress: (f, m) => bar.update(f, m) });
        bar.done();
        process.stdout.write(opts.json ? JSON.stringify(run) + '\n' : summary(run));
      } finally {
        bar.done();
        await db.destroy();
      }
    });

  pdb
    .command('status')
    .description('rows and last update per type, and the last sync runs')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { db } = await openDatabase();
      try {
        const { mirrorStatus, listSyncRuns } = await import('../peeringdb/peeringdb.sync.ts');
        const status = await mirrorStatus(db);
        const runs = await listSyncRuns(db, { limit: 5 });
        if (opts.json) {
          process.stdout.write(JSON.stringify({ ...status, recent_runs: runs.results }) + '\n');
          return;
        }
        for (const [type, s] of Object.entries(status.types)) {
          process.stdout.write(
            `${type.padEnd(9)} ${String(s.count).padStart(7)} rows  last updated ${s.last_updated ?? '-'}\n`,
          );
        }
        for (const run of runs.results)
          process.stdout.write(
            `run ${run.id}: ${run.mode} ${run.status} ${run.started_at}${run.error ? ` (${run.error})` : ''}\n`,
          );
        if (!runs.results.length)
          process.stdout.write('never synced: run `peerdesk peeringdb sync` or `peerdesk peeringdb import PATH`\n');
      } finally {
        await db.destroy();
      }
    });

  pdb
    .command('sync-peer-asns')
    .description('update peer ASNs from the mirror (followed fields only; empty PeeringDB values never overwrite)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { db } = await openDatabase();
      const bar = progressBar(!!process.stderr.isTTY && !opts.json);
      try {
        const { syncAllPeerAsns } = await import('../peeringdb/peeringdb.service.ts');
        const r = await syncAllPeerAsns(db, { progress: (f, m) => bar.update(f, m) });
        bar.done();
        process.stdout.write(
          opts.json
            ? JSON.stringify(r) + '\n'
            : `${r.checked} peer ASNs checked, ${r.updated} updated, ${r.not_found.length} not in PeeringDB\n`,
        );
      } finally {
        bar.done();
        await db.destroy();
      }
    });
}
