// SSH transport (ssh2): one connection per router per session, several `exec` calls over it. The host
// key must match the pinned SHA256 fingerprint (`ssh_host_key`) unless `insecure_skip_host_key`.
import { createHash } from 'node:crypto';
import { Client, type ConnectConfig } from 'ssh2';
import type { DriverSessionOptions, RouterCredentials } from '../driver.types.ts';
import { callTimeout, logCall, onAbort, timedOut, unreachable } from './common.ts';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** Router name for messages and the job log. */
  router: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** OpenSSH's fingerprint of a host key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

function sameFingerprint(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .trim()
      .replace(/^SHA256:/i, '')
      .replace(/=+$/, '');
  return norm(a) === norm(b);
}

/** Splits `ssh://[user@]host[:port][/path]` (path: a remote socket or directory the driver uses). */
export function parseSshUrl(
  hostname: string,
): { user: string | null; host: string; port: number | null; path: string | null } | null {
  const m = /^ssh:\/\/(?:([A-Za-z0-9._-]{1,64})@)?(\[[0-9A-Fa-f:.]+\]|[^:/[\]]+)(?::(\d{1,5}))?(\/.*)?$/.exec(hostname);
  if (!m) return null;
  const port = m[3] ? Number(m[3]) : null;
  if (port !== null && (port < 1 || port > 65535)) return null;
  const path = m[4] && m[4] !== '/' ? m[4].replace(/\/+$/, '') : null;
  return { user: m[1] ?? null, host: m[2].replace(/^\[|\]$/g, ''), port, path };
}

/** An open SSH connection to one router. */
export class SshConnection {
  private readonly client: Client;
  private readonly target: SshTarget;
  private readonly opts: DriverSessionOptions;
  private closed = false;

  private constructor(client: Client, target: SshTarget, opts: DriverSessionOptions) {
    this.client = client;
    this.target = target;
    this.opts = opts;
    // A connection that drops later makes every further call fail as unreachable.
    client.on('close', () => (this.closed = true));
    client.on('error', () => (this.closed = true));
  }

  /** Connects and authenticates (key or password from the credentials); rejects with router_unreachable. */
  static connect(
    target: SshTarget,
    credentials: RouterCredentials | null,
    opts: DriverSessionOptions,
  ): Promise<SshConnection> {
    const timeout = callTimeout(opts);
    const creds = credentials ?? {};
    return new Promise((resolve, reject) => {
      const client = new Client();
      let settled = false;
      let hostKeyProblem: string | null = null;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        cleanup();
        client.end();
        client.destroy();
        reject(unreachable(target.router, why));
      };
      const cleanup = onAbort(opts.signal, () => fail('cancelled'));
      const config: ConnectConfig = {
        host: target.host,
        port: target.port,
        username: target.username,
        readyTimeout: timeout,
        keepaliveInterval: 0,
        // Host key check: pinned fingerprint, or explicitly skipped; never trust-on-first-use.
        hostVerifier: (key: Buffer) => {
          const fp = sshFingerprint(key);
          if (creds.ssh_host_key) {
            if (sameFingerprint(fp, creds.ssh_host_key)) return true;
            hostKeyProblem = `host key ${fp} does not match the pinned ssh_host_key`;
            return false;
          }
          if (creds.insecure_skip_host_key) return true;
          hostKeyProblem = `host key ${fp} is not pinned: set ssh_host_key to it (or insecure_skip_host_key in a lab)`;
          return false;
        },
      };
      if (creds.ssh_private_key) {
        config.privateKey = creds.ssh_private_key;
        if (creds.ssh_passphrase) config.passphrase = creds.ssh_passphrase;
      }
      if (creds.password) config.password = creds.password;
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        cleanup();
        void logCall(
          opts.log,
          target.router,
          `ssh ${target.username}@${target.host}:${target.port}`,
          'connected',
          'debug',
        );
        resolve(new SshConnection(client, target, opts));
      });
      // ssh2's messages name the failing step (ECONNREFUSED, handshake, authentication) and carry no secret.
      client.on('error', (err: Error & { level?: string }) => {
        if (hostKeyProblem) return fail(hostKeyProblem);
        fail(err.level === 'client-authentication' ? `authentication as ${target.username} failed` : err.message);
      });
      client.on('close', () => fail(hostKeyProblem ?? 'connection closed'));
      try {
        client.connect(config);
      } catch (err) {
        // e.g. an unparsable private key: say so without echoing it.
        fail(`cannot use the SSH credentials (${(err as Error).message.replace(/\s+/g, ' ').slice(0, 120)})`);
      }
    });
  }

  /**
   * Runs one command; resolves with its output and exit code (a non-zero code is the caller's to
   * judge). `logAs` is what the job log shows instead of the command (default: the command).
   */
  exec(command: string, options: { logAs?: string; input?: string } = {}): Promise<ExecResult> {
    const timeout = callTimeout(this.opts);
    const router = this.target.router;
    const shown = options.logAs ?? command;
    if (this.closed) return Promise.reject(unreachable(router, 'the SSH session is closed'));
    return new Promise((resolve, reject) => {
      let settled = false;
      let stdout = '';
      let stderr = '';
      const finish = (err: Error | null, code: number | null = null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        cleanup();
        if (err) return reject(err);
        void logCall(this.opts.log, router, shown, stdout || stderr);
        resolve({ stdout, stderr, code });
      };
      let stream: { close(): void } | null = null;
      const timer = setTimeout(() => {
        stream?.close();
        finish(timedOut(router, shown, timeout));
      }, timeout);
      const cleanup = onAbort(this.opts.signal, () => {
        stream?.close();
        finish(unreachable(router, 'cancelled'));
      });
      const run = (cb: Parameters<Client['exec']>[1]) => {
        try {
          this.client.exec(command, cb);
        } catch (err) {
          finish(unreachable(router, `cannot run a command: ${(err as Error).message}`));
        }
      };
      run((err, ch) => {
        if (err) return finish(unreachable(router, `cannot run a command: ${err.message}`));
        stream = ch;
        ch.setEncoding('utf8');
        ch.stderr.setEncoding('utf8');
        ch.on('data', (d: string) => (stdout += d));
        ch.stderr.on('data', (d: string) => (stderr += d));
        ch.on('close', (code: number | null) =>
          typeof code !== 'number' && this.closed
            ? finish(unreachable(router, 'the SSH connection dropped'))
            : finish(null, typeof code === 'number' ? code : null),
        );
        if (options.input !== undefined) ch.end(options.input);
        else ch.end();
      });
    });
  }

  /** Closes the connection (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.end();
  }
}

/** Connects to `ssh://…` for a router, taking user and port from the URL or the credentials. */
export async function openSsh(
  routerName: string,
  hostname: string,
  credentials: RouterCredentials | null,
  opts: DriverSessionOptions,
): Promise<{ conn: SshConnection; path: string | null }> {
  const u = parseSshUrl(hostname.startsWith('ssh://') ? hostname : `ssh://${hostname}`);
  if (!u) throw unreachable(routerName, 'the hostname is not ssh://[user@]host[:port][/path]');
  const username = u.user ?? credentials?.username;
  if (!username)
    throw unreachable(routerName, 'no SSH user: put it in the hostname (ssh://user@host) or the credentials');
  const conn = await SshConnection.connect(
    { host: u.host, port: u.port ?? credentials?.port ?? 22, username, router: routerName },
    credentials,
    opts,
  );
  return { conn, path: u.path };
}
