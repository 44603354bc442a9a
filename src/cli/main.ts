// The `peerdesk` command line: each command lives in its own file and loads its work lazily.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

const COMMANDS = ['serve', 'worker', 'migrate', 'user', 'token', 'job', 'peeringdb', 'irr', 'render', 'poll', 'deploy'];

const program = new Command('peerdesk')
  .description('Peering management for network operators')
  .version('0.1.0')
  .showHelpAfterError();

const modules = await Promise.all(
  COMMANDS.map((name) => new URL(`./${name}.ts`, import.meta.url))
    .filter((url) => existsSync(fileURLToPath(url)))
    .map((url) => import(url.href) as Promise<{ register(p: Command): void }>),
);
for (const m of modules) m.register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`peerdesk: ${message}\n`);
  process.exitCode = process.exitCode || 1;
});
