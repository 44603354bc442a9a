// `peerdesk serve`: the API and UI, with an in-process worker unless disabled.
import type { Command } from 'commander';

/** Registers the serve command. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the API and web UI (runs migrations first)')
    .option('--host <host>', 'listen address (PEERDESK_HOST)', process.env.PEERDESK_HOST ?? '127.0.0.1')
    .option('--port <port>', 'listen port (PEERDESK_PORT)', process.env.PEERDESK_PORT ?? '8080')
    .option('--no-worker', 'do not run jobs in this process')
    .action(async (opts: { host: string; port: string; worker: boolean }) => {
      const { loadConfig } = await import('../platform/config.ts');
      const config = loadConfig();
      const { createApp } = await import('../app.ts');
      const pd = await createApp({ config, worker: opts.worker });
      if (pd.initialAdminPassword) {
        process.stderr.write(
          `\nCreated the first user "admin" with the one-time password:\n\n    ${pd.initialAdminPassword}\n\nLog in and change it (or set PEERDESK_ADMIN_PASSWORD before the first start).\n\n`,
        );
      }
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port must be 0..65535, got ${opts.port}`);
      const address = await pd.app.listen({ host: opts.host, port });
      process.stderr.write(
        `Peerdesk listening on ${address} (database ${config.PEERDESK_DATABASE_URL.replace(/\/\/[^@/]*@/, '//***@')})\n`,
      );
      const stop = async () => {
        await pd.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
