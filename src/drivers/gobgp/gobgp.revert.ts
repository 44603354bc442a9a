// gobgpd's configuration file on its host, and the revert timer that stands in for GoBGP's missing
// commit-confirm. Everything runs as small POSIX shell scripts, on this machine (`sh -c`, when gobgpd
// runs here) or on the router's host over SSH, so the timer works the same way in both places:
//   apply:  find the gobgpd started with `-f FILE` (/proc/PID/cmdline), write FILE, send it SIGHUP
//           (gobgpd re-reads its file and adds / removes / updates neighbours, peer groups and policies);
//   arm:    keep the previous file in a state directory and start a detached `sleep N`, restore, SIGHUP
//           script in its own session: a lost management connection or a crashed Peerdesk still reverts;
//   disarm: kill the script's process group (confirm).
// State files are named after a hash of FILE, so a timer armed by another job or process is seen as a
// pending confirm. Local state directory: PEERDESK_GOBGP_STATE_DIR (default $TMPDIR/peerdesk-gobgp);
// over SSH: /tmp/peerdesk-gobgp on the router.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { DriverSessionOptions } from '../driver.types.ts';
import { callTimeout, deviceError, logCall, shellQuote } from '../transports/common.ts';
import type { SshConnection } from '../transports/ssh.ts';

export interface ShellResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one shell script on gobgpd's host (`input` on its stdin; `logAs` is what the job log shows). */
export type HostShell = (script: string, options: { input?: string; logAs: string }) => Promise<ShellResult>;

/** gobgpd's file and the revert timer, on the host gobgpd runs on. */
export interface GobgpHost {
  /** The configuration file gobgpd was started with. */
  readonly file: string;
  /** The file's content (the running configuration as Peerdesk sees it). */
  read(): Promise<string>;
  /** Refuses a candidate gobgpd's own check (`gobgpd -d`) rejects, before anything changes. */
  check(config: string): Promise<void>;
  /** Writes the file and makes gobgpd re-read it (SIGHUP). */
  install(config: string): Promise<void>;
  /** (Re-)arms the timer: after `seconds`, `previous` goes back into the file and gobgpd re-reads it. */
  arm(seconds: number, previous: string): Promise<void>;
  /** Cancels the timer (confirm). */
  disarm(): Promise<void>;
  /** True while an armed timer's process is alive. */
  pending(): Promise<boolean>;
  /** The previous configuration kept by the armed timer, or null. */
  previous(): Promise<string | null>;
}

/** A clean absolute path (no `..`, no control characters), or null. */
export function cleanPath(p: unknown): string | null {
  if (typeof p !== 'string') return null;
  const d = p.trim();
  return d && isAbsolute(d) && !d.split('/').includes('..') && !/[\0-\x1f\x7f]/.test(d)
    ? d.replace(/\/+$/, '') || null
    : null;
}

/** The router's gobgpd configuration file: credentials `config_file`, else PEERDESK_GOBGP_CONFIG_FILE, else Debian's /etc/gobgpd.conf. */
export function gobgpConfigFile(credentials: { config_file?: unknown } | null): string | null {
  return cleanPath(credentials?.config_file) ?? cleanPath(process.env.PEERDESK_GOBGP_CONFIG_FILE ?? '/etc/gobgpd.conf');
}

/** PEERDESK_GOBGP_STATE_DIR when a clean absolute path, else $TMPDIR/peerdesk-gobgp. */
export function gobgpStateDir(): string {
  return cleanPath(process.env.PEERDESK_GOBGP_STATE_DIR) ?? join(tmpdir(), 'peerdesk-gobgp');
}

/** The file-name key of a router's timer: a hash of its configuration file path. */
export function revertKey(file: string): string {
  return createHash('sha256').update(file).digest('hex').slice(0, 16);
}

/**
 * Shell function `pd_gobgpd_pid FILE`: prints the pid of the gobgpd whose `-f`/`--config-file` is FILE
 * (relative paths resolved against its working directory, symlinks followed); fails when none runs.
 */
export const FIND_GOBGPD = `pd_gobgpd_pid() {
  pd_want=$(readlink -f -- "$1" 2>/dev/null) || pd_want=$1
  for pd_d in /proc/[0-9]*; do
    pd_exe=$(tr '\\000' '\\n' < "$pd_d/cmdline" 2>/dev/null | sed -n 1p) || continue
    case "\${pd_exe##*/}" in gobgpd) ;; *) continue ;; esac
    pd_f=$(tr '\\000' '\\n' < "$pd_d/cmdline" 2>/dev/null | awk 'p { print; exit } $0 == "-f" || $0 == "--config-file" { p = 1; next } /^--config-file=/ { sub(/^--config-file=/, ""); print; exit } /^-f./ { print substr($0, 3); exit }')
    [ -n "$pd_f" ] || continue
    case "$pd_f" in /*) ;; *) pd_f="$(readlink "$pd_d/cwd" 2>/dev/null)/$pd_f" ;; esac
    pd_f=$(readlink -f -- "$pd_f" 2>/dev/null) || continue
    if [ "$pd_f" = "$pd_want" ]; then echo "\${pd_d#/proc/}"; return 0; fi
  done
  return 1
}`;

/** Script part: writes stdin to FILE and sends SIGHUP to its gobgpd (exit 3 and nothing written when none runs). */
export function installScript(file: string): string {
  const f = shellQuote(file);
  return `${FIND_GOBGPD}\npd_pid=$(pd_gobgpd_pid ${f}) || { echo "no gobgpd is running with -f ${file.replace(/[^\x20-\x7e]/g, '?')}" >&2; exit 3; }\ncat > ${f} || exit 4\nkill -HUP "$pd_pid"\n`;
}

/** The timer script: wait, restore the previous file, SIGHUP, remove its own files. */
export function revertScript(seconds: number, file: string, prevFile: string, ownFiles: string[]): string {
  const q = shellQuote;
  return `#!/bin/sh\n# Peerdesk deploy: restores the previous gobgpd configuration unless the deploy is confirmed.\n${FIND_GOBGPD}\nsleep ${Math.max(1, Math.round(seconds))}\nif cat ${q(prevFile)} > ${q(file)}; then\n  pd_pid=$(pd_gobgpd_pid ${q(file)}) && kill -HUP "$pd_pid"\nfi\nrm -f ${ownFiles.map(q).join(' ')}\n`;
}

/** The first error gobgpd's `-d` check printed (its log lines are JSON with an "Error" field). */
export function checkMessage(output: string): string {
  for (const line of output.split('\n')) {
    try {
      const j = JSON.parse(line) as { Error?: unknown; msg?: unknown; level?: unknown };
      if (typeof j.Error === 'string')
        return j.Error.replace(/\s+/g, ' ')
          .replace(/^1 error\(s\) decoding: \* /, '')
          .trim();
    } catch {
      /* not JSON */
    }
  }
  return output.replace(/\s+/g, ' ').trim().slice(0, 500);
}

/** gobgpd's host reached through `sh` (this machine or SSH), with its state files under `dir`. */
export function gobgpHost(router: string, file: string, dir: string, sh: HostShell): GobgpHost {
  const q = shellQuote;
  const key = revertKey(file);
  const script = `${dir}/revert-${key}.sh`;
  const pidFile = `${dir}/revert-${key}.pid`;
  const prevFile = `${dir}/previous-${key}.conf`;
  const alive = `[ -s ${q(pidFile)} ] && kill -0 "$(cat ${q(pidFile)})" 2>/dev/null`;
  const must = async (what: string, r: Promise<ShellResult>) => {
    const out = await r;
    if (out.code !== 0)
      throw deviceError(router, what, (out.stderr || out.stdout).trim().slice(0, 500) || `exit code ${out.code}`);
    return out;
  };
  const host: GobgpHost = {
    file,
    async read() {
      return (await must(`read ${file}`, sh(`cat -- ${q(file)}`, { logAs: `read ${file}` }))).stdout;
    },
    async check(config) {
      const r = await sh(
        `command -v gobgpd >/dev/null 2>&1 || { echo "gobgpd is not installed on the host: cannot check the candidate" >&2; exit 2; }\numask 077 && mkdir -p ${q(dir)} || exit 2\npd_t=${q(`${dir}/candidate-${key}`)}-$$.toml\ncat > "$pd_t" || exit 2\ngobgpd -d -t toml -f "$pd_t" 2>&1\npd_rc=$?\nrm -f "$pd_t"\nexit $pd_rc`,
        { input: config, logAs: 'gobgpd -d -f candidate' },
      );
      if (r.code !== 0)
        throw deviceError(
          router,
          'gobgpd -d',
          checkMessage(`${r.stdout}\n${r.stderr}`).replace(/\S*candidate-[0-9a-f]+-\d+\.toml/g, 'candidate') ||
            `exit code ${r.code}`,
        );
    },
    async install(config) {
      await must(
        'write the configuration and SIGHUP gobgpd',
        sh(installScript(file), { input: config, logAs: `write ${file} and SIGHUP gobgpd` }),
      );
    },
    async arm(seconds, previous) {
      await host.disarm();
      await must(
        'save the previous configuration',
        sh(`umask 077 && mkdir -p ${q(dir)} && cat > ${q(prevFile)}`, {
          input: previous,
          logAs: 'save the previous configuration',
        }),
      );
      const body = revertScript(seconds, file, prevFile, [script, pidFile, prevFile]);
      await must(
        'arm the revert timer',
        sh(
          `umask 077 && cat > ${q(script)} && (setsid sh ${q(script)} </dev/null >/dev/null 2>&1 & echo $! > ${q(pidFile)})`,
          { input: body, logAs: `arm the revert timer (${seconds} s)` },
        ),
      );
    },
    async disarm() {
      await sh(
        `if ${alive}; then kill -TERM -- -"$(cat ${q(pidFile)})" 2>/dev/null || kill "$(cat ${q(pidFile)})" 2>/dev/null; fi; rm -f ${q(script)} ${q(pidFile)} ${q(prevFile)}`,
        { logAs: 'disarm the revert timer' },
      );
    },
    async pending() {
      return (await sh(alive, { logAs: 'revert timer pending?' })).code === 0;
    },
    async previous() {
      const r = await sh(`${alive} && cat ${q(prevFile)}`, { logAs: 'read the previous configuration' });
      return r.code === 0 ? r.stdout : null;
    },
  };
  return host;
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
