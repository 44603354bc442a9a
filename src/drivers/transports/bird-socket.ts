// BIRD's control protocol (what birdc speaks), over the local socket or `birdc -v` on a router over SSH.
// Each reply line starts with a four-digit code and `-` (more follows) or ` ` (last line of the reply);
// a line starting with a space continues the previous code. 0001 is the greeting, 0000 ends a listing,
// 1xxx are table rows, 2xxx table headers, 0xxx status, 8xxx run-time errors and 9xxx parse errors.
import { createConnection, type Socket } from 'node:net';
import type { DriverSessionOptions } from '../driver.types.ts';
import { assertSocketAllowed, callTimeout, deviceError, logCall, onAbort, shellQuote, timedOut, unreachable } from './common.ts';
import type { SshConnection } from './ssh.ts';

export interface BirdLine {
  /** Reply code (continuation lines carry the code of the line they continue). */
  code: number;
  text: string;
}

/** A BIRD command channel: one command at a time, replies without the greeting. */
export interface BirdCli {
  command(command: string): Promise<BirdLine[]>;
  close(): Promise<void>;
}

/** Whether a code is an error (8xxx run-time, 9xxx syntax). */
export function isBirdError(code: number): boolean {
  return code >= 8000;
}

/** Parses reply text (socket bytes or `birdc -v` output) into coded lines. */
export function parseBirdLines(text: string): BirdLine[] {
  const out: BirdLine[] = [];
  let last = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const m = /^(\d{4})([ -])(.*)$/.exec(line);
    if (m) {
      last = Number(m[1]);
      out.push({ code: last, text: m[3] });
    } else if (line.startsWith(' ')) out.push({ code: last, text: line.slice(1) });
    else if (line !== '') out.push({ code: -1, text: line });
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

/** A connection to BIRD's control socket, kept open for the session; commands are serialised. */
export class BirdSocket implements BirdCli {
  private readonly sock: Socket;
  private readonly router: string;
  private readonly opts: DriverSessionOptions;
  private buf = '';
  private pending: { lines: string[]; done: (err: Error | null, text?: string) => void } | null = null;
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
      sock.on('error', (err: NodeJS.ErrnoException) => fail(`cannot connect to the BIRD control socket (${err.code ?? err.message})`));
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
        client.buf = hello.slice(nl + 1);
        resolve(client);
      };
      sock.on('data', onHello);
    });
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const p = this.pending;
      if (!p) continue;
      p.lines.push(line);
      // A code followed by a space is the last line of the reply.
      if (/^\d{4} /.test(line)) p.done(null, p.lines.join('\n'));
    }
  }

  /** Sends one command and returns its reply lines; 8xxx/9xxx replies reject with router_error. */
  command(command: string): Promise<BirdLine[]> {
    const run = () =>
      new Promise<BirdLine[]>((resolve, reject) => {
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
          lines: [],
          done: (err, text) => {
            clearTimeout(timer);
            cleanup();
            this.pending = null;
            if (err) return reject(err);
            void logCall(this.opts.log, this.router, `birdc ${command}`, text ?? '');
            try {
              resolve(checkReply(this.router, command, parseBirdLines(text ?? '')));
            } catch (e) {
              reject(e);
            }
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
    this.sock.end('quit\n');
    this.sock.destroySoon();
  }
}

/** `birdc -v` on the router over SSH (one exec per command on the session's one connection). */
export function sshBirdc(router: string, conn: SshConnection, socketPath: string | null): BirdCli {
  return {
    async command(command) {
      const argv = ['birdc', '-v', ...(socketPath ? ['-s', socketPath] : []), command];
      const r = await conn.exec(argv.map(shellQuote).join(' '), { logAs: `birdc ${command}` });
      if (r.code === 127) throw unreachable(router, 'birdc not found on the router');
      if (/Unable to connect to server control socket/.test(r.stderr + r.stdout)) throw unreachable(router, 'birdc cannot reach BIRD on the router');
      // birdc -v prints the greeting and each reply line with its code, but not the 0000 terminator.
      return checkReply(router, command, parseBirdLines(r.stdout).filter((l, i) => !(i === 0 && l.code === 1)));
    },
    async close() {},
  };
}
