// Mail lab: a real SMTP server (npm smtp-server) on loopback that keeps what it receives and can be
// told to answer 5xx, and Debian's dovecot started with its own config in a temp dir as the IMAP server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, chmodSync, chownSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { createServer as createNetServer, Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { findTool } from './lab.ts';

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpLab {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** Answers the next DATA commands with this SMTP error (e.g. 554) until cleared. */
  rejectWith(code: number | null, message?: string): void;
  close(): Promise<void>;
}

/** Starts an SMTP server on 127.0.0.1 (ephemeral port) that keeps every message it accepts. */
export async function startSmtpLab(opts: { user?: string; pass?: string } = {}): Promise<SmtpLab> {
  const received: ReceivedMail[] = [];
  let reject: { code: number; message: string } | null = null;
  const server = new SMTPServer({
    disabledCommands: opts.user ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.user,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.pass) return cb(null, { user: auth.username });
      return cb(new Error('invalid credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        if (reject) {
          const err = new Error(reject.message) as Error & { responseCode?: number };
          err.responseCode = reject.code;
          return cb(err);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((x) => x.address),
          raw,
          parsed: await simpleParser(raw),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve, rejectP) => {
    server.once('error', rejectP);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  const auth = opts.user ? `${encodeURIComponent(opts.user)}:${encodeURIComponent(opts.pass ?? '')}@` : '';
  return {
    port,
    url: `smtp://${auth}127.0.0.1:${port}`,
    received,
    rejectWith(code, message = 'rejected by the test server') {
      reject = code === null ? null : { code, message };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port nobody listens on (connection refused). */
export async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface DovecotLab {
  host: string;
  port: number;
  user: string;
  pass: string;
  /** imap://user:pass@host:port/INBOX */
  url: string;
  dir: string;
  stop(): Promise<void>;
}

async function freePort(host: string, from: number): Promise<number> {
  for (let p = from; p < from + 2000; p++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createNetServer();
      s.once('error', () => resolve(false));
      s.listen(p, host, () => s.close(() => resolve(true)));
    });
    if (ok) return p;
  }
  throw new Error(`no free port on ${host} from ${from}`);
}

/**
 * Starts dovecot (as root, in the foreground) with a generated config: IMAP on 127.0.6.x, plain auth
 * without SSL, one passwd-file user whose Maildir lives in the temp dir (owned by `nobody`).
 */
export async function startDovecot(): Promise<DovecotLab> {
  const bin = findTool('dovecot');
  if (!bin) throw new Error('dovecot not installed');
  const dir = mkdtempSync(join(tmpdir(), 'pd-dovecot-'));
  chmodSync(dir, 0o755);
  const host = `127.0.6.${10 + (process.pid % 200)}`;
  const port = await freePort(host, 20000 + (process.pid % 5000));
  const user = 'peering';
  const pass = 'imap-secret-pw';
  for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d));
  chownSync(join(dir, 'mail'), 65534, 65534);
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${pass}:65534:65534::${join(dir, 'mail', user)}\n`);
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = ${host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1000
mail_location = maildir:${dir}/mail/%u/Maildir
default_login_user = dovenull
default_internal_user = dovecot
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
service imap-login {
  inet_listener imap {
    address = ${host}
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
`,
  );
  const proc: ChildProcess = spawn(bin, ['-c', conf, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d) => (output += d));
  proc.stderr?.on('data', (d) => (output += d));
  // Wait until the IMAP port answers (bounded).
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(
        `dovecot exited: ${output}${existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : ''}`,
      );
    const up = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('error', () => resolve(false));
      s.connect(port, host, () => {
        s.destroy();
        resolve(true);
      });
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`dovecot did not listen on ${host}:${port}: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    port,
    user,
    pass,
    url: `imap://${user}:${pass}@${host}:${port}/INBOX`,
    dir,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            proc.kill('SIGKILL');
            r();
          }, 10_000);
          proc.once('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
