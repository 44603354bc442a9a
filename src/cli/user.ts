// `peerdesk user create`: adds a user (password from --password, PEERDESK_NEW_PASSWORD or generated).
import type { Command } from 'commander';
import type { Role } from '../platform/principal.ts';

/** Registers the user commands. */
export function register(program: Command): void {
  const user = program.command('user').description('manage users');
  user
    .command('create <username>')
    .description('create a user and print its password when generated')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .option('--password <password>', 'the password (default: generated and printed)')
    .option('--email <email>', 'e-mail address')
    .action(async (username: string, opts: { role: string; password?: string; email?: string }) => {
      const { cliContext } = await import('./util.ts');
      const ctx = await cliContext();
      const { createUser } = await import('../auth/auth.service.ts');
      const { randomToken } = await import('../platform/crypto.ts');
      const password = opts.password ?? process.env.PEERDESK_NEW_PASSWORD ?? randomToken('', 12);
      try {
        // createUser refuses a role outside ROLES (400 naming `role`), so the option is passed as given.
        await createUser(ctx.db, { username, password, role: opts.role as Role, email: opts.email ?? null });
        process.stdout.write(
          opts.password || process.env.PEERDESK_NEW_PASSWORD
            ? `created ${username} (${opts.role})\n`
            : `created ${username} (${opts.role}) with password: ${password}\n`,
        );
      } finally {
        await ctx.db.destroy();
      }
    });
}
