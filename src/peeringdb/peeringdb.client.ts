// PeeringDB API v2 client: API key, paging, timeouts, retries with backoff and 429 Retry-After.
import { UpstreamError, ValidationError } from '../platform/errors.ts';
import { guardedFetch } from '../platform/fetch-guard.ts';
import type { PdbObject } from './peeringdb.table.ts';

export const USER_AGENT = 'Peerdesk/0.1.0 (peering management; +https://github.com/peerdesk/peerdesk) peeringdb-sync';

export interface PeeringDbClientOptions {
  /** API root, e.g. `https://www.peeringdb.com/api` (PEERDESK_PEERINGDB_URL). */
  baseUrl: string;
  /** Sent as `Authorization: Api-Key …`; anonymous without it (lower rate limits, no private contacts). */
  apiKey?: string;
  /** Objects per request (`limit`); 0 asks for everything at once. */
  pageSize?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Attempts after the first for timeouts, network errors, 5xx and 429. */
  retries?: number;
  /** First backoff delay; doubles per attempt (with jitter) up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** 429 answers tolerated per request (separate from `retries`: waiting as told is not failing). */
  rateLimitRetries?: number;
  /** Longest Retry-After honoured; a server asking for more fails the request instead of hanging a job. */
  maxRetryAfterMs?: number;
  userAgent?: string;
  /** Injected for tests: how to wait, and which fetch to use. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  fetch?: typeof fetch;
  /** Called once per HTTP attempt (for logs and counters). */
  onRequest?: (info: { url: string; status: number | null; attempt: number; waitMs?: number; error?: string }) => void;
}

export interface ListParams {
  /** Epoch seconds: objects updated since then, deleted ones included. */
  since?: number;
  /** Extra query parameters (filters such as `asn`, `id__in`). */
  query?: Record<string, string | number>;
  signal?: AbortSignal;
}

/** Sleeps, waking early (with an abort error) when the signal fires. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | null {
  if (!value) return null;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : Math.max(0, t - nowMs);
}

class RetryableError extends Error {
  readonly waitMs: number | null;
  constructor(message: string, waitMs: number | null = null) {
    super(message);
    this.waitMs = waitMs;
  }
}

class RateLimited extends RetryableError {}

/** A small, dependency-free PeeringDB API client. */
export class PeeringDbClient {
  readonly baseUrl: string;
  private readonly o: Required<Omit<PeeringDbClientOptions, 'apiKey' | 'onRequest'>> &
    Pick<PeeringDbClientOptions, 'apiKey' | 'onRequest'>;
  /** HTTP attempts made so far (for the sync record). */
  requests = 0;

  constructor(opts: PeeringDbClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.o = {
      pageSize: 1000,
      timeoutMs: 60_000,
      retries: 6,
      rateLimitRetries: 30,
      backoffMs: 1000,
      maxBackoffMs: 60_000,
      maxRetryAfterMs: 300_000,
      userAgent: USER_AGENT,
      sleep: abortableSleep,
      // The configured API root is the admin's choice (trusted); anything it redirects to is checked.
      fetch: ((url: string | URL, init?: RequestInit) =>
        guardedFetch(url, init, {
          trustedHosts: [new URL(this.baseUrl).host],
          timeoutMs: this.o?.timeoutMs ?? opts.timeoutMs ?? 60_000,
        })) as typeof fetch,
      ...opts,
    };
  }

  /** Yields the objects of a type page by page (depth=0), following limit/skip until a short page. */
  async *pages(type: string, params: ListParams = {}): AsyncGenerator<PdbObject[]> {
    const size = this.o.pageSize;
    for (let skip = 0; ; skip += size) {
      const q: Record<string, string | number> = { depth: 0, ...(params.query ?? {}) };
      if (params.since !== undefined) q.since = Math.max(0, Math.floor(params.since));
      if (size > 0) {
        q.limit = size;
        q.skip = skip;
      }
      const data = dataOf(await this.getJson(`/${type}`, q, params.signal));
      if (!data) throw new UpstreamError(`PeeringDB answered /${type} without a data list`, 'peeringdb_bad_response');
      yield data;
      if (size <= 0 || data.length < size) return;
    }
  }

  /** Every object of a type (all pages). */
  async list(type: string, params: ListParams = {}): Promise<PdbObject[]> {
    const out: PdbObject[] = [];
    for await (const page of this.pages(type, params)) for (const o of page) out.push(o);
    return out;
  }

  /** One object by id (depth 0 by default; 1–2 add the `_set` lists), or null when PeeringDB has none. */
  async get(type: string, id: number, opts: { depth?: number; signal?: AbortSignal } = {}): Promise<PdbObject | null> {
    try {
      const body = await this.getJson(`/${type}/${id}`, { depth: opts.depth ?? 0 }, opts.signal);
      return dataOf(body)?.[0] ?? null;
    } catch (e) {
      if (e instanceof UpstreamError && e.code === 'peeringdb_not_found') return null;
      throw e;
    }
  }

  /** GET with retries: 429 waits Retry-After, timeouts/network/5xx back off exponentially. */
  async getJson(path: string, query: Record<string, string | number>, signal?: AbortSignal): Promise<unknown> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.o.userAgent };
    if (this.o.apiKey) headers.authorization = `Api-Key ${this.o.apiKey}`;

    let failures = 0;
    let limited = 0;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      this.requests++;
      try {
        return await this.attempt(url.toString(), headers, attempt, signal);
      } catch (e) {
        if (!(e instanceof RetryableError)) throw e;
        if (signal?.aborted) throw signal.reason ?? e;
        const rateLimited = e instanceof RateLimited;
        if (rateLimited ? ++limited > this.o.rateLimitRetries : ++failures > this.o.retries) {
          throw new UpstreamError(
            `PeeringDB ${path}: ${e.message} (gave up after ${attempt + 1} attempts)`,
            rateLimited ? 'peeringdb_rate_limited' : 'peeringdb_unavailable',
          );
        }
        let wait = e.waitMs;
        if (wait === null) {
          const base = Math.min(
            this.o.maxBackoffMs,
            this.o.backoffMs * 2 ** (rateLimited ? limited - 1 : failures - 1),
          );
          wait = Math.round(base / 2 + Math.random() * (base / 2));
        }
        this.o.onRequest?.({ url: url.toString(), status: null, attempt, waitMs: wait, error: e.message });
        await this.o.sleep(wait, signal);
      }
    }
  }

  private async attempt(
    url: string,
    headers: Record<string, string>,
    attempt: number,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await this.o.fetch(url, { headers, signal: combined });
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      if (e instanceof ValidationError) throw new UpstreamError(`PeeringDB: ${e.message}`, 'peeringdb_refused');
      const msg = timeout.aborted
        ? `timed out after ${this.o.timeoutMs} ms`
        : `network error: ${(e as Error).cause ? String(((e as Error).cause as { code?: unknown } | undefined)?.code ?? (e as Error).cause) : (e as Error).message}`;
      this.o.onRequest?.({ url, status: null, attempt, error: msg });
      throw new RetryableError(msg);
    }
    this.o.onRequest?.({ url, status: res.status, attempt });
    if (res.status === 429) {
      const wait = parseRetryAfter(res.headers.get('retry-after'));
      await res.body?.cancel().catch(() => {});
      if (wait !== null && wait > this.o.maxRetryAfterMs) {
        throw new UpstreamError(
          `PeeringDB rate limit: asked to wait ${Math.round(wait / 1000)} s, more than allowed`,
          'peeringdb_rate_limited',
        );
      }
      throw new RateLimited('rate limited (429)', wait);
    }
    if (res.status >= 500) {
      await res.body?.cancel().catch(() => {});
      throw new RetryableError(`HTTP ${res.status}`);
    }
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {});
      throw new UpstreamError(`PeeringDB ${new URL(url).pathname}: not found`, 'peeringdb_not_found');
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel().catch(() => {});
      throw new UpstreamError(
        `PeeringDB refused the request (HTTP ${res.status}): check PEERDESK_PEERINGDB_API_KEY`,
        'peeringdb_auth',
      );
    }
    if (!res.ok) {
      // The status only: a remote body is never echoed into errors and job logs.
      await res.body?.cancel().catch(() => {});
      throw new UpstreamError(`PeeringDB ${new URL(url).pathname}: HTTP ${res.status}`, 'peeringdb_error');
    }
    try {
      const text = await res.text();
      return JSON.parse(text);
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      // A body cut off mid-transfer is a network problem, not bad data: retry.
      throw new RetryableError(`incomplete or invalid JSON: ${(e as Error).message}`);
    }
  }
}

/** The `data` list of a PeeringDB answer (objects as the API gives them), or null when it has none. */
function dataOf(body: unknown): PdbObject[] | null {
  const data = body && typeof body === 'object' ? (body as { data?: unknown }).data : undefined;
  return Array.isArray(data) ? (data as PdbObject[]) : null;
}

/** A client configured from the environment (PEERDESK_PEERINGDB_URL / _API_KEY). */
export function clientFromConfig(
  cfg: { PEERDESK_PEERINGDB_URL: string; PEERDESK_PEERINGDB_API_KEY?: string },
  extra: Partial<PeeringDbClientOptions> = {},
): PeeringDbClient {
  return new PeeringDbClient({ baseUrl: cfg.PEERDESK_PEERINGDB_URL, apiKey: cfg.PEERDESK_PEERINGDB_API_KEY, ...extra });
}
