// Guarded outbound HTTP for URLs users can give (IX-F exports, PeeringDB, future webhooks and templates):
// public addresses only (after DNS resolution, on every redirect), bounded in time, size and redirects,
// and errors that never echo what the remote end answered.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { UpstreamError, ValidationError } from './errors.ts';
import { blockedReason, parseCidrList, type Cidr } from './net-guard.ts';

export interface GuardOptions {
  /** Ranges that may be reached although internal (PEERDESK_FETCH_ALLOW); default: the configured ones. */
  allow?: Cidr[];
  /** Hosts (`host[:port]` as in URL.host) an admin configured, e.g. PEERDESK_PEERINGDB_URL's: not checked. */
  trustedHosts?: string[];
  /** Whole request including redirects (default 30 s). */
  timeoutMs?: number;
  /** Redirects followed at most (default 5); each is checked like the first URL. */
  maxRedirects?: number;
  /** Name of the input field the URL came from, for 400s (default `url`). */
  field?: string;
}

let configuredAllow: Cidr[] | null = null;

/** Sets the process-wide PEERDESK_FETCH_ALLOW ranges (the server does this from its config at start). */
export function configureFetchGuard(opts: { allow: string[] }): void {
  configuredAllow = parseCidrList(opts.allow);
}

/** The allowed internal ranges: configured ones, else PEERDESK_FETCH_ALLOW from the environment. */
export function fetchAllow(): Cidr[] {
  if (configuredAllow) return configuredAllow;
  try {
    return parseCidrList(process.env.PEERDESK_FETCH_ALLOW);
  } catch {
    return [];
  }
}

/** Raised when a URL points at an address the guard refuses (the caller sees a 400 naming the field). */
export class BlockedAddressError extends ValidationError {}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

// The connect-time DNS lookup: resolves, drops refused addresses and fails when none is left, so a
// name that resolves to an internal address (or changes its answer between check and use) is refused.
function guardedLookup(allow: Cidr[], trusted: Set<string>): LookupFunction {
  return (hostname: string, options: { all?: boolean; family?: number | 'IPv4' | 'IPv6' }, cb: LookupCallback) => {
    dnsLookup(hostname, { all: true, family: options?.family ?? 0 }, (err, addresses) => {
      if (err) return cb(err, options?.all ? [] : '', 0);
      const ok = trusted.has(hostname.toLowerCase())
        ? addresses
        : addresses.filter((a) => blockedReason(a.address, allow) === null);
      if (!ok.length) {
        const e = Object.assign(new Error(`${hostname} resolves only to addresses that may not be reached`), {
          code: 'EADDRBLOCKED',
        }) as NodeJS.ErrnoException;
        return cb(e, options?.all ? [] : '', 0);
      }
      if (options?.all) return cb(null, ok);
      cb(null, ok[0].address, ok[0].family);
    });
  };
}

const agents = new Map<string, Agent>();

function agentFor(allow: Cidr[], trusted: Set<string>): Dispatcher {
  // One agent per policy: pooled connections made under one policy are never reused under another.
  const key = `${allow.map((c) => c.text).join(',')}|${[...trusted].sort().join(',')}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      connect: { lookup: guardedLookup(allow, trusted), timeout: 10_000 },
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    agents.set(key, agent);
  }
  return agent;
}

/** Checks a URL's scheme and (literal) host against the policy; returns the parsed URL. */
export function checkUrl(raw: string | URL, opts: GuardOptions = {}): URL {
  const field = opts.field ?? 'url';
  let u: URL;
  try {
    u = new URL(String(raw));
  } catch {
    throw new ValidationError(field, 'is not a valid URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ValidationError(field, 'must be an http or https URL');
  if (u.username || u.password) throw new ValidationError(field, 'must not carry credentials');
  const trusted = new Set((opts.trustedHosts ?? []).map((h) => h.toLowerCase()));
  if (trusted.has(u.host.toLowerCase())) return u;
  // URL parsing already turned odd IPv4 forms (0x7f000001, 2130706433, 127.1) into dotted quads.
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const why = blockedReason(host, opts.allow ?? fetchAllow());
    if (why)
      throw new BlockedAddressError(
        field,
        `points at a ${why}, which Peerdesk does not fetch from (an admin can allow ranges with PEERDESK_FETCH_ALLOW)`,
      );
  } else if (host === 'localhost' || host.endsWith('.localhost')) {
    throw new BlockedAddressError(field, 'points at localhost, which Peerdesk does not fetch from');
  }
  return u;
}

/**
 * fetch() for user-given URLs: only http(s), only public addresses (checked on the literal host and
 * again at connect time after DNS, on the first URL and every redirect), redirects followed by hand
 * (at most `maxRedirects`), one overall timeout. Network failures become a 502 that names the host
 * only; the caller decides what to say about the status and must bound the body (see `readBody`).
 */
export async function guardedFetch(
  url: string | URL,
  init: Omit<RequestInit, 'body'> = {},
  opts: GuardOptions = {},
): Promise<Response> {
  const allow = opts.allow ?? fetchAllow();
  const trustedList = opts.trustedHosts ?? [];
  const trusted = new Set(trustedList.map((h) => h.toLowerCase()));
  const trustedNames = new Set(trustedList.map((h) => new URL(`http://${h}`).hostname.toLowerCase()));
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  const maxRedirects = opts.maxRedirects ?? 5;
  // The DOM's and undici's Headers types differ: hand the headers over as a plain record.
  const { headers: given, ...rest } = init;
  const headers = given === undefined ? undefined : Object.fromEntries(new Headers(given));
  let current = checkUrl(url, { ...opts, allow });
  for (let hop = 0; ; hop++) {
    // Trust follows the host, not the request: a trusted origin redirecting elsewhere is checked.
    const hostTrusted = trusted.has(current.host.toLowerCase());
    const dispatcher = agentFor(allow, hostTrusted ? trustedNames : new Set());
    let res: Response;
    try {
      res = (await undiciFetch(current, {
        ...rest,
        headers,
        redirect: 'manual',
        signal,
        dispatcher,
      })) as unknown as Response;
    } catch (e) {
      if (init.signal?.aborted) throw init.signal.reason ?? e;
      const cause = e instanceof Error ? e.cause : undefined;
      const code = cause && typeof cause === 'object' && 'code' in cause ? cause.code : undefined;
      if (code === 'EADDRBLOCKED')
        throw new BlockedAddressError(
          opts.field ?? 'url',
          `${current.hostname} resolves to an address Peerdesk does not fetch from (an admin can allow ranges with PEERDESK_FETCH_ALLOW)`,
        );
      throw new UpstreamError(
        timeout.aborted ? `${current.host} did not answer in time` : `could not fetch from ${current.host}`,
        'fetch_failed',
      );
    }
    if (![301, 302, 303, 307, 308].includes(res.status)) return res;
    await res.body?.cancel().catch(() => {});
    const location = res.headers.get('location');
    if (!location) throw new UpstreamError(`${current.host} redirected without a location`, 'fetch_failed');
    if (hop + 1 > maxRedirects)
      throw new UpstreamError(`more than ${maxRedirects} redirects from ${current.host}`, 'fetch_failed');
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new UpstreamError(`${current.host} redirected to an invalid URL`, 'fetch_failed');
    }
    current = checkUrl(next, { ...opts, allow, field: opts.field });
  }
}

/** Reads a response body up to `maxBytes` (else a 502 saying it is too large); never echoes it. */
export async function readBody(res: Response, maxBytes: number, what = 'the answer'): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new UpstreamError(`${what} is larger than ${maxBytes} bytes`, 'fetch_too_large');
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      size += chunk.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new UpstreamError(`${what} is larger than ${maxBytes} bytes`, 'fetch_too_large');
      }
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks);
}
