// The stand-in for FRR's missing commit-confirm: before a deploy changes bgpd, Peerdesk keeps the
// previous running configuration and a small shell script in a state directory on the router's host and
// starts it detached in its own session: `sleep N`, then vtysh runs the commands back to the previous
// configuration. `confirm` kills it; if Peerdesk never comes back (lost connection, crash) the script
// rolls back by itself. Everything runs as small POSIX shell scripts, on this machine (`sh -c`, for
// `vtysh:` routers) or on the router's host over SSH, so the timer works the same way in both places.
// Each arm has a random token: its script and previous file are named after it, and the timer registers
// "PID TOKEN" itself (its own $$ after setsid), so a reused pid is never taken for the timer (nor
// killed) and a timer only ever removes its own files. The apply of a commit, a re-arm, the timer's
// restore and a disarm take one lock (flock), so a timer that fires during a slow apply refuses that
// apply (or the re-arm after it) instead of restoring under it, and is never killed half-way through its
// restore. State files are named after the vty socket dir, so a timer armed by another Peerdesk job (or
// process) is seen as a pending confirm. Local state directory: PEERDESK_FRR_STATE_DIR (default
// $TMPDIR/peerdesk-frr); over SSH: /tmp/peerdesk-frr on the router.
// The shell helpers (lock, registry, liveness by command line) are the GoBGP timer's (gobgp.revert.ts).
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { DriverSessionOptions } from '../driver.types.ts';
import { deviceError, shellQuote, unreachable } from '../transports/common.ts';
import type { SshConnection } from '../transports/ssh.ts';
import { vtyshArgs } from '../transports/vtysh.ts';
import {
  armPrevious,
  armScript,
  localShell,
  revertLib,
  sshShell,
  type HostShell,
  type RevertFiles,
  type ShellResult,
} from '../transports/host-timer.ts';

/** The revert timer of one router. */
export interface RevertTimer {
  /** Refuses a candidate vtysh cannot parse (`vtysh --dryrun`), before anything changes. */
  check(config: string): Promise<void>;
  /**
   * Arms the timer: after `seconds`, run `commands` (vtysh -c list) unless disarmed. Returns the arm's
   * token. Without `replace`, any armed timer is cancelled first; with `replace` (a re-arm), only while
   * that arm is still armed, in one step under the lock (refused, nothing changed, when it has fired).
   */
  arm(seconds: number, commands: string[], previous: string, replace?: string): Promise<string>;
  /** Runs `commands` with vtysh, only while the arm `token` is still armed (refused when it fired). */
  apply(commands: string[], token: string): Promise<string>;
  /**
   * Cancels the timer (confirm): with `token`, only that arm's. True when a timer was still armed and is
   * now cancelled; false when there was none (or it had fired already).
   */
  disarm(token?: string): Promise<boolean>;
  /** True while an armed timer's process is alive and has not fired (with `token`: that arm's). */
  pending(token?: string): Promise<boolean>;
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

const TOKEN_RE = /^[0-9a-f]{16}$/;
const registryOf = (f: RevertFiles) => `${f.dir}/revert-${f.key}.pid`;
/** Exit code of a script refused because its arm is no longer armed. */
const NOT_ARMED = 6;

/** The command line that runs `commands` with vtysh (nothing when there are none). */
function vtyshLine(socketDir: string | null, commands: string[]): string {
  return commands.length ? ['vtysh', ...vtyshArgs(socketDir, commands)].map(shellQuote).join(' ') : ':';
}

/** Script part: fails with NOT_ARMED (after releasing the lock) unless the arm `token` is still armed. */
function armedCheck(files: RevertFiles, token: string, cleanup = ''): string {
  return `if pd_a=$(pd_armed) && [ "\${pd_a#* }" = ${token} ] && [ -f ${shellQuote(armPrevious(files, token))} ]; then :; else
  ${cleanup}pd_unlock
  echo "the revert timer is no longer armed (the confirm window ended): it restored the previous configuration; nothing changed" >&2
  exit ${NOT_ARMED}
fi`;
}

/**
 * The timer script of one arm: registers itself ("$$ TOKEN"), waits, then under the lock runs the
 * restore (unless a disarm removed its previous file: cancelled), deregisters itself (only its own
 * entry) and removes its own files. Never touches another arm's files.
 */
export function revertScript(
  seconds: number,
  socketDir: string | null,
  commands: string[],
  files: RevertFiles,
  token: string,
): string {
  if (!TOKEN_RE.test(token)) throw new Error(`bad revert token ${token}`);
  const q = shellQuote;
  const prev = q(armPrevious(files, token));
  const reg = registryOf(files);
  return `#!/bin/sh
# Peerdesk deploy: restores the previous FRR configuration unless the deploy is confirmed.
${revertLib(files)}
echo "$$ ${token}" > ${q(`${reg}.${token}`)} && mv -f ${q(`${reg}.${token}`)} ${q(reg)}
sleep ${Math.max(1, Math.round(seconds))}
pd_lock || pd_lock || pd_lock
if [ -f ${prev} ]; then ${vtyshLine(socketDir, commands)} >/dev/null 2>&1; fi
if [ "$(cat ${q(reg)} 2>/dev/null)" = "$$ ${token}" ]; then rm -f ${q(reg)}; fi
rm -f ${prev} ${q(armScript(files, token))}
pd_unlock
`;
}

/** The revert timer on the router's host reached through `sh`, with its state files under `dir`. */
export function frrRevert(router: string, dir: string, socketDir: string | null, sh: HostShell): RevertTimer {
  const q = shellQuote;
  const key = revertKey(socketDir);
  const files: RevertFiles = { dir, key };
  const lib = revertLib(files);
  const registry = registryOf(files);
  // The files of the arm whose token is in $pd_t.
  const prevOf = `${q(`${dir}/previous-${key}-`)}"$pd_t".conf`;
  const scriptOf = `${q(`${dir}/revert-${key}-`)}"$pd_t".sh`;
  const token = (t: string | undefined) => {
    if (t !== undefined && !TOKEN_RE.test(t)) throw new Error(`bad revert token ${t}`);
    return t ?? '';
  };
  const fail = (what: string, out: ShellResult) =>
    deviceError(router, what, (out.stderr || out.stdout).trim().slice(0, 500) || `exit code ${out.code}`);
  const must = async (what: string, r: Promise<ShellResult>) => {
    const out = await r;
    if (out.code !== 0) throw fail(what, out);
    return out;
  };
  // Cancels the registered timer (when $pd_want is empty or its token): kills its process group, removes
  // its files and the registry; prints "cancelled" when it had not fired. A registry left by a timer that
  // is gone (reboot, killed) has its files removed too. Run under the lock.
  const cancel = `pd_a=$(pd_armed) || pd_a=
if [ -n "$pd_a" ]; then
  pd_t=\${pd_a#* }
  if [ -z "$pd_want" ] || [ "$pd_t" = "$pd_want" ]; then
    kill -TERM -"\${pd_a%% *}" 2>/dev/null || kill -TERM "\${pd_a%% *}" 2>/dev/null
    [ -f ${prevOf} ] && echo cancelled
    rm -f ${prevOf} ${scriptOf} ${q(registry)}
  fi
else
  pd_r=$(cat ${q(registry)} 2>/dev/null) && pd_t=\${pd_r#* } && case "$pd_t" in '' | *[!0-9a-f]*) false ;; esac && rm -f ${prevOf} ${scriptOf} ${q(registry)}
fi
if [ -n "$pd_want" ]; then pd_t=$pd_want; rm -f ${prevOf} ${scriptOf}; fi`;
  const lock = `pd_lock || { echo "the revert timer's lock is held by something else" >&2; exit 5; }`;
  const timer: RevertTimer = {
    async check(config) {
      const r = await sh(
        `umask 077 && mkdir -p ${q(dir)} || exit 2\npd_c=${q(`${dir}/candidate-${key}`)}-$$.conf\ncat > "$pd_c" || exit 2\nvtysh --dryrun -f "$pd_c" 2>&1\npd_rc=$?\nrm -f "$pd_c"\nexit $pd_rc`,
        { input: withoutBanner(config), logAs: 'vtysh --dryrun -f candidate' },
      );
      if (r.code !== 0)
        throw deviceError(
          router,
          'vtysh --dryrun',
          `${r.stdout}${r.stderr}`.replace(/\S*candidate-[0-9a-f]+-\d+\.conf/g, 'candidate').trim() ||
            `exit code ${r.code}`,
        );
    },
    async arm(seconds, commands, previous, replace) {
      const old = replace === undefined ? undefined : token(replace);
      const t = randomBytes(8).toString('hex');
      await must(
        'save the previous configuration',
        sh(`umask 077 && mkdir -p ${q(dir)} && cat > ${q(armPrevious(files, t))}`, {
          input: previous,
          logAs: 'save the previous configuration',
        }),
      );
      // Under the lock: (re-arm) the replaced arm must still be armed; the armed timer is cancelled and the
      // new one started (without the lock's descriptor) and waited for until it has registered itself.
      const r = await sh(
        `${lib}\numask 077\n${lock}\n${old ? armedCheck(files, old, `rm -f ${q(armPrevious(files, t))}\n  `) + '\n' : ''}pd_want=${old ?? "''"}\n${cancel}\ncat > ${q(armScript(files, t))} || { pd_unlock; exit 4; }\n(setsid sh ${q(armScript(files, t))} </dev/null >/dev/null 2>&1 9>&- &)\npd_i=0\nuntil pd_a=$(pd_armed) && [ "\${pd_a#* }" = ${t} ]; do\n  pd_i=$((pd_i + 1))\n  if [ $pd_i -gt 200 ]; then rm -f ${q(armPrevious(files, t))}; pd_unlock; echo "the revert timer did not start" >&2; exit 5; fi\n  sleep 0.1\ndone\npd_unlock`,
        { input: revertScript(seconds, socketDir, commands, files, t), logAs: `arm the revert timer (${seconds} s)` },
      );
      if (r.code !== 0) {
        if (r.code !== NOT_ARMED)
          await sh(`rm -f ${q(armPrevious(files, t))}`, { logAs: 'clean up' }).catch(() => null);
        throw fail('arm the revert timer', r);
      }
      return t;
    },
    async apply(commands, t) {
      const want = token(t);
      const shown = commands.join(' ; ');
      const r = await sh(
        `${lib}\n${lock}\n${armedCheck(files, want)}\n${vtyshLine(socketDir, commands)}\npd_rc=$?\npd_unlock\nexit $pd_rc`,
        { logAs: `vtysh ${shown}` },
      );
      if (r.code === NOT_ARMED) throw fail('commit', r);
      if (r.code === 127) throw unreachable(router, 'vtysh not found on the router');
      // vtysh exits 1 both when it cannot reach bgpd and when a command fails; its messages tell which.
      if (/failed to connect to any daemons|not connected|Connection refused|No such file or directory/i.test(r.stderr))
        throw unreachable(
          router,
          'vtysh cannot reach bgpd (is bgpd running, and may this user use its vty socket, e.g. group frrvty?)',
        );
      const err = /^%\s*(.+)$/m.exec(`${r.stdout}\n${r.stderr}`);
      if (r.code !== 0 || err)
        throw deviceError(router, shown, err?.[1]?.trim() ?? (r.stderr.trim() || `exit code ${r.code}`));
      return r.stdout;
    },
    async disarm(t) {
      const want = token(t);
      const r = await sh(`${lib}\n${lock}\npd_want=${want || "''"}\n${cancel}\npd_unlock\nexit 0`, {
        logAs: 'disarm the revert timer',
      });
      if (r.code !== 0) throw fail('disarm the revert timer', r);
      return r.stdout.includes('cancelled');
    },
    async pending(t) {
      const want = token(t);
      const r = await sh(
        `${lib}\npd_a=$(pd_armed) || exit 1\npd_t=\${pd_a#* }\n[ -f ${prevOf} ] || exit 1\n${want ? `[ "$pd_t" = ${want} ]` : 'exit 0'}`,
        { logAs: 'revert timer pending?' },
      );
      return r.code === 0;
    },
    async previous() {
      const r = await sh(`${lib}\npd_a=$(pd_armed) || exit 1\npd_t=\${pd_a#* }\ncat ${prevOf}`, {
        logAs: 'read the previous configuration',
      });
      return r.code === 0 ? r.stdout : null;
    },
  };
  return timer;
}

/** The timer for a router whose vtysh runs on this machine. */
export function localRevert(router: string, socketDir: string, opts: DriverSessionOptions): RevertTimer {
  return frrRevert(router, frrStateDir(), socketDir, localShell(router, opts));
}

/** The timer for a router reached over SSH (files in /tmp/peerdesk-frr on the router). */
export function sshRevert(router: string, conn: SshConnection, socketDir: string | null): RevertTimer {
  return frrRevert(router, '/tmp/peerdesk-frr', socketDir, sshShell(conn));
}
