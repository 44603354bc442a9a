// A revert timer on a router's host, shared by the drivers whose platform has no commit-confirm (FRR,
// GoBGP): small POSIX shell scripts run on this machine (`sh -c`) or on the router's host over SSH, and
// the shell functions over the timer's state files (a registry of the armed timer written by the timer
// itself, one script and previous configuration per arm, one lock around apply / restore / disarm).
import { spawn } from 'node:child_process';
import type { DriverSessionOptions } from '../driver.types.ts';
import { callTimeout, deviceError, logCall, shellQuote } from './common.ts';
import type { SshConnection } from './ssh.ts';

export interface ShellResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one shell script on gobgpd's host (`input` on its stdin; `logAs` is what the job log shows). */
export type HostShell = (script: string, options: { input?: string; logAs: string }) => Promise<ShellResult>;

/** The state files of one router's timer (`key` = revertKey(file)) in `dir`. */
export interface RevertFiles {
  dir: string;
  key: string;
}

export const TOKEN_RE = /^[0-9a-f]{16}$/;
export const reg = (f: RevertFiles) => `${f.dir}/revert-${f.key}.pid`;
export const lockFile = (f: RevertFiles) => `${f.dir}/revert-${f.key}.lock`;
/** One arm's own files: its script and the previous configuration it restores. */
export const armScript = (f: RevertFiles, token: string) => `${f.dir}/revert-${f.key}-${token}.sh`;
export const armPrevious = (f: RevertFiles, token: string) => `${f.dir}/previous-${f.key}-${token}.conf`;

/**
 * Shell functions over the timer's state files. The registry `revert-KEY.pid` holds "PID TOKEN" of the
 * armed timer, written by the timer itself (its own $$ after setsid, so a forking setsid or a reused pid
 * never points at the wrong process); each arm has its own script and previous file named after its
 * TOKEN, and its previous file existing is what "not yet fired, not cancelled" means. Everything that
 * changes these files or gobgpd's file holds the lock (flock, when the host has it):
 *   pd_lock / pd_unlock       take / release the lock on fd 9 (`command exec`: a failed redirection
 *                             fails the function instead of ending the shell);
 *   pd_alive PID TOKEN        PID is alive and is the timer script of TOKEN;
 *   pd_armed                  prints "PID TOKEN" of the registered, live timer (fails when none).
 */
export function revertLib(f: RevertFiles): string {
  const q = shellQuote;
  return `pd_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  (umask 077 && mkdir -p ${q(f.dir)}) 2>/dev/null
  { command exec 9>>${q(lockFile(f))}; } 2>/dev/null && flock -w 25 9
}
pd_unlock() { command exec 9>&-; }
pd_alive() {
  case "$1" in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$1" 2>/dev/null || return 1
  tr '\\000' ' ' 2>/dev/null < "/proc/$1/cmdline" | grep -qF -- ${q(`/revert-${f.key}-`)}"$2.sh"
}
pd_armed() {
  pd_r=$(cat ${q(reg(f))} 2>/dev/null) || return 1
  pd_rp=\${pd_r%% *}
  pd_rt=\${pd_r#* }
  case "$pd_rt" in '' | *[!0-9a-f]*) return 1 ;; esac
  pd_alive "$pd_rp" "$pd_rt" || return 1
  echo "$pd_rp $pd_rt"
}`;
}

/** `sh -c` on this machine (the job log shows `logAs` and the exit code, never the file content). */
export function localShell(router: string, opts: DriverSessionOptions): HostShell {
  return (script, { input, logAs }) =>
    new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(callTimeout(opts), 30_000));
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(deviceError(router, logAs, `cannot run sh: ${e.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        void logCall(opts.log, router, logAs, code === 0 ? 'ok' : `exit ${code}: ${stderr.trim().slice(0, 300)}`);
        resolve({ code, stdout, stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
}

/** The same scripts on the router's host over SSH. */
export function sshShell(conn: SshConnection): HostShell {
  return (script, { input, logAs }) => conn.exec(script, { input, logAs });
}
