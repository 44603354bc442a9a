// The command line in this process: `peerdesk ARGS` through the same program bin/peerdesk.js builds.
import { CommanderError } from 'commander';
import { vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';

export interface CliResult {
  stdout: string;
  stderr: string;
  /** The exit status the process would have had (commander's exits and failing commands included). */
  code: number;
  /** The commands the program loaded for these arguments. */
  commands: string[];
}

/** Runs `peerdesk ARGS` here, capturing stdout and stderr; commander's exits become the returned code. */
export async function cli(...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const before = process.exitCode;
  process.exitCode = 0;
  let commands: string[] = [];
  try {
    const program = await buildProgram(args, (p) =>
      p.exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) }),
    );
    commands = program.commands.map((c) => c.name());
    try {
      await program.parseAsync(args, { from: 'user' });
      return { stdout, stderr, code: Number(process.exitCode ?? 0), commands };
    } catch (e) {
      if (e instanceof CommanderError) return { stdout, stderr, code: e.exitCode, commands };
      // What main() prints for a failing command.
      return { stdout, stderr: `${stderr}peerdesk: ${(e as Error).message}\n`, code: 1, commands };
    }
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = before;
  }
}
