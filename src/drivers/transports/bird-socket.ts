// BIRD's control protocol (what birdc speaks), over the local socket or `birdc -v` on a router over SSH.
// Each reply line starts with a four-digit code and `-` (more follows) or ` ` (last line of the reply);
// a line starting with a space continues the previous code. 0001 is the greeting, 0000 ends a listing,
// 1xxx are table rows, 2xxx table headers, 0xxx status, 8xxx run-time errors and 9xxx parse errors.
import { createConnection, type Socket } from 'node:net';
import type { DriverSessionOptions } from '../driver.types.ts';
import {
  assertSocketAllowed,
  callTimeout,
  deviceError,
  logCall,
  onAbort,
  shellQuote,
  timedOut,
  unreachable,
} from './common.ts';
import type { SshConnection } from './ssh.ts';

export interface BirdLine {
  /** Reply code (continuation lines carry the code of the line they continue). */
  code: number;
  text: string;
}

/** A BIRD command channel: one command at a time, replies without the greeting. */
export interface BirdCli {
  command(command: string): Promise<BirdLine[]>;
  /**
   * The reply as the text BIRD sent (coded lines; for a big listing such as `show protocols all`,
   * parsed in one pass by its reader instead of split into lines first), checked as `command` checks it.
   */
  commandText(command: string): Promise<string>;
  close(): Promise<void>;
}

/** Whether a code is an error (8xxx run-time, 9xxx syntax). */
export function isBirdError(code: number): boolean {
  return code >= 8000;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Whether text[i, end) is a coded line: four digits, then ` ` (with `last`: only the last line of a reply) or `-`. */
function codedAt(text: string, i: number, end: number, last: boolean): boolean {
  if (end - i < 5) return false;
  const sep = text.charCodeAt(i + 4);
  return (
    isDigit(text.charCodeAt(i)) &&
    isDigit(text.charCodeAt(i + 1)) &&
    isDigit(text.charCodeAt(i + 2)) &&
    isDigit(text.charCodeAt(i + 3)) &&
    (sep === 32 || (!last && sep === 45))
  );
}

/** Parses reply text (socket bytes or `birdc -v` output) into coded lines. */
export function parseBirdLines(text: string): BirdLine[] {
  const out: BirdLine[] = [];
  let last = 0;
  const n = text.length;
  for (let start = 0; start < n;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (codedAt(text, start, stop, false)) {
      last =
        (text.charCodeAt(start) - 48) * 1000 +
        (text.charCodeAt(start + 1) - 48) * 100 +
        (text.charCodeAt(start + 2) - 48) * 10 +
        (text.charCodeAt(start + 3) - 48);
      out.push({ code: last, text: text.slice(start + 5, stop) });
    } else if (stop > start) {
      out.push(
        text.charCodeAt(start) === 32
          ? { code: last, text: text.slice(start + 1, stop) }
          : { code: -1, text: text.slice(start, stop) },
      );
    }
    start = end + 1;
  }
  return out;
}

/** Throws the first error line of a reply as router_error; returns the lines without the greeting and the 0000 end. */
function checkReply(router: string, command: string, lines: BirdLine[]): BirdLine[] {
  const err = lines.find((l) => isBirdError(l.code));
  if (err) throw deviceError(router, command, `${err.code} ${err.text}`);
  const unknown = lines.find((l) => l.code === -1);
  if (unknown) throw deviceError(router, command, unknown.text);
  return lines.filter((l) => l.code !== 1 && !(l.code === 0 && l.text === ''));
}

/**
 * Checks reply text as checkReply checks its lines (the first error line, else the first line without
 * a code, is thrown as router_error) without splitting it: most replies are rows and detail lines.
 */
export function checkReplyText(router: string, command: string, text: string): string {
  let unknown: string | null = null;
  const n = text.length;
  for (let start = 0; start < n;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (codedAt(text, start, stop, false)) {
      // 8xxx and 9xxx: an error (continuation lines follow their coded line, so this one is first).
      if (text.charCodeAt(start) >= 56)
        throw deviceError(router, command, `${text.slice(start, start + 4)} ${text.slice(start + 5, stop)}`);
    } else if (unknown === null && stop > start && text.charCodeAt(start) !== 32) unknown = text.slice(start, stop);
    start = end + 1;
  }
  if (unknown !== null) throw deviceError(router, command, unknown);
  return text;
}

/** A connection to BIRD's control socket, kept open for the session; commands are serialised. */
export class BirdSocket implements BirdCli {
  private readonly sock: Socket;
  private readonly router: string;
  private readonly opts: DriverSessionOptions;
  // The reply being received: its chunks as they came, and the first characters of its unfinished line.
  private chunks: string[] = [];
  private head = '';
  private pending: { done: (err: Error | null, text?: string) => void } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(sock: Socket, router: string, opts: DriverSessionOptions) {
    this.sock = sock;
    this.router = router;
    this.opts = opts;
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => this.onData(chunk));
    sock.on('error', (err) => this.pending?.done(unreachable(router, err.message)));
    sock.on('close', () => {
      this.closed = true;
      this.pending?.done(unreachable(router, 'BIRD closed the control socket'));
    });
  }

  /** Connects (path must be inside the allowed socket dirs) and waits for BIRD's 0001 greeting. */
  static connect(router: string, path: string, opts: DriverSessionOptions): Promise<BirdSocket> {
    const timeout = callTimeout(opts);
    return new Promise((resolve, reject) => {
      assertSocketAllowed(path, opts); // (thrown inside the executor: a rejection, like every other failure)
      const sock = createConnection(path);
      let hello = '';
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        cleanup();
        sock.destroy();
        reject(unreachable(router, why));
      };
      const timer = setTimeout(() => fail(`no greeting from BIRD within ${timeout / 1000} s`), timeout);
      const cleanup = onAbort(opts.signal, () => fail('cancelled'));
      sock.setEncoding('utf8');
      // Socket errors name the errno (ENOENT, ECONNREFUSED, EACCES); the path was checked above.
      sock.on('error', (err: NodeJS.ErrnoException) =>
        fail(`cannot connect to the BIRD control socket (${err.code ?? err.message})`),
      );
      const onHello = (chunk: string) => {
        hello += chunk;
        const nl = hello.indexOf('\n');
        if (nl < 0) return;
        sock.off('data', onHello);
        sock.removeAllListeners('error');
        if (!hello.startsWith('0001 ')) return fail(`unexpected greeting: ${hello.slice(0, nl)}`);
        settled = true;
        clearTimeout(timer);
        cleanup();
        const client = new BirdSocket(sock, router, opts);
        client.keepTail(hello.slice(nl + 1));
        resolve(client);
      };
      sock.on('data', onHello);
    });
  }

  /** Keeps the unfinished line at the end of `text` (complete lines outside a reply are dropped). */
  private keepTail(text: string): void {
    const tail = text.slice(text.lastIndexOf('\n') + 1);
    this.chunks = tail ? [tail] : [];
    this.head = tail.slice(0, 5);
  }

  // Replies are received as they come, unsplit: only each line's first five characters are looked at,
  // for the one that ends the reply (four digits and a space); the reply text is joined once.
  private onData(chunk: string): void {
    if (!this.pending) return this.keepTail(this.chunks.join('') + chunk);
    for (let from = 0; ;) {
      const nl = chunk.indexOf('\n', from);
      const end = nl < 0 ? chunk.length : nl;
      let last: boolean;
      if (this.head === '' && nl >= 0) last = codedAt(chunk, from, end, true);
      else {
        // A line that began in an earlier chunk (or does not end in this one): its head so far.
        if (this.head.length < 5) this.head += chunk.slice(from, Math.min(end, from + 5 - this.head.length));
        if (nl < 0) break;
        last = codedAt(this.head, 0, this.head.length, true);
      }
      if (last) {
        // The reply with its last line's end (a chunk that ends with the reply is taken whole: a slice
        // of it would be a view that its reader walks more slowly).
        this.chunks.push(nl === chunk.length - 1 ? chunk : chunk.slice(0, nl + 1));
        const text = this.chunks.length === 1 ? this.chunks[0]! : this.chunks.join('');
        this.keepTail(chunk.slice(nl + 1));
        this.pending.done(null, text);
        return;
      }
      this.head = '';
      from = nl + 1;
    }
    this.chunks.push(chunk);
  }

  /** Sends one command and returns its reply lines; 8xxx/9xxx replies reject with router_error. */
  async command(command: string): Promise<BirdLine[]> {
    return checkReply(this.router, command, parseBirdLines(await this.send(command)));
  }

  /** Sends one command and returns its reply text (checked: 8xxx/9xxx replies reject with router_error). */
  async commandText(command: string): Promise<string> {
    return checkReplyText(this.router, command, await this.send(command));
  }

  /** Sends one command (after the ones before it) and resolves with its reply text, logged. */
  private send(command: string): Promise<string> {
    const run = () =>
      new Promise<string>((resolve, reject) => {
        if (this.closed) return reject(unreachable(this.router, 'BIRD control socket closed'));
        if (/[\r\n]/.test(command)) return reject(deviceError(this.router, command, 'a command is one line'));
        const timeout = callTimeout(this.opts);
        const timer = setTimeout(() => {
          // The reply stream is now out of step: drop the connection.
          this.sock.destroy();
          this.pending?.done(timedOut(this.router, command, timeout));
        }, timeout);
        const cleanup = onAbort(this.opts.signal, () => {
          this.sock.destroy();
          this.pending?.done(unreachable(this.router, 'cancelled'));
        });
        this.pending = {
          done: (err, text) => {
            clearTimeout(timer);
            cleanup();
            this.pending = null;
            if (err) return reject(err);
            void logCall(this.opts.log, this.router, `birdc ${command}`, text ?? '');
            resolve(text ?? '');
          },
        };
        this.sock.write(`${command}\n`);
      });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // BIRD ends a CLI session when its client goes away, as after `quit` (no reply is awaited then).
    this.sock.destroy();
  }
}

/** `birdc -v` on the router over SSH (one exec per command on the session's one connection). */
export function sshBirdc(router: string, conn: SshConnection, socketPath: string | null): BirdCli {
  const run = async (command: string): Promise<string> => {
    const argv = ['birdc', '-v', ...(socketPath ? ['-s', socketPath] : []), command];
    const r = await conn.exec(argv.map(shellQuote).join(' '), { logAs: `birdc ${command}` });
    if (r.code === 127) throw unreachable(router, 'birdc not found on the router');
    if (/Unable to connect to server control socket/.test(r.stderr + r.stdout))
      throw unreachable(router, 'birdc cannot reach BIRD on the router');
    return r.stdout;
  };
  return {
    async command(command) {
      // birdc -v prints the greeting and each reply line with its code, but not the 0000 terminator.
      return checkReply(
        router,
        command,
        parseBirdLines(await run(command)).filter((l, i) => !(i === 0 && l.code === 1)),
      );
    },
    async commandText(command) {
      // (The greeting, a 0001 line, is neither an error nor read by a listing's reader.)
      return checkReplyText(router, command, await run(command));
    },
    async close() {},
  };
}
