// Arista eAPI client: JSON-RPC 2.0 `runCmds` (version 1, format json or text) over HTTPS with basic auth.
// One keep-alive agent per session (one TCP/TLS connection reused for every call of a job), TLS verified
// against the system CAs, the router's `ca_pem`, or not at all with `insecure_tls`; a timeout per call,
// abort by signal; JSON-RPC errors become UpstreamError('router_error') naming the failing command.
import https from 'node:https';
import { UpstreamError } from '../../platform/errors.ts';
import { truncateForLog, type DriverLog, type RouterCredentials } from '../driver.types.ts';
import { logLine } from './common.ts';
import { redactSecrets } from './netconf.ts';

const DEFAULT_TIMEOUT_MS = 15_000;

/** A command for runCmds: plain text, or with input (e.g. `enable` with a password). */
export type EapiCommand = string | { cmd: string; input: string };

export interface EapiOptions {
  /** Base URL `https://host:port`; `/command-api` is appended. */
  url: string;
  username: string;
  password: string;
  ca_pem?: string;
  insecure_tls?: boolean;
  label: string;
  signal?: AbortSignal;
  log?: DriverLog;
  timeoutMs?: number;
}

/** An error object of a JSON-RPC answer as eAPI sends it. */
interface EapiErrorObject {
  code: number;
  message: string;
  data?: ({ errors?: string[] } & Record<string, unknown>)[];
}

/** Parses `host`, `host:port`, `https://host[:port]` (and `[v6]:port`) into the eAPI base URL. */
export function eapiBaseUrl(hostname: string, port?: number): string {
  let s = hostname.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
  if (scheme) {
    if (scheme[1].toLowerCase() !== 'https')
      throw new UpstreamError(`hostname "${hostname}": eAPI needs https://host[:port]`, 'router_error');
    s = s.slice(scheme[0].length).replace(/\/.*$/, '');
  }
  let host = s;
  let p: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1];
    if (v6[2]) p = Number(v6[2]);
  } else if ((s.match(/:/g) ?? []).length === 1) {
    const [h, pp] = s.split(':');
    host = h;
    p = Number(pp);
  }
  const finalPort = p ?? port ?? 443;
  if (!host || !Number.isInteger(finalPort) || finalPort < 1 || finalPort > 65535)
    throw new UpstreamError(`hostname "${hostname}" is not https://host[:port]`, 'router_error');
  return `https://${host.includes(':') ? `[${host}]` : host}:${finalPort}`;
}

/** Describes a JSON-RPC error with the per-command errors eAPI puts in `data`. */
export function describeEapiError(err: EapiErrorObject, cmds: string[]): string {
  const details: string[] = [];
  (err.data ?? []).forEach((d, i) => {
    if (d && Array.isArray(d.errors) && d.errors.length)
      details.push(`"${cmds[i] ?? `command ${i + 1}`}": ${d.errors.join('; ')}`);
  });
  return `eAPI error ${err.code}: ${err.message}${details.length ? ` (${details.join(' | ')})` : ''}`;
}

/** One eAPI connection (keep-alive) to one switch. */
export class EapiClient {
  private readonly opts: EapiOptions;
  private readonly agent: https.Agent;
  private readonly auth: string;
  private nextId = 1;

  constructor(opts: EapiOptions) {
    this.opts = opts;
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: opts.ca_pem || undefined,
      // With ca_pem the host name is still checked: the certificate must name the address Peerdesk uses.
      rejectUnauthorized: !opts.insecure_tls,
    });
    this.auth = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  }

  /** Runs commands in one request; resolves with one result per command (objects for json, `{output}` for text). */
  async runCmds(
    cmds: EapiCommand[],
    format: 'json' | 'text' = 'json',
    timeoutMs?: number,
  ): Promise<Record<string, unknown>[]> {
    const names = cmds.map((c) => (typeof c === 'string' ? c : c.cmd));
    const id = `peerdesk-${this.nextId++}`;
    const body = JSON.stringify({ jsonrpc: '2.0', method: 'runCmds', params: { version: 1, cmds, format }, id });
    const label = this.opts.label;
    const limit = timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    await logLine(this.opts.log, `eapi runCmds (${format}): ${truncateForLog(redactSecrets(names.join(' ; ')), 300)}`);
    const text = await new Promise<string>((resolve, reject) => {
      let settled = false;
      const done = (err: Error | null, value?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.opts.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value!);
      };
      const url = new URL('/command-api', this.opts.url);
      const req = https.request(url, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: this.auth,
        },
      });
      const timer = setTimeout(() => {
        done(
          new UpstreamError(
            `${label}: no eAPI answer within ${Math.round(limit / 1000)} s (${truncateForLog(names.join(' ; '), 80)})`,
            'router_unreachable',
          ),
        );
        req.destroy();
      }, limit);
      const onAbort = () => {
        done(new UpstreamError(`${label}: eAPI call cancelled`, 'router_unreachable'));
        req.destroy();
      };
      if (this.opts.signal?.aborted) return onAbort();
      this.opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e: Error & { code?: string }) => {
        const tls = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(e.code ?? '');
        done(
          new UpstreamError(
            tls
              ? `${label}: the switch's TLS certificate is not trusted (${e.code}); set ca_pem in the router's credentials, or insecure_tls for a lab`
              : `${label}: eAPI connection failed: ${e.message}`,
            'router_unreachable',
          ),
        );
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) =>
          done(new UpstreamError(`${label}: eAPI answer broken off: ${e.message}`, 'router_unreachable')),
        );
        res.on('end', () => {
          const t = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 401 || res.statusCode === 403)
            return done(
              new UpstreamError(
                `${label}: eAPI authentication failed for user "${this.opts.username}" (HTTP ${res.statusCode}; check the router's username and password)`,
                'router_unreachable',
              ),
            );
          if (res.statusCode !== 200)
            return done(
              new UpstreamError(
                `${label}: eAPI answered HTTP ${res.statusCode}: ${truncateForLog(t, 200)}`,
                'router_error',
              ),
            );
          done(null, t);
        });
      });
      req.end(body);
    });
    await logLine(this.opts.log, `eapi reply: ${truncateForLog(redactSecrets(text))}`);
    let parsed: { result?: Record<string, unknown>[]; error?: EapiErrorObject };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new UpstreamError(`${label}: eAPI answer is not JSON: ${truncateForLog(text, 120)}`, 'router_error');
    }
    if (parsed.error) throw new UpstreamError(`${label}: ${describeEapiError(parsed.error, names)}`, 'router_error');
    if (!Array.isArray(parsed.result) || parsed.result.length !== cmds.length)
      throw new UpstreamError(
        `${label}: eAPI answer has ${Array.isArray(parsed.result) ? parsed.result.length : 'no'} results for ${cmds.length} commands`,
        'router_error',
      );
    return parsed.result;
  }

  /** Closes the kept-alive connection. */
  close(): void {
    this.agent.destroy();
  }
}

/** Builds an eAPI client for a router target (hostname forms of eapiBaseUrl). */
export function openEapi(
  router: { name: string; hostname: string | null; credentials: RouterCredentials | null },
  opts: { signal: AbortSignal; log?: DriverLog; timeoutMs?: number },
): EapiClient {
  if (!router.hostname)
    throw new UpstreamError(`${router.name}: no management address (hostname) is set`, 'router_unreachable');
  const c = router.credentials ?? {};
  if (!c.username || c.password === undefined)
    throw new UpstreamError(
      `${router.name}: eAPI needs a username and password in the router's credentials`,
      'router_unreachable',
    );
  return new EapiClient({
    url: eapiBaseUrl(router.hostname, c.port),
    username: c.username,
    password: c.password,
    ca_pem: c.ca_pem,
    insecure_tls: c.insecure_tls,
    label: router.name,
    signal: opts.signal,
    log: opts.log,
    timeoutMs: opts.timeoutMs,
  });
}
