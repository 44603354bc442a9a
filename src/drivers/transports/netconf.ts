// NETCONF client over SSH (RFC 6241 / RFC 6242): the `netconf` subsystem of an ssh2 connection, hello
// exchange with capability negotiation, end-of-message framing (base:1.0, `]]>]]>`) or chunked framing
// (base:1.1), one outstanding <rpc> at a time with its message-id, a timeout per RPC, abort by signal.
// Used by the Junos and IOS-XR drivers; one NetconfSession is opened per job and reused for every call.
import { createHash } from 'node:crypto';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { XMLParser } from 'fast-xml-parser';
import { UpstreamError } from '../../platform/errors.ts';
import { truncateForLog, type DriverLog, type RouterCredentials } from '../driver.types.ts';
import { logLine } from './common.ts';

export const NETCONF_BASE_10 = 'urn:ietf:params:netconf:base:1.0';
export const NETCONF_BASE_11 = 'urn:ietf:params:netconf:base:1.1';
const NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const EOM = ']]>]]>';
const DEFAULT_TIMEOUT_MS = 15_000;

/** A parsed XML node as fast-xml-parser gives it (attributes prefixed `@_`, text in `#text`). */
export type XmlNode = Record<string, unknown>;

/** One <rpc-error> of a reply, as RFC 6241 §4.3 defines it. */
export interface NetconfRpcError {
  type: string | null;
  tag: string | null;
  severity: string | null;
  path: string | null;
  message: string | null;
}

/** Where and how to connect. */
export interface NetconfConnectOptions {
  host: string;
  port: number;
  username: string;
  credentials: RouterCredentials;
  /** Name used in error messages (the router's name). */
  label: string;
  signal?: AbortSignal;
  log?: DriverLog;
  timeoutMs?: number;
  /** The client's own capabilities beyond base:1.0/1.1. */
  capabilities?: string[];
}

/** The answer to one <rpc>: the raw XML and the parsed children of <rpc-reply>. */
export interface RpcReply {
  xml: string;
  body: XmlNode;
}

/** Parses `host`, `host:port`, `[v6]:port`, `netconf://host[:port]`, `ssh://user@host[:port]`. */
export function parseNetconfHostname(
  hostname: string,
  defaultPort = 830,
): { host: string; port: number; user: string | null } {
  let s = hostname.trim();
  let user: string | null = null;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
  if (scheme) {
    if (!['netconf', 'ssh'].includes(scheme[1].toLowerCase()))
      throw new UpstreamError(
        `hostname "${hostname}": use netconf://host[:port] or ssh://user@host[:port]`,
        'router_error',
      );
    s = s.slice(scheme[0].length).replace(/\/.*$/, '');
  }
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = decodeURIComponent(s.slice(0, at));
    s = s.slice(at + 1);
  }
  let host = s;
  let port = defaultPort;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1];
    if (v6[2]) port = Number(v6[2]);
  } else if ((s.match(/:/g) ?? []).length === 1) {
    const [h, p] = s.split(':');
    host = h;
    port = Number(p);
  }
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new UpstreamError(`hostname "${hostname}" is not host[:port]`, 'router_error');
  return { host, port, user };
}

/** The SHA256 fingerprint of an SSH public key blob, as `ssh-keygen -lf` prints it (`SHA256:…`, no padding). */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Replaces secrets that configs carry (keys, passwords, secrets, communities) before text reaches a log. */
export function redactSecrets(text: string): string {
  return (
    text
      .replace(
        /(<(?:authentication-key|password|secret|encrypted-password|key-string|pre-shared-key)\b[^>]*>)[^<]*(<\/)/gi,
        '$1***$2',
      )
      // `password 7 0822…` / `secret 5 $1$…`: an optional one-digit encryption type precedes the value.
      .replace(
        /((?:^|[\s{;])(?:authentication-key|encrypted-password|pre-shared-key|password|secret|md5|community|key)[\s:="']+(?:\d\s+)?)("?)[^\s"<;]+\2/gi,
        '$1$2***$2',
      )
  );
}

/** Escapes text for an XML element or attribute. */
export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Wraps a value that may be one node or a list into a list (fast-xml-parser gives singles as objects). */
export function asArray<T>(v: T | T[] | undefined | null): T[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** Text content of a parsed node (string, number, or an element with attributes and `#text`). */
export function textOf(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return textOf(v[0]);
  if (typeof v === 'object') {
    const t = (v as XmlNode)['#text'];
    return t === undefined ? '' : textOf(t);
  }
  return null;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

/** Parses an XML document into nodes (namespace prefixes removed, values as strings). */
export function parseXml(xml: string): XmlNode {
  return parser.parse(xml) as XmlNode;
}

/** Every <rpc-error> anywhere in a parsed reply (Junos nests them inside e.g. <load-configuration-results>). */
export function findRpcErrors(node: unknown, out: NetconfRpcError[] = []): NetconfRpcError[] {
  if (Array.isArray(node)) {
    for (const n of node) findRpcErrors(n, out);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as XmlNode)) {
      if (k === 'rpc-error') {
        for (const e of asArray(v as XmlNode | XmlNode[])) {
          out.push({
            type: textOf(e['error-type']),
            tag: textOf(e['error-tag']),
            severity: textOf(e['error-severity']),
            path: textOf(e['error-path']),
            message: textOf(e['error-message']),
          });
        }
      } else if (!k.startsWith('@_')) findRpcErrors(v, out);
    }
  }
  return out;
}

/** One line per error: "operation-failed: statement not found (at /configuration/protocols)". */
export function describeRpcErrors(errors: NetconfRpcError[]): string {
  return errors
    .map((e) => `${e.tag ?? e.type ?? 'error'}: ${e.message ?? 'no message'}${e.path ? ` (at ${e.path})` : ''}`)
    .join('; ');
}

/** The name of the first element of an RPC body, for the log ("get-bgp-neighbor-information"). */
function rpcName(body: string): string {
  return /^\s*<([A-Za-z][\w.-]*)/.exec(body)?.[1] ?? 'rpc';
}

/** Decodes RFC 6242 chunked framing; returns the complete messages and what is left over. */
export function decodeChunks(buf: string): { messages: string[]; rest: string } {
  const messages: string[] = [];
  let pos = 0;
  let current = '';
  let consumed = 0;
  for (;;) {
    const m = /^\n#(\d+)\n/.exec(buf.slice(pos, pos + 16));
    if (m) {
      // Chunk sizes are in octets: slice on bytes, not UTF-16 units.
      const size = Number(m[1]);
      const start = pos + m[0].length;
      const bytes = Buffer.from(buf.slice(start), 'utf8');
      if (bytes.length < size) break;
      const chunk = bytes.subarray(0, size).toString('utf8');
      current += chunk;
      pos = start + chunk.length;
      continue;
    }
    if (buf.startsWith('\n##\n', pos)) {
      messages.push(current);
      current = '';
      pos += 4;
      consumed = pos;
      continue;
    }
    break;
  }
  return { messages, rest: buf.slice(consumed) };
}

/** Frames one message for base:1.1 (one chunk). */
export function encodeChunk(message: string): string {
  return `\n#${Buffer.byteLength(message, 'utf8')}\n${message}\n##\n`;
}

/**
 * An open NETCONF session. `rpc()` sends one operation (the XML inside <rpc>) and resolves with the
 * parsed reply, or rejects with UpstreamError: `router_error` for <rpc-error>, `router_unreachable`
 * for a timeout, a lost connection or a cancelled job.
 */
export class NetconfSession {
  readonly serverCapabilities: string[];
  readonly base11: boolean;
  readonly sessionId: string | null;
  private readonly conn: Client;
  private readonly stream: ClientChannel;
  private readonly opts: NetconfConnectOptions;
  private buf = '';
  private nextId = 1;
  private waiter: { id: string; resolve: (xml: string) => void; reject: (e: Error) => void } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed: Error | null = null;

  private constructor(
    conn: Client,
    stream: ClientChannel,
    opts: NetconfConnectOptions,
    hello: { caps: string[]; sessionId: string | null; base11: boolean },
    rest: string,
  ) {
    this.conn = conn;
    this.stream = stream;
    this.opts = opts;
    this.serverCapabilities = hello.caps;
    this.sessionId = hello.sessionId;
    this.base11 = hello.base11;
    this.buf = rest;
    stream.on('data', (d: string) => this.onData(d));
    stream.on('close', () =>
      this.fail(new UpstreamError(`${opts.label}: NETCONF session closed by the router`, 'router_unreachable')),
    );
    conn.on('error', (err: Error) =>
      this.fail(new UpstreamError(`${opts.label}: ${err.message}`, 'router_unreachable')),
    );
    conn.on('close', () => this.fail(new UpstreamError(`${opts.label}: SSH connection closed`, 'router_unreachable')));
  }

  /** Connects, checks the host key, opens the `netconf` subsystem and exchanges <hello>. */
  static async connect(opts: NetconfConnectOptions): Promise<NetconfSession> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const creds = opts.credentials;
    const conn = new Client();
    let hostKeyProblem: string | null = null;
    const config: ConnectConfig = {
      host: opts.host,
      port: opts.port,
      username: opts.username,
      readyTimeout: timeoutMs,
      keepaliveInterval: 0,
      hostVerifier: (key: Buffer) => {
        if (creds.insecure_skip_host_key) return true;
        const fp = sshFingerprint(key);
        if (!creds.ssh_host_key) {
          hostKeyProblem = `no SSH host key is configured for this router (its key is ${fp}); set the fingerprint in the router's credentials`;
          return false;
        }
        if (fp.replace(/=+$/, '') !== creds.ssh_host_key.trim().replace(/=+$/, '')) {
          hostKeyProblem = `SSH host key mismatch: the router presented ${fp}, the configured key is ${creds.ssh_host_key.trim()}`;
          return false;
        }
        return true;
      },
    };
    if (creds.password !== undefined) config.password = creds.password;
    if (creds.ssh_private_key) {
      config.privateKey = creds.ssh_private_key;
      if (creds.ssh_passphrase) config.passphrase = creds.ssh_passphrase;
    }
    const where = `${opts.label} (${opts.host}:${opts.port})`;
    await logLine(opts.log, `netconf: connecting to ${opts.host}:${opts.port} as ${opts.username}`);
    return new Promise<NetconfSession>((resolve, reject) => {
      let done = false;
      let buf = '';
      const finish = (err: Error | null, session?: NetconfSession) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) {
          conn.end();
          reject(err);
        } else resolve(session!);
      };
      const onAbort = () => finish(new UpstreamError(`${where}: cancelled`, 'router_unreachable'));
      const timer = setTimeout(
        () =>
          finish(
            new UpstreamError(
              `${where}: no NETCONF hello within ${Math.round(timeoutMs / 1000)} s`,
              'router_unreachable',
            ),
          ),
        timeoutMs + 1000,
      );
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      conn.on('error', (err: Error & { level?: string }) => {
        if (hostKeyProblem) return finish(new UpstreamError(`${where}: ${hostKeyProblem}`, 'router_unreachable'));
        if (err.level === 'client-authentication')
          return finish(
            new UpstreamError(
              `${where}: SSH authentication failed for user "${opts.username}" (check the router's username, password or key)`,
              'router_unreachable',
            ),
          );
        finish(new UpstreamError(`${where}: ${err.message}`, 'router_unreachable'));
      });
      conn.on('close', () =>
        finish(
          new UpstreamError(
            hostKeyProblem ? `${where}: ${hostKeyProblem}` : `${where}: connection closed before the NETCONF hello`,
            'router_unreachable',
          ),
        ),
      );
      conn.on('ready', () => {
        conn.subsys('netconf', (err, stream) => {
          if (err)
            return finish(
              new UpstreamError(
                `${where}: the router refused the netconf subsystem: ${err.message}`,
                'router_unreachable',
              ),
            );
          // Decoded as a stream so a multi-byte character split across packets stays whole.
          stream.setEncoding('utf8');
          const ours = [NETCONF_BASE_10, NETCONF_BASE_11, ...(opts.capabilities ?? [])];
          stream.write(
            `<?xml version="1.0" encoding="UTF-8"?><hello xmlns="${NS}"><capabilities>${ours.map((c) => `<capability>${xmlEscape(c)}</capability>`).join('')}</capabilities></hello>${EOM}`,
          );
          const onHello = (d: string) => {
            buf += d;
            const end = buf.indexOf(EOM);
            if (end < 0) return;
            stream.off('data', onHello);
            const helloXml = buf.slice(0, end);
            const rest = buf.slice(end + EOM.length);
            let hello: XmlNode;
            try {
              hello = (parseXml(helloXml).hello ?? {}) as XmlNode;
            } catch (e) {
              return finish(
                new UpstreamError(`${where}: unreadable NETCONF hello: ${(e as Error).message}`, 'router_error'),
              );
            }
            const caps = asArray((hello.capabilities as XmlNode | undefined)?.capability).map((c) => textOf(c) ?? '');
            const base11 = caps.includes(NETCONF_BASE_11);
            if (!base11 && !caps.includes(NETCONF_BASE_10))
              return finish(
                new UpstreamError(`${where}: the router offers neither NETCONF base:1.0 nor base:1.1`, 'router_error'),
              );
            const session = new NetconfSession(
              conn,
              stream,
              opts,
              { caps, sessionId: textOf(hello['session-id']), base11 },
              rest,
            );
            void logLine(
              opts.log,
              `netconf: session ${session.sessionId ?? '?'} open, framing ${base11 ? '1.1 (chunked)' : '1.0 (end-of-message)'}, ${caps.length} capabilities`,
            );
            finish(null, session);
          };
          stream.on('data', onHello);
        });
      });
      conn.connect(config);
    });
  }

  /** True when the router advertised a capability (prefix match, parameters ignored). */
  hasCapability(uri: string): boolean {
    return this.serverCapabilities.some((c) => c === uri || c.startsWith(`${uri}?`));
  }

  /** Sends one operation and returns its reply; rejects with router_error on <rpc-error> (warnings are ignored). */
  rpc(operation: string, opts: { timeoutMs?: number; allowErrors?: boolean } = {}): Promise<RpcReply> {
    const run = () => this.send(operation, opts);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async send(operation: string, opts: { timeoutMs?: number; allowErrors?: boolean }): Promise<RpcReply> {
    if (this.closed) throw this.closed;
    const name = rpcName(operation);
    const id = String(this.nextId++);
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const message = `<?xml version="1.0" encoding="UTF-8"?><rpc message-id="${id}" xmlns="${NS}">${operation}</rpc>`;
    await logLine(this.opts.log, `netconf rpc ${name} (message-id ${id})`);
    const xml = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        // The late answer would arrive out of step: the session is unusable after a timeout.
        this.fail(
          new UpstreamError(
            `${this.opts.label}: no answer to <${name}> within ${Math.round(timeoutMs / 1000)} s`,
            'router_unreachable',
          ),
        );
        reject(
          new UpstreamError(
            `${this.opts.label}: no answer to <${name}> within ${Math.round(timeoutMs / 1000)} s`,
            'router_unreachable',
          ),
        );
      }, timeoutMs);
      const onAbort = () => {
        clearTimeout(timer);
        this.waiter = null;
        this.fail(new UpstreamError(`${this.opts.label}: cancelled`, 'router_unreachable'));
        reject(new UpstreamError(`${this.opts.label}: <${name}> cancelled`, 'router_unreachable'));
      };
      if (this.opts.signal?.aborted) return onAbort();
      this.opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        id,
        resolve: (x) => {
          clearTimeout(timer);
          this.opts.signal?.removeEventListener('abort', onAbort);
          resolve(x);
        },
        reject: (e) => {
          clearTimeout(timer);
          this.opts.signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.stream.write(this.base11 ? encodeChunk(message) : message + EOM);
    });
    await logLine(this.opts.log, `netconf reply ${name}: ${truncateForLog(redactSecrets(xml))}`);
    let doc: XmlNode;
    try {
      doc = parseXml(xml);
    } catch (e) {
      throw new UpstreamError(
        `${this.opts.label}: unreadable reply to <${name}>: ${(e as Error).message}`,
        'router_error',
      );
    }
    const body = (doc['rpc-reply'] ?? {}) as XmlNode;
    const errors = findRpcErrors(body).filter((e) => e.severity !== 'warning');
    if (errors.length && !opts.allowErrors)
      throw new UpstreamError(`${this.opts.label}: <${name}> failed: ${describeRpcErrors(errors)}`, 'router_error');
    return { xml, body: typeof body === 'object' ? body : {} };
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    const messages: string[] = [];
    if (this.base11) {
      const r = decodeChunks(this.buf);
      messages.push(...r.messages);
      this.buf = r.rest;
    } else {
      let end: number;
      while ((end = this.buf.indexOf(EOM)) >= 0) {
        messages.push(this.buf.slice(0, end));
        this.buf = this.buf.slice(end + EOM.length);
      }
    }
    for (const m of messages) {
      const w = this.waiter;
      if (!w) continue; // an unsolicited message (e.g. a notification) is not ours to answer
      const mid = /<(?:\w+:)?rpc-reply\b[^>]*\bmessage-id="([^"]*)"/.exec(m)?.[1];
      if (mid !== undefined && mid !== w.id) continue;
      this.waiter = null;
      w.resolve(m);
    }
  }

  private fail(err: Error): void {
    if (!this.closed) this.closed = err;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
    this.conn.end();
  }

  /** Sends <close-session> (best effort, short timeout) and ends the SSH connection. */
  async close(): Promise<void> {
    if (!this.closed) {
      try {
        await this.rpc('<close-session/>', { timeoutMs: 2000 });
      } catch {
        /* the router may already be gone */
      }
    }
    this.fail(new UpstreamError(`${this.opts.label}: session closed`, 'router_unreachable'));
  }
}

/** Opens a NETCONF session to a router target (hostname forms of parseNetconfHostname; port from credentials wins). */
export async function openNetconf(
  router: { name: string; hostname: string | null; credentials: RouterCredentials | null },
  opts: { signal: AbortSignal; log?: DriverLog; timeoutMs?: number },
): Promise<NetconfSession> {
  if (!router.hostname)
    throw new UpstreamError(`${router.name}: no management address (hostname) is set`, 'router_unreachable');
  const credentials = router.credentials ?? {};
  // A port in the hostname wins over the credentials' port, which wins over NETCONF's 830.
  const target = parseNetconfHostname(router.hostname, credentials.port ?? 830);
  const username = credentials.username ?? target.user;
  if (!username)
    throw new UpstreamError(`${router.name}: no username in the router's credentials`, 'router_unreachable');
  return NetconfSession.connect({
    host: target.host,
    port: target.port,
    username,
    credentials,
    label: router.name,
    signal: opts.signal,
    log: opts.log,
    timeoutMs: opts.timeoutMs,
  });
}
