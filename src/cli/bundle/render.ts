// Entry of the one-file build of `peerdesk render` from files (scripts/build-server.ts writes
// dist/bundle/render.js from it): the program with the render command only, as src/cli/main.ts builds it
// when argv names `render`. `render --router` opens the database and runs the sources (bin/peerdesk.js).
import { register } from '../render.ts';
import { createProgram, runProgram } from '../main.ts';
import { useDirectStdout } from '../output.ts';

export async function main(argv: string[]): Promise<void> {
  useDirectStdout();
  const program = createProgram();
  register(program);
  await runProgram(program, argv);
}
