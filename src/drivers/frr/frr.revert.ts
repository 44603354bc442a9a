// The stand-in for FRR's missing commit-confirm: before a deploy changes bgpd, Peerdesk writes the
// previous running configuration and a small shell script to a state directory on the router's host
// and starts it detached: `sleep N`, then vtysh runs the commands back to the previous configuration.
// `confirm` kills it; if Peerdesk never comes back (lost connection, crash) the script rolls back by
// itself. Local routers (`vtysh:`): PEERDESK_FRR_STATE_DIR (default $TMPDIR/peerdesk-frr); over SSH:
// /tmp/peerdesk-frr on the router. Files are named after the vty socket dir, so a timer armed by
// another Peerdesk job (or process) is seen as a pending confirm.
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { deviceError, shellQuote } from '../transports/common.ts';
import type { SshConnection } from '../transports/ssh.ts';
import { vtyshArgs } from '../transports/vtysh.ts';

/** The revert timer of one router. */
export interface RevertTimer {
  /** Refuses a candidate vtysh cannot parse (`vtysh --dryrun`), before anything changes. */
  check(config: string): Promise<void>;
  /** (Re-)arms the timer: after `seconds`, run `commands` (vtysh -c list) unless disarmed. */
  arm(seconds: number, commands: string[], previous: string): Promise<void>;
  /** Cancels the timer (confirm). */
  disarm(): Promise<void>;
  /** True while an armed timer's process is alive. */
  pending(): Promise<boolean>;
  /** The previous configuration kept by the armed timer, or null. */
  previous(): Promise<string | null>;
}

/** PEERDESK_FRR_STATE_DIR when a clean absolute path, else $TMPDIR/peerdesk-frr. */
export function frrStateDir(): string {
  const d = process.env.PEERDESK_FRR_STATE_DIR?.trim();
  if (d && isAbsolute(d) && !d.split('/').includes('..') && !/[\0-\x1f\x7f]/.test(d))
    return d.replace(/\/+$/, '') || '/';
  return join(tmpdir(), 'peerdesk-frr');
}

/** The text without the banner lines `show running-config` prints (they are not commands). */
export function withoutBanner(config: string): string {
  return config.replace(/^(Building configuration\.\.\.|Current configuration:.*)$/gm, '!');
}

/** The file-name key of a router's timer: a hash of where its vtysh talks to. */
export function revertKey(socketDir: string | null): string {
  return createHash('sha256')
    .update(socketDir ?? '(default)')
    .digest('hex')
    .slice(0, 16);
}

/** The timer script: wait, restore, remove its own files. */
export function revertScript(seconds: number, socketDir: string | null, commands: string[], files: string[]): string {
  const restore = commands.length ? `vtysh ${vtyshArgs(socketDir, commands).map(shellQuote).join(' ')}\n` : '';
  return `#!/bin/sh\n# Peerdesk deploy: restores the previous FRR configuration unless the deploy is confirmed.\nsleep ${Math.max(1, Math.round(seconds))}\n${restore}rm -f ${files.map(shellQuote).join(' ')}\n`;
}

const execFileP = (cmd: string, args: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({
        code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
        out: `${stdout}${stderr}`,
      }),
    );
  });

/** The timer for a router whose vtysh runs on this machine. */
export function localRevert(router: string, socketDir: string): RevertTimer {
  const dir = frrStateDir();
  const key = revertKey(socketDir);
  const script = join(dir, `revert-${key}.sh`);
  const pidFile = join(dir, `revert-${key}.pid`);
  const prevFile = join(dir, `previous-${key}.conf`);
  const alivePid = async (): Promise<number | null> => {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  };
  const timer: RevertTimer = {
    async check(config) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, `candidate-${key}-${process.pid}.conf`);
      await writeFile(file, withoutBanner(config), { mode: 0o600 });
      try {
        const r = await execFileP('vtysh', ['--dryrun', '-f', file]);
        if (r.code !== 0)
          throw deviceError(router, 'vtysh --dryrun', r.out.replace(file, 'candidate').trim() || `exit code ${r.code}`);
      } finally {
        await rm(file, { force: true });
      }
    },
    async arm(seconds, commands, previous) {
      await timer.disarm();
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(prevFile, previous, { mode: 0o600 });
      await writeFile(script, revertScript(seconds, socketDir, commands, [script, pidFile, prevFile]), { mode: 0o700 });
      // Its own process group, detached: it outlives this job and this process.
      const child = spawn('sh', [script], { detached: true, stdio: 'ignore' });
      if (!child.pid) throw deviceError(router, 'arm revert timer', 'could not start sh');
      child.unref();
      await writeFile(pidFile, String(child.pid), { mode: 0o600 });
    },
    async disarm() {
      const pid = await alivePid();
      if (pid) {
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      await Promise.all([script, pidFile, prevFile].map((f) => rm(f, { force: true })));
    },
    async pending() {
      return (await alivePid()) !== null;
    },
    async previous() {
      return (await alivePid()) ? await readFile(prevFile, 'utf8').catch(() => null) : null;
    },
  };
  return timer;
}

/** The timer for a router reached over SSH (files in /tmp/peerdesk-frr on the router). */
export function sshRevert(router: string, conn: SshConnection, socketDir: string | null): RevertTimer {
  const dir = '/tmp/peerdesk-frr';
  const key = revertKey(socketDir);
  const script = `${dir}/revert-${key}.sh`;
  const pidFile = `${dir}/revert-${key}.pid`;
  const prevFile = `${dir}/previous-${key}.conf`;
  const q = shellQuote;
  const alive = `[ -s ${q(pidFile)} ] && kill -0 "$(cat ${q(pidFile)})" 2>/dev/null`;
  const timer: RevertTimer = {
    async check(config) {
      const file = `${dir}/candidate-${key}.conf`;
      const r = await conn.exec(
        `umask 077 && mkdir -p ${q(dir)} && cat > ${q(file)} && vtysh --dryrun -f ${q(file)}; rc=$?; rm -f ${q(file)}; exit $rc`,
        { input: withoutBanner(config), logAs: 'vtysh --dryrun -f candidate' },
      );
      if (r.code !== 0)
        throw deviceError(
          router,
          'vtysh --dryrun',
          `${r.stdout}${r.stderr}`.replaceAll(file, 'candidate').trim() || `exit code ${r.code}`,
        );
    },
    async arm(seconds, commands, previous) {
      await timer.disarm();
      const body = revertScript(seconds, socketDir, commands, [script, pidFile, prevFile]);
      const w = await conn.exec(`umask 077 && mkdir -p ${q(dir)} && cat > ${q(prevFile)}`, {
        input: previous,
        logAs: 'save previous configuration',
      });
      if (w.code !== 0)
        throw deviceError(router, 'save previous configuration', w.stderr.trim() || `exit code ${w.code}`);
      const r = await conn.exec(
        `umask 077 && cat > ${q(script)} && (setsid sh ${q(script)} </dev/null >/dev/null 2>&1 & echo $! > ${q(pidFile)})`,
        { input: body, logAs: `arm revert timer (${seconds} s)` },
      );
      if (r.code !== 0) throw deviceError(router, 'arm revert timer', r.stderr.trim() || `exit code ${r.code}`);
    },
    async disarm() {
      await conn.exec(
        `if ${alive}; then kill -TERM -- -"$(cat ${q(pidFile)})" 2>/dev/null || kill "$(cat ${q(pidFile)})"; fi; rm -f ${q(script)} ${q(pidFile)} ${q(prevFile)}`,
        { logAs: 'disarm revert timer' },
      );
    },
    async pending() {
      return (await conn.exec(alive, { logAs: 'revert timer pending?' })).code === 0;
    },
    async previous() {
      const r = await conn.exec(`${alive} && cat ${q(prevFile)}`, { logAs: 'read previous configuration' });
      return r.code === 0 ? r.stdout : null;
    },
  };
  return timer;
}
