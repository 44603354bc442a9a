// IRRd whois client: persistent (`!!`) pipelined connections, A/C/D/E/F framing, source
// selection, stall/close detection with retries, and a small pool shared by batch refreshes.
import net from 'node:net';

/** One framed answer: A (data), C (ok, no data), D (key not found), E (multiple keys), F (error). */
export type WhoisAnswer =
  | { kind: 'A'; data: string }
  | { kind: 'C' }
  | { kind: 'D' }
  | { kind: 'E'; message: string }
  | { kind: 'F'; message: string };

/** An answer whose A data is left as the bytes received (no decoding: a prefix list runs to megabytes). */
export type RawWhoisAnswer = Exclude<WhoisAnswer, { kind: 'A' }> | { kind: 'A'; bytes: Buffer };

export type IrrErrorCode = 'IRR_CONNECT' | 'IRR_TIMEOUT' | 'IRR_CLOSED' | 'IRR_PROTOCOL' | 'IRR_SOURCES' | 'IRR_QUERY';

/** A failure talking to an IRR server, with a stable code and a one-line message. */
export class IrrError extends Error {
  readonly code: IrrErrorCode;
  constructor(code: IrrErrorCode, message: string) {
    super(message);
    this.name = 'IrrError';
    this.code = code;
  }
}

export interface WhoisConnectionOptions {
  host: string;
  port: number;
  /** No byte for this long while an answer is awaited means the server stalled. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Sent with `!n` so server operators can tell who is asking. */
  identify?: string;
}

interface Pending {
  query: string;
  /** Keep A data as bytes (a RawWhoisAnswer). */
  raw: boolean;
  resolve: (a: WhoisAnswer | RawWhoisAnswer) => void;
  reject: (e: Error) => void;
}

const NL = 10;

/** One persistent connection; queries are written at once and answered in order. */
export class WhoisConnection {
  readonly host: string;
  readonly port: number;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly identify: string;
  private socket: net.Socket | null = null;
  private readonly pending: Pending[] = [];
  private parts: Buffer[] = [];
  private partsLen = 0;
  /** Bytes of data still expected for the current A answer, or -1 while reading a status line. */
  private need = -1;
  private expectTrailer = false;
  private answerData = '';
  private answerBytes: Buffer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failed: IrrError | null = null;
  /** Sources selected by the last `!s` written (undefined = the server's default). */
  currentSources: string | undefined;

  constructor(options: WhoisConnectionOptions) {
    this.host = options.host;
    this.port = options.port;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.identify = options.identify ?? 'peerdesk';
  }

  get label(): string {
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  /** Queries written but not yet answered. */
  get inFlight(): number {
    return this.pending.length;
  }

  get usable(): boolean {
    return this.socket !== null && this.failed === null;
  }

  /** Opens the TCP connection and asks for multiple-command mode. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new IrrError(
            'IRR_CONNECT',
            `IRR server ${this.label}: connection timed out after ${this.connectTimeoutMs} ms`,
          ),
        );
      }, this.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        this.socket = socket;
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        socket.on('close', () => this.onClose('closed the connection'));
        socket.on('error', (err) => this.onClose(`connection failed (${err.message})`));
        // `!!` has no answer; the `!n` answer is consumed like any other.
        socket.write('!!\n');
        this.send(`!n${this.identify}`).catch(() => {});
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new IrrError('IRR_CONNECT', `IRR server ${this.label}: cannot connect (${err.message})`));
      });
    });
  }

  /** Writes one query (no newline) and resolves with its answer (A data as bytes when `raw`). */
  send(query: string, raw?: false): Promise<WhoisAnswer>;
  send(query: string, raw: true): Promise<RawWhoisAnswer>;
  send(query: string, raw?: boolean): Promise<WhoisAnswer | RawWhoisAnswer>;
  send(query: string, raw = false): Promise<WhoisAnswer | RawWhoisAnswer> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.socket) return Promise.reject(new IrrError('IRR_CLOSED', `IRR server ${this.label}: not connected`));
    if (query.includes('\n'))
      return Promise.reject(new IrrError('IRR_QUERY', `invalid IRR query ${JSON.stringify(query)}`));
    return new Promise((resolve, reject) => {
      this.pending.push({ query, raw, resolve, reject });
      if (this.pending.length === 1) this.arm();
      this.socket?.write(`${query}\n`);
    });
  }

  /** Writes `!s` when the wanted selection differs from the connection's current one. */
  selectSources(sources: string | undefined, defaults: string | undefined): Promise<WhoisAnswer> | null {
    if (sources === this.currentSources) return null;
    const list = sources ?? defaults;
    if (!list) return null;
    this.currentSources = sources;
    const answer = this.send(`!s${list}`);
    answer.then(
      (a) => {
        // A refused selection leaves the server on its previous one: force a re-select next time.
        if (a.kind !== 'C') this.currentSources = '\u0000unknown';
      },
      () => {},
    );
    return answer;
  }

  /** Says goodbye politely (`!q`) and closes. */
  close(): void {
    if (!this.socket) return;
    const socket = this.socket;
    if (this.failed === null) {
      this.failed = new IrrError('IRR_CLOSED', `IRR server ${this.label}: connection closed by client`);
      socket.end('!q\n');
      // Nothing more is expected from the server: its closing of the connection must not keep a
      // process (a CLI run) waiting for one more round trip.
      socket.unref();
      setTimeout(() => socket.destroy(), 1000).unref();
    } else socket.destroy();
    this.clearTimer();
  }

  /** Tears the connection down at once, failing whatever is still pending. */
  destroy(reason: IrrError): void {
    this.fail(reason);
    this.socket?.destroy();
  }

  private arm(): void {
    if (!this.pending.length) return this.clearTimer();
    // Re-armed on every chunk of a big answer: restart the same timer rather than make a new one.
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      const head = this.pending[0];
      this.fail(
        new IrrError(
          'IRR_TIMEOUT',
          `IRR server ${this.label} stalled: no data for ${this.timeoutMs} ms while answering "${head?.query}"${this.progress()}`,
        ),
      );
      this.socket?.destroy();
    }, this.timeoutMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private progress(): string {
    return this.need >= 0 ? ` (received ${this.partsLen} of ${this.need} bytes)` : '';
  }

  private onClose(what: string): void {
    const head = this.pending[0];
    this.fail(
      new IrrError(
        'IRR_CLOSED',
        `IRR server ${this.label} ${what}${head ? ` while answering "${head.query}"${this.progress()}` : ''}`,
      ),
    );
  }

  private fail(err: IrrError): void {
    this.failed ??= err;
    this.clearTimer();
    for (const p of this.pending.splice(0)) p.reject(this.failed);
  }

  private onData(chunk: Buffer): void {
    if (this.failed) return;
    this.parts.push(chunk);
    this.partsLen += chunk.length;
    if (this.pending.length) this.arm();
    // While a big A answer is still arriving, only collect chunks: concatenate once at the end.
    if (this.need >= 0 && this.partsLen < this.need) return;
    const buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLen);
    let off = 0;
    for (;;) {
      if (this.need >= 0) {
        if (buf.length - off < this.need) break;
        const end = off + this.need;
        // The announced length covers the data and its final newline.
        const dataEnd = end > off && buf[end - 1] === NL ? end - 1 : end;
        if (this.pending[0]?.raw) this.answerBytes = buf.subarray(off, dataEnd);
        else this.answerData = buf.toString('utf8', off, dataEnd);
        off = end;
        this.need = -1;
        this.expectTrailer = true;
        continue;
      }
      const nl = buf.indexOf(NL, off);
      if (nl < 0) break;
      const line = buf.toString('latin1', off, nl).replace(/\r$/, '');
      off = nl + 1;
      if (line === '') continue;
      if (!this.handleLine(line)) return;
    }
    const rest = buf.subarray(off);
    this.parts = rest.length ? [rest] : [];
    this.partsLen = rest.length;
    if (!this.pending.length) this.clearTimer();
  }

  /** Handles a status line; returns false once the connection has failed. */
  private handleLine(line: string): boolean {
    const code = line[0];
    if (this.expectTrailer) {
      this.expectTrailer = false;
      if (code === 'C') {
        const bytes = this.answerBytes;
        this.answerBytes = null;
        return this.settle(bytes ? { kind: 'A', bytes } : { kind: 'A', data: this.answerData });
      }
      return this.protocolError(`expected "C" after data, got ${JSON.stringify(line.slice(0, 60))}`);
    }
    switch (code) {
      case 'A': {
        const len = Number(line.slice(1));
        if (!Number.isInteger(len) || len < 0)
          return this.protocolError(`bad length in ${JSON.stringify(line.slice(0, 60))}`);
        this.need = len;
        return true;
      }
      case 'C':
        return this.settle({ kind: 'C' });
      case 'D':
        return this.settle({ kind: 'D' });
      case 'E':
        return this.settle({ kind: 'E', message: line.slice(1).trim() });
      case 'F':
        return this.settle({ kind: 'F', message: line.slice(1).trim() });
      default:
        return this.protocolError(`unexpected answer ${JSON.stringify(line.slice(0, 60))}`);
    }
  }

  private settle(answer: WhoisAnswer | RawWhoisAnswer): boolean {
    const p = this.pending.shift();
    if (!p) return this.protocolError('answer received with no query pending');
    p.resolve(answer);
    return true;
  }

  private protocolError(what: string): false {
    const head = this.pending[0];
    this.fail(
      new IrrError('IRR_PROTOCOL', `IRR server ${this.label}: ${what}${head ? ` answering "${head.query}"` : ''}`),
    );
    this.socket?.destroy();
    return false;
  }
}

export interface IrrPoolOptions {
  host: string;
  port: number;
  /** Persistent connections opened on demand (default 4). */
  size?: number;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Extra attempts for a query whose connection stalled or dropped (default 2). */
  retries?: number;
  /** Default source selection; undefined keeps the server's own default. */
  sources?: string[];
  identify?: string;
  /** Open another connection once each existing one has this many queries in flight. */
  spreadAt?: number;
  /** Servers tried in order when the main one refuses connections. */
  fallbacks?: Array<{ host: string; port: number }>;
}

export interface QueryOptions {
  /** Source selection for this query (undefined: the pool default). */
  sources?: string[];
  /** Hand A data over as the bytes received (a RawWhoisAnswer). */
  raw?: boolean;
}

/** Normalises a source list to IRRd's comma-separated upper-case form. */
export function sourcesKey(sources: string[] | undefined): string | undefined {
  if (!sources || sources.length === 0) return undefined;
  return sources
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean)
    .join(',');
}

/** A few persistent connections to one server, shared by every expansion in the process. */
export class IrrPool {
  readonly host: string;
  readonly port: number;
  private readonly options: Required<Omit<IrrPoolOptions, 'sources' | 'fallbacks'>> & { sources?: string[] };
  private readonly servers: Array<{ host: string; port: number }>;
  private readonly conns: WhoisConnection[] = [];
  private opening: Promise<WhoisConnection> | null = null;
  private probe: Promise<boolean> | null = null;
  private aSupport: boolean | undefined;
  private serverDefaults: Promise<string> | null = null;
  private closed = false;
  /** Queries sent, for reports and tests. */
  queries = 0;

  constructor(options: IrrPoolOptions) {
    this.host = options.host;
    this.port = options.port;
    this.options = {
      size: 4,
      timeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      retries: 2,
      identify: 'peerdesk',
      spreadAt: 16,
      ...options,
    };
    this.servers = [{ host: options.host, port: options.port }, ...(options.fallbacks ?? [])];
  }

  get label(): string {
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  /** Whether `!a` is known to work: true/false once probed, undefined before. */
  get knownASupport(): boolean | undefined {
    return this.aSupport;
  }

  /** Sends one query (after any `!s` it needs) and resolves with the answer; retries on dropped connections. */
  query(query: string, options?: QueryOptions & { raw?: false }): Promise<WhoisAnswer>;
  query(query: string, options: QueryOptions & { raw: true }): Promise<RawWhoisAnswer>;
  async query(query: string, options: QueryOptions = {}): Promise<WhoisAnswer | RawWhoisAnswer> {
    const wanted = sourcesKey(options.sources ?? this.options.sources);
    let lastError: Error | null = null;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 50 * 2 ** attempt));
      // Selecting and writing must share one tick (no await between) for bursts to spread out.
      let conn: WhoisConnection | null;
      try {
        if (this.closed) throw new IrrError('IRR_CLOSED', `IRR pool for ${this.label} is closed`);
        conn = this.pickNow();
        while (!conn) {
          await (this.opening as Promise<WhoisConnection>);
          conn = this.pickNow();
        }
      } catch (err) {
        lastError = err as Error;
        continue;
      }
      try {
        let defaults: string | undefined;
        if (wanted === undefined && conn.currentSources !== undefined) {
          defaults = await this.defaultSources();
          if (!conn.usable) conn = await this.pick();
        }
        const select = conn.selectSources(wanted, defaults);
        this.queries++;
        const answer = conn.send(query, options.raw ?? false);
        if (select) {
          const s = await select;
          if (s.kind !== 'C') {
            answer.catch(() => {});
            throw new IrrError(
              'IRR_SOURCES',
              `IRR server ${this.label} refused sources ${wanted ?? defaults}: ${s.kind === 'F' ? s.message : s.kind}`,
            );
          }
        }
        return await answer;
      } catch (err) {
        if (
          err instanceof IrrError &&
          (err.code === 'IRR_SOURCES' || err.code === 'IRR_QUERY' || err.code === 'IRR_PROTOCOL')
        )
          throw err;
        lastError = err as Error;
        this.drop(conn, err as Error);
      }
    }
    const why = lastError?.message ?? 'unknown error';
    throw new IrrError(
      lastError instanceof IrrError ? lastError.code : 'IRR_CLOSED',
      `${why}${this.options.retries ? ` (gave up after ${this.options.retries + 1} attempts)` : ''}`,
    );
  }

  /**
   * Probes `!a` support the way bgpq4 does (a bare `!a` must answer
   * "F Missing required set name for A query"); the result is kept for the pool's life.
   */
  supportsA(): Promise<boolean> {
    this.probe ??= this.query('!a').then(
      (a) => (this.aSupport = a.kind === 'F' && a.message.startsWith('Missing required set name for A query')),
      (err) => {
        this.probe = null;
        throw err;
      },
    );
    return this.probe;
  }

  /** The server's default source list (`!s-lc`), needed to switch a connection back to it. */
  defaultSources(): Promise<string> {
    this.serverDefaults ??= (async () => {
      const conn = await this.pick();
      const a = await conn.send('!s-lc');
      if (a.kind !== 'A')
        throw new IrrError('IRR_PROTOCOL', `IRR server ${this.label}: no source list in answer to !s-lc`);
      return a.data.trim();
    })().catch((err) => {
      this.serverDefaults = null;
      throw err;
    });
    return this.serverDefaults;
  }

  /** Closes every connection. */
  close(): void {
    this.closed = true;
    for (const c of this.conns.splice(0)) c.close();
  }

  private drop(conn: WhoisConnection, err: Error): void {
    const i = this.conns.indexOf(conn);
    if (i >= 0) this.conns.splice(i, 1);
    conn.destroy(err instanceof IrrError ? err : new IrrError('IRR_CLOSED', err.message));
  }

  /**
   * Returns a connection to write to, or waits for one to open. Selection and the caller's write
   * happen in the same tick, so a burst of queries spreads by in-flight count across the pool.
   */
  private async pick(): Promise<WhoisConnection> {
    for (;;) {
      if (this.closed) throw new IrrError('IRR_CLOSED', `IRR pool for ${this.label} is closed`);
      const conn = this.pickNow();
      if (conn) return conn;
      await (this.opening as Promise<WhoisConnection>);
    }
  }

  private pickNow(): WhoisConnection | null {
    for (let i = this.conns.length - 1; i >= 0; i--) if (!this.conns[i].usable) this.conns.splice(i, 1);
    let best: WhoisConnection | null = null;
    for (const c of this.conns) if (!best || c.inFlight < best.inFlight) best = c;
    const busy = !best || best.inFlight >= this.options.spreadAt;
    if (busy && this.conns.length < this.options.size && !this.opening) {
      this.opening = (async () => {
        let lastError: unknown;
        for (const server of this.servers) {
          const c = new WhoisConnection({ ...this.options, ...server });
          try {
            await c.connect();
          } catch (err) {
            lastError = err;
            continue;
          }
          if (this.closed) c.close();
          else this.conns.push(c);
          return c;
        }
        throw lastError;
      })().finally(() => {
        this.opening = null;
      });
      this.opening.catch(() => {});
    }
    return best;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Parses "host", "host:port", "[v6]:port" (port 43 by default). */
export function parseHostPort(text: string, defaultPort = 43): { host: string; port: number } {
  const t = text.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) return { host: bracket[1], port: bracket[2] ? Number(bracket[2]) : defaultPort };
  const colons = t.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = t.split(':');
    const n = Number(port);
    if (!host || !Number.isInteger(n) || n < 1 || n > 65535)
      throw new IrrError('IRR_QUERY', `invalid IRR server "${text}" (expected HOST:PORT)`);
    return { host, port: n };
  }
  if (!t) throw new IrrError('IRR_QUERY', 'empty IRR server name');
  return { host: t, port: defaultPort };
}
