// gobgpd's configuration file on its host, and the revert timer that stands in for GoBGP's missing
// commit-confirm. Everything runs as small POSIX shell scripts, on this machine (`sh -c`, when gobgpd
// runs here) or on the router's host over SSH, so the timer works the same way in both places:
//   apply:  find the gobgpd started with `-f FILE` (/proc/PID/cmdline), write FILE, send it SIGHUP
//           (gobgpd re-reads its file and adds / removes / updates neighbours, peer groups and policies);
//   arm:    keep the previous file in a state directory and start a detached `sleep N`, restore, SIGHUP
//           script in its own session: a lost management connection or a crashed Peerdesk still reverts;
//   disarm: kill the script's process group and remove its files (confirm).
// State files are named after a hash of FILE (plus a token per arm), so a timer armed by another job or
// process is seen as a pending confirm. The timer registers its own pid; the install of a commit, the
// timer's restore and a disarm take one lock, so a timer that fires while a slow install runs (a loaded
// host: the window starts before the write) refuses that install instead of restoring under it. Local state directory: PEERDESK_GOBGP_STATE_DIR (default $TMPDIR/peerdesk-gobgp);
// over SSH: /tmp/peerdesk-gobgp on the router.
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { deviceError, shellQuote } from '../transports/common.ts';
import {
  armPrevious,
  armScript,
  reg,
  revertLib,
  TOKEN_RE,
  type HostShell,
  type RevertFiles,
  type ShellResult,
} from '../transports/host-timer.ts';

/** gobgpd's file and the revert timer, on the host gobgpd runs on. */
export interface GobgpHost {
  /** The configuration file gobgpd was started with. */
  readonly file: string;
  /** The file's content (the running configuration as Peerdesk sees it). */
  read(): Promise<string>;
  /** Refuses a candidate gobgpd's own check (`gobgpd -d`) rejects, before anything changes. */
  check(config: string): Promise<void>;
  /**
   * Writes the file and makes gobgpd re-read it (SIGHUP). With `token`: only while that arm's timer is
   * still armed (refused, nothing written, when it has fired or was cancelled).
   */
  install(config: string, token?: string): Promise<void>;
  /**
   * (Re-)arms the timer (cancelling any armed one): after `seconds`, `previous` goes back into the file
   * and gobgpd re-reads it. Returns the arm's token (install, disarm and pending take it).
   */
  arm(seconds: number, previous: string): Promise<string>;
  /**
   * Cancels the armed timer (confirm): with `token`, only that arm's. True when a timer was still
   * armed and is now cancelled; false when there was none (or it had fired already).
   */
  disarm(token?: string): Promise<boolean>;
  /** True while an armed timer's process is alive and has not fired (with `token`: that arm's). */
  pending(token?: string): Promise<boolean>;
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
 * Only processes named gobgpd are looked at (pgrep when the host has it, else every /proc entry): a
 * loaded host scans hundreds of processes slowly, and every second here eats into the confirm window.
 */
export const FIND_GOBGPD = `pd_gobgpd_pid() {
  pd_want=$(readlink -f -- "$1" 2>/dev/null) || pd_want=$1
  if command -v pgrep >/dev/null 2>&1; then pd_list=$(pgrep -x gobgpd 2>/dev/null | sed 's|^|/proc/|'); else pd_list=$(echo /proc/[0-9]*); fi
  for pd_d in $pd_list; do
    pd_exe=$(tr '\\000' '\\n' 2>/dev/null < "$pd_d/cmdline" | sed -n 1p) || continue
    case "\${pd_exe##*/}" in gobgpd) ;; *) continue ;; esac
    pd_f=$(tr '\\000' '\\n' 2>/dev/null < "$pd_d/cmdline" | awk 'p { print; exit } $0 == "-f" || $0 == "--config-file" { p = 1; next } /^--config-file=/ { sub(/^--config-file=/, ""); print; exit } /^-f./ { print substr($0, 3); exit }')
    [ -n "$pd_f" ] || continue
    case "$pd_f" in /*) ;; *) pd_f="$(readlink "$pd_d/cwd" 2>/dev/null)/$pd_f" ;; esac
    pd_f=$(readlink -f -- "$pd_f" 2>/dev/null) || continue
    if [ "$pd_f" = "$pd_want" ]; then echo "\${pd_d#/proc/}"; return 0; fi
  done
  return 1
}`;

/**
 * Script part: writes stdin to FILE and sends SIGHUP to its gobgpd (exit 3 and nothing written when none
 * runs). With `armed` (the arm's files and token): only while that timer is still armed and has not
 * fired (exit 6 and nothing written otherwise), under the timer's lock, so a timer that fires while a
 * slow install runs can never restore first and then have the candidate written over its restore.
 */
export function installScript(file: string, armed?: { files: RevertFiles; token: string }): string {
  const f = shellQuote(file);
  const find = `${FIND_GOBGPD}\npd_pid=$(pd_gobgpd_pid ${f}) || { echo "no gobgpd is running with -f ${file.replace(/[^\x20-\x7e]/g, '?')}" >&2; exit 3; }\n`;
  if (!armed) return `${find}cat > ${f} || exit 4\nkill -HUP "$pd_pid"\n`;
  const { files, token } = armed;
  return `${find}${revertLib(files)}\npd_lock || { echo "the revert timer's lock is held by something else" >&2; exit 5; }\nif pd_a=$(pd_armed) && [ "\${pd_a#* }" = ${token} ] && [ -f ${shellQuote(armPrevious(files, token))} ]; then :; else\n  echo "the revert timer is no longer armed (the confirm window ended before the candidate was written); nothing written" >&2\n  exit 6\nfi\ncat > ${f} || exit 4\npd_unlock\nkill -HUP "$pd_pid"\n`;
}

/**
 * The timer script of one arm: registers itself ("$$ TOKEN"), waits, then under the lock restores its
 * previous file (unless a disarm removed it: cancelled), deregisters itself (only its own entry), removes
 * its own files and sends gobgpd SIGHUP. Never touches another arm's files.
 */
export function revertScript(seconds: number, file: string, files: RevertFiles, token: string): string {
  if (!TOKEN_RE.test(token)) throw new Error(`bad revert token ${token}`);
  const q = shellQuote;
  const prev = q(armPrevious(files, token));
  return `#!/bin/sh
# Peerdesk deploy: restores the previous gobgpd configuration unless the deploy is confirmed.
${FIND_GOBGPD}
${revertLib(files)}
echo "$$ ${token}" > ${q(`${reg(files)}.${token}`)} && mv -f ${q(`${reg(files)}.${token}`)} ${q(reg(files))}
sleep ${Math.max(1, Math.round(seconds))}
pd_lock
pd_restored=
if [ -f ${prev} ] && cat ${prev} > ${q(file)}; then pd_restored=1; fi
if [ "$(cat ${q(reg(files))} 2>/dev/null)" = "$$ ${token}" ]; then rm -f ${q(reg(files))}; fi
rm -f ${prev} ${q(armScript(files, token))}
pd_unlock
if [ -n "$pd_restored" ]; then
  pd_pid=$(pd_gobgpd_pid ${q(file)}) && kill -HUP "$pd_pid"
fi
`;
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
  const files: RevertFiles = { dir, key };
  const lib = revertLib(files);
  const registry = reg(files);
  // The files of the arm whose token is in $pd_t.
  const prevOf = `${q(`${dir}/previous-${key}-`)}"$pd_t".conf`;
  const scriptOf = `${q(`${dir}/revert-${key}-`)}"$pd_t".sh`;
  const token = (t: string | undefined) => {
    if (t !== undefined && !TOKEN_RE.test(t)) throw new Error(`bad revert token ${t}`);
    return t ?? '';
  };
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
    async install(config, t) {
      await must(
        'write the configuration and SIGHUP gobgpd',
        sh(installScript(file, t === undefined ? undefined : { files, token: token(t) }), {
          input: config,
          logAs: `write ${file} and SIGHUP gobgpd`,
        }),
      );
    },
    async arm(seconds, previous) {
      await host.disarm();
      const t = randomBytes(8).toString('hex');
      await must(
        'save the previous configuration',
        sh(`umask 077 && mkdir -p ${q(dir)} && cat > ${q(armPrevious(files, t))}`, {
          input: previous,
          logAs: 'save the previous configuration',
        }),
      );
      // The timer registers itself ("$$ TOKEN"); wait for that, so pending() is true once arm returns.
      await must(
        'arm the revert timer',
        sh(
          `umask 077 && cat > ${q(armScript(files, t))} || exit 4\n(setsid sh ${q(armScript(files, t))} </dev/null >/dev/null 2>&1 &)\n${lib}\npd_i=0\nuntil pd_a=$(pd_armed) && [ "\${pd_a#* }" = ${t} ]; do\n  pd_i=$((pd_i + 1))\n  if [ $pd_i -gt 200 ]; then rm -f ${q(armPrevious(files, t))}; echo "the revert timer did not start" >&2; exit 5; fi\n  sleep 0.1\ndone`,
          { input: revertScript(seconds, file, files, t), logAs: `arm the revert timer (${seconds} s)` },
        ),
      );
      return t;
    },
    async disarm(t) {
      const want = token(t);
      const r = await sh(
        `${lib}\npd_lock || { echo "the revert timer's lock is held by something else" >&2; exit 5; }\npd_a=$(pd_armed) || pd_a=\nif [ -n "$pd_a" ]; then\n  pd_t=\${pd_a#* }\n  if [ -z ${q(want) || "''"} ] || [ "$pd_t" = ${q(want) || "''"} ]; then\n    kill -TERM -"\${pd_a%% *}" 2>/dev/null || kill -TERM "\${pd_a%% *}" 2>/dev/null\n    [ -f ${prevOf} ] && echo cancelled\n    rm -f ${prevOf} ${scriptOf} ${q(registry)}\n  fi\nelse\n  pd_r=$(cat ${q(registry)} 2>/dev/null) && pd_t=\${pd_r#* } && case "$pd_t" in '' | *[!0-9a-f]*) false ;; esac && rm -f ${prevOf} ${scriptOf} ${q(registry)}\nfi\n${want ? `pd_t=${want}\nrm -f ${prevOf} ${scriptOf}\n` : ''}pd_unlock\nexit 0`,
        { logAs: 'disarm the revert timer' },
      );
      if (r.code !== 0)
        throw deviceError(
          router,
          'disarm the revert timer',
          (r.stderr || r.stdout).trim().slice(0, 500) || `exit code ${r.code}`,
        );
      return r.stdout.includes('cancelled');
    },
    async pending(t) {
      const want = token(t);
      const r = await sh(`${lib}\npd_a=$(pd_armed) || exit 1\n${want ? `[ "\${pd_a#* }" = ${want} ]` : 'exit 0'}`, {
        logAs: 'revert timer pending?',
      });
      return r.code === 0;
    },
    async previous() {
      const r = await sh(`${lib}\npd_a=$(pd_armed) || exit 1\npd_t=\${pd_a#* }\ncat ${prevOf}`, {
        logAs: 'read the previous configuration',
      });
      return r.code === 0 ? r.stdout : null;
    },
  };
  return host;
}
