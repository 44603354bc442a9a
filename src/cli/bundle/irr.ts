// Entry of the one-file build of `peerdesk irr` (scripts/build-server.ts writes dist/bundle/irr.js from it):
// the program with the irr command only, as src/cli/main.ts builds it when argv names `irr`.
import { register } from '../irr.ts';
import { createProgram, runProgram } from '../main.ts';
import { useDirectStdout } from '../output.ts';

export async function main(argv: string[]): Promise<void> {
  useDirectStdout();
  const program = createProgram();
  register(program);
  await runProgram(program, argv);
}
