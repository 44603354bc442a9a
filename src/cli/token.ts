// `peerdesk token create USERNAME`: prints a new API key alone on stdout.
import type { Command } from 'commander';

/** Registers the token commands. */
export function register(program: Command): void {
  const token = program.command('token').description('manage API tokens');
  token
    .command('create <username>')
    .description('create an API token; prints the key alone on stdout (shown once)')
    .option('--read-only', 'token cannot write')
    .option('--expires <iso>', 'expiry time (ISO 8601)')
    .option('--description <text>', 'what the token is for')
    .action(async (username: string, opts: { readOnly?: boolean; expires?: string; description?: string }) => {
      const { cliContext } = await import('./util.ts');
      const ctx = await cliContext();
      try {
        const u = await ctx.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
        if (!u) throw new Error(`no user ${username}`);
        if (opts.expires && Number.isNaN(Date.parse(opts.expires)))
          throw new Error('--expires must be an ISO 8601 time');
        const { createToken } = await import('../auth/auth.service.ts');
        const t = await createToken(ctx.db, Number(u.id), {
          writeEnabled: !opts.readOnly,
          expiresAt: opts.expires ? new Date(opts.expires).toISOString() : null,
          description: opts.description ?? null,
        });
        process.stdout.write(`${t.key}\n`);
      } finally {
        await ctx.db.destroy();
      }
    });
}
