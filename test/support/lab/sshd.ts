// A real OpenSSH server on 127.0.0.1 with its own config, host key and port, accepting one generated
// key for the current user (root in CI); drivers reach the lab daemons' CLIs through it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { findTool } from '../lab.ts';

export interface SshdHarness {
  port: number;
  user: string;
  /** OpenSSH private key (PEM/OpenSSH format) authorised for `user`. */
  privateKey: string;
  /** A local account that logs in with a password only (created once, new random password per harness). */
  passwordUser: { user: string; password: string };
  /** The server's host key fingerprint as `ssh-keygen -l -E sha256` prints it (SHA256:…). */
  hostKeyFingerprint: string;
  stop(): Promise<void>;
}

/** Why the sshd harness cannot run here (not root, or no sshd), or null. */
export function sshdMissing(): string | null {
  if (!findTool('sshd')) return 'sshd not installed (Debian package openssh-server)';
  if (process.getuid?.() !== 0) return 'the sshd harness needs root (privilege separation)';
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function banner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      c.destroy();
      resolve(ok);
    };
    c.setTimeout(2000, () => done(false));
    c.once('data', (d) => done(d.toString().startsWith('SSH-2.0')));
    c.once('error', () => done(false));
  });
}

/** Starts `sshd -D -f CONF -p PORT -h HOSTKEY` on 127.0.0.1 and waits for its banner. */
export async function startSshd(): Promise<SshdHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'pd-sshd-'));
  chmodSync(dir, 0o755);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'peerdesk-lab-host', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'peerdesk-lab-client', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const fp = /(SHA256:\S+)/.exec(
    execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`], { encoding: 'utf8' }),
  )![1];
  const user = userInfo().username;
  // A password-only account for testing password authentication (sshd reads /etc/shadow, UsePAM no).
  const pwUser = 'pdlab-ssh';
  try {
    execFileSync('id', [pwUser], { stdio: 'ignore' });
  } catch {
    try {
      execFileSync('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', pwUser], {
        stdio: 'pipe',
      });
    } catch {
      // Another worker's harness may have created it a moment ago.
      execFileSync('id', [pwUser], { stdio: 'ignore' });
    }
  }
  // One password per machine for that shared account: harnesses started by parallel test workers would
  // otherwise change it under each other's logins. Published atomically (link of a complete file).
  const pwFile = join(tmpdir(), 'peerdesk-lab-ssh.password');
  const draft = `${pwFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, randomBytes(12).toString('base64url'), { mode: 0o600 });
  try {
    linkSync(draft, pwFile);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(draft, { force: true });
  }
  const password = readFileSync(pwFile, 'utf8');
  execFileSync('chpasswd', [], { input: `${pwUser}:${password}\n` });
  const conf = join(dir, 'sshd_config');
  writeFileSync(
    conf,
    `ListenAddress 127.0.0.1
HostKey ${hostKey}
PidFile ${join(dir, 'sshd.pid')}
AuthorizedKeysFile ${join(dir, 'authorized_keys')}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers ${user} ${pwUser}
UsePAM no
StrictModes no
LogLevel ERROR
Match User ${pwUser}
  PasswordAuthentication yes
  AuthenticationMethods password
`,
  );
  let child: ChildProcess | null = null;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    const c = spawn(findTool('sshd')!, ['-D', '-e', '-f', conf, '-p', String(port), '-h', hostKey], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    c.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    let up = false;
    for (let i = 0; i < 100 && c.exitCode === null; i++) {
      if (await banner(port)) {
        up = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (up) child = c;
    else {
      c.kill('SIGKILL');
      if (attempt === 4) throw new Error(`sshd did not start: ${err}`);
    }
  }
  const killAll = () => child?.kill('SIGKILL');
  process.once('exit', killAll);
  return {
    port,
    user,
    privateKey: readFileSync(clientKey, 'utf8'),
    passwordUser: { user: pwUser, password },
    hostKeyFingerprint: fp,
    async stop() {
      process.off('exit', killAll);
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
