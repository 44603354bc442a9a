// The `peerdesk` command line: each command lives in its own file (src/cli/NAME.ts registers `NAME`) and
// loads its work lazily. Only the module of the command being run is imported; help and unknown commands
// import them all so that the command list is complete.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

type CommandModule = { register?: (program: Command) => void };

/** The version in package.json (same depth from src/cli and dist/cli). */
export function peerdeskVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

// This file's own extension: .ts when running the sources, .js when running the compiled dist/.
const EXT = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
const NOT_COMMANDS = new Set(['main', 'util', 'output']);
// src/cli/bundle/ holds the entries of the one-file builds of hot commands (scripts/build-server.ts): not commands.
// Help lists these first, in this order (server, then data, then tools); any other command follows by name.
const ORDER = [
  'serve',
  'worker',
  'migrate',
  'user',
  'token',
  'job',
  'peeringdb',
  'irr',
  'render',
  'poll',
  'router',
  'deploy',
  'email',
];

/** Names of the command modules next to this file (every NAME.ts/.js except helpers and tests). */
export function commandNames(): string[] {
  return readdirSync(fileURLToPath(new URL('.', import.meta.url)))
    .filter((f) => f.endsWith(EXT) && !f.endsWith(`.test${EXT}`) && !f.endsWith(`.d${EXT}`))
    .map((f) => f.slice(0, -EXT.length))
    .filter((n) => !NOT_COMMANDS.has(n))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function rank(name: string): number {
  const i = ORDER.indexOf(name);
  return i < 0 ? ORDER.length : i;
}

/** The command a run of `argv` (user arguments only) names, when it has a module of its own. */
function requestedCommand(argv: string[]): string | undefined {
  const at = argv.findIndex((a) => !a.startsWith('-'));
  const first = argv[at];
  // `peerdesk --help irr` is the program's help: it lists every command.
  if (!first || first === 'help' || at > 0 || NOT_COMMANDS.has(first) || !/^[a-z][a-z0-9-]*$/.test(first))
    return undefined;
  return existsSync(fileURLToPath(new URL(`./${first}${EXT}`, import.meta.url))) ? first : undefined;
}

/**
 * Builds the program with the commands `argv` needs: one module when argv names a command, else all.
 * `configure` runs before the commands are added, so settings such as exitOverride reach every subcommand.
 */
export async function buildProgram(argv: string[], configure?: (program: Command) => void): Promise<Command> {
  const program = createProgram();
  configure?.(program);
  const wanted = requestedCommand(argv);
  const names = wanted ? [wanted] : commandNames();
  const modules = await Promise.all(
    names.map((n) => import(new URL(`./${n}${EXT}`, import.meta.url).href) as Promise<CommandModule>),
  );
  for (const m of modules) m.register?.(program);
  return program;
}

/** The program with no command yet: name, description, --version, help after errors. */
export function createProgram(): Command {
  return new Command('peerdesk')
    .description('Peering management for network operators')
    .version(peerdeskVersion())
    .showHelpAfterError();
}

/** Runs the command line; a failing command prints `peerdesk: message` and exits non-zero. */
export async function main(argv: string[]): Promise<void> {
  await runProgram(await buildProgram(argv), argv);
}

/** Parses `argv` with `program` and runs the command; an error prints `peerdesk: message` and exits non-zero. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`peerdesk: ${message}\n`);
    process.exitCode = process.exitCode || 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
