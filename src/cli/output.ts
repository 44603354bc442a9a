// How a command writes its result to stdout (kept apart from util.ts, which reaches the database code: the
// one-file builds of hot commands include everything their modules can import).
import { writeSync } from 'node:fs';

let directStdout = false;

/**
 * Makes `writeStdout` write to file descriptor 1 itself instead of through process.stdout, whose first use
 * builds a stream (a socket for a pipe): a few milliseconds of a short run. For the one-file builds of hot
 * commands (src/cli/bundle/), which print one result and exit; in-process callers keep process.stdout.
 */
export function useDirectStdout(): void {
  directStdout = true;
}

/** Writes a command's output (a string as UTF-8), whole, to stdout. */
export function writeStdout(data: Uint8Array | string): void {
  if (!directStdout) {
    process.stdout.write(data);
    return;
  }
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  try {
    while (off < bytes.length) off += writeSync(1, bytes, off, bytes.length - off);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A non-blocking stdout that is full: the stream queues the rest. A closed pipe (`| head`): stop quietly.
    if (code === 'EAGAIN') process.stdout.write(bytes.subarray(off));
    else if (code !== 'EPIPE') throw err;
  }
}
