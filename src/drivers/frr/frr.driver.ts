// FRR driver: vtysh on this machine (`vtysh:/vty/socket/dir`) or on the router over SSH
// (`ssh://user@host[:port][/vty/socket/dir]`). One `show bgp vrf all neighbors json` per poll.
// Admin state: `neighbor X shutdown [message M]` in `router bgp AS [vrf V]`, then `write memory` so the
// change survives a restart of FRR. Where it is saved follows how bgpd runs: started with its own
// configuration file (`bgpd -f FILE`, read from /proc through the pid file in the vty socket dir) it
// saves to that file (vtysh told `no service integrated-vtysh-config` for that one call); otherwise
// vtysh saves as its own vtysh.conf says (the integrated frr.conf, through watchfrr where it runs).
// Config (deploy): see frr.config.ts for the delta of the stanzas Peerdesk owns, and frr.revert.ts for
// the revert timer armed on the router's host that stands in for FRR's missing commit-confirm.
import { readFile } from 'node:fs/promises';
import { createTwoFilesPatch } from 'diff';
import { parseIp } from '../../platform/ip.ts';
import type {
  CandidateResult,
  DriverSession,
  DriverSessionOptions,
  PeerState,
  RouterDriver,
  RouterTarget,
} from '../driver.types.ts';
import { deviceError, logLine, shellQuote, unreachable } from '../transports/common.ts';
import { openSsh, type SshConnection } from '../transports/ssh.ts';
import { localVtysh, sshVtysh, type Vtysh } from '../transports/vtysh.ts';
import { frrInfo } from './frr.info.ts';
import { parseFrrNeighbors } from './frr.parser.ts';
import { deltaText, frrDelta, ownedText, vtyshCommands } from './frr.config.ts';
import { localRevert, sshRevert, type RevertTimer } from './frr.revert.ts';

const VRF_NAME = /^[A-Za-z0-9_.-]{1,36}$/;

/** An RFC 8203 shutdown communication as one safe line of at most 128 UTF-8 bytes. */
export function shutdownMessage(message: string | undefined): string | null {
  const clean = (message ?? '').replace(/[\0-\x1f\x7f]+/g, ' ').trim();
  if (!clean) return null;
  let out = '';
  for (const ch of clean) {
    if (Buffer.byteLength(out + ch) > 128) break;
    out += ch;
  }
  return out;
}

/** FRR's default vty socket (and pid file) directory on Debian and most packages. */
const DEFAULT_FRR_RUN_DIR = '/var/run/frr';

/** Whether a daemon's command line (NUL-separated, as /proc/PID/cmdline) names its own config file (`-f`, `--config_file`). */
export function runsOwnConfigFile(cmdline: string): boolean {
  const args = cmdline.split(/\0|\n/).filter(Boolean);
  return args.some(
    (a, i) =>
      ((a === '-f' || a === '--config_file') && i + 1 < args.length) ||
      a.startsWith('--config_file=') ||
      (/^-f./.test(a) && !a.startsWith('--')),
  );
}

/** The vtysh commands that save the running configuration where bgpd will read it at its next start. */
export function saveCommands(ownConfigFile: boolean): string[] {
  return ownConfigFile
    ? ['configure terminal', 'no service integrated-vtysh-config', 'end', 'write memory']
    : ['write memory'];
}

/** bgpd's command line, or '' when it cannot be read (no pid file, not allowed): the caller then saves as vtysh says. */
type CmdlineReader = () => Promise<string>;

function localCmdline(dir: string): CmdlineReader {
  return async () => {
    try {
      const pid = (await readFile(`${dir}/bgpd.pid`, 'utf8')).trim();
      if (!/^\d+$/.test(pid)) return '';
      return await readFile(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
}

function sshCmdline(conn: SshConnection, dir: string | null): CmdlineReader {
  return async () => {
    const pidFile = shellQuote(`${dir ?? DEFAULT_FRR_RUN_DIR}/bgpd.pid`);
    const r = await conn
      .exec(
        `p=$(cat ${pidFile} 2>/dev/null) && case "$p" in *[!0-9]*|'') exit 1;; esac && tr '\\0' '\\n' < /proc/$p/cmdline`,
        { logAs: 'bgpd command line (where bgpd saves its configuration)' },
      )
      .catch(() => null);
    return r && r.code === 0 ? r.stdout : '';
  };
}

class FrrSession implements DriverSession {
  private readonly vtysh: Vtysh;
  private readonly router: RouterTarget;
  private readonly ssh: SshConnection | null;
  private readonly revert: RevertTimer;
  private readonly log: DriverSessionOptions['log'];
  private readonly cmdline: CmdlineReader;
  private candidate: string | null = null;
  private previous: string | null = null;
  /** The token of the revert timer this session armed (until confirmed or rolled back). */
  private armed: string | null = null;

  constructor(
    router: RouterTarget,
    vtysh: Vtysh,
    ssh: SshConnection | null,
    revert: RevertTimer,
    log: DriverSessionOptions['log'],
    cmdline: CmdlineReader,
  ) {
    this.router = router;
    this.vtysh = vtysh;
    this.ssh = ssh;
    this.revert = revert;
    this.log = log;
    this.cmdline = cmdline;
  }

  /** Saves the running configuration (`write memory`) where bgpd reads it at start. */
  private async save(): Promise<void> {
    const own = runsOwnConfigFile(await this.cmdline());
    let out: string;
    try {
      out = await this.vtysh.run(saveCommands(own));
    } catch (e) {
      throw deviceError(
        this.router.name,
        'write memory',
        `the change is active but was not saved: ${(e as Error).message}`,
      );
    }
    const saved = /saved to (\S+)/i.exec(out);
    if (!saved) {
      // vtysh exits 0 even when bgpd cannot write (e.g. "Can't backup old configuration file …"): its words say why.
      const why = out
        .split('\n')
        .map((l) => l.replace(/^%\s*/, '').trim())
        .filter((l) => l && !/^Note: this version of vtysh|^Building Configuration/i.test(l))
        .join('; ');
      throw deviceError(
        this.router.name,
        'write memory',
        `the change is active but was not saved: ${why.slice(0, 300) || 'no answer'}`,
      );
    }
    await logLine(this.log, `${this.router.name}: configuration saved to ${saved[1]}`);
  }

  private async json(command: string): Promise<unknown> {
    const out = await this.vtysh.run([command]);
    try {
      return JSON.parse(out);
    } catch {
      throw deviceError(this.router.name, command, 'the answer is not JSON (is bgpd running?)');
    }
  }

  async listNeighbors(): Promise<PeerState[]> {
    return parseFrrNeighbors(await this.json('show bgp vrf all neighbors json'));
  }

  async getRunningConfig(): Promise<string> {
    return this.vtysh.run(['show running-config']);
  }

  async setAdminState(neighbor: { vrf: string | null; peer_ip: string }, up: boolean, message?: string): Promise<void> {
    const ip = parseIp(neighbor.peer_ip);
    if (!ip) throw deviceError(this.router.name, 'neighbor shutdown', `${neighbor.peer_ip} is not an IP address`);
    if (neighbor.vrf !== null && !VRF_NAME.test(neighbor.vrf))
      throw deviceError(this.router.name, 'neighbor shutdown', `VRF name ${neighbor.vrf} is not valid`);
    const vrfPart = neighbor.vrf ? ` vrf ${neighbor.vrf}` : '';
    // The neighbour's own view gives the BGP instance's AS (and proves the neighbour exists).
    const view = (await this.json(`show bgp${vrfPart} neighbors ${ip.text} json`)) as Record<
      string,
      Record<string, unknown>
    >;
    const n = (view[ip.text] ??
      Object.values(view).find((v) => v && typeof v === 'object' && ip.text in v)?.[ip.text]) as
      Record<string, unknown> | undefined;
    const asn = typeof n?.localAs === 'number' ? n.localAs : null;
    if (!n || asn === null)
      throw deviceError(this.router.name, `show bgp${vrfPart} neighbors ${ip.text}`, 'no such neighbour on the router');
    const msg = up ? null : shutdownMessage(message);
    const line = up ? `no neighbor ${ip.text} shutdown` : `neighbor ${ip.text} shutdown${msg ? ` message ${msg}` : ''}`;
    await this.vtysh.run(['configure terminal', `router bgp ${asn}${vrfPart}`, line]);
    await this.save();
  }

  async loadCandidate(config: string, _mode: 'merge' | 'replace'): Promise<CandidateResult> {
    // Both modes replace the stanzas Peerdesk owns and leave the rest (frr.config.ts).
    await this.revert.check(config);
    const running = await this.getRunningConfig();
    const changes = frrDelta(running, config);
    this.candidate = config;
    if (!changes.length) return { diff: '' };
    return {
      diff: createTwoFilesPatch('running', 'candidate', ownedText(running), ownedText(config), undefined, undefined, {
        context: 3,
      })
        .split('\n')
        .slice(2)
        .join('\n'),
    };
  }

  async discardCandidate(): Promise<void> {
    this.candidate = null;
  }

  async commitConfirmed(confirmTimeoutS: number): Promise<void> {
    if (this.candidate === null) throw deviceError(this.router.name, 'commit', 'no candidate loaded');
    const previous = await this.getRunningConfig();
    const changes = frrDelta(previous, this.candidate);
    this.previous = previous;
    // Armed before the change: a connection lost half-way still restores the previous config.
    let token = await this.revert.arm(confirmTimeoutS, vtyshCommands(frrDelta(this.candidate, previous)), previous);
    this.armed = token;
    await logLine(this.log, `${this.router.name}: applying ${changes.length} changes:\n${deltaText(changes)}`);
    try {
      // Refused (nothing run) when the timer fired already: the window starts before the apply.
      await this.revert.apply(vtyshCommands(changes), token);
      // Re-armed with the exact way back from what the router now runs, replacing this arm in one step
      // (refused when the timer fired in the meantime: it restored the previous configuration).
      const back = vtyshCommands(frrDelta(await this.getRunningConfig(), previous));
      token = await this.revert.arm(confirmTimeoutS, back, previous, token);
      this.armed = token;
    } catch (e) {
      await this.restore(previous).catch(() => undefined);
      await this.revert.disarm(token).catch(() => undefined);
      this.previous = null;
      this.armed = null;
      throw e;
    }
    this.candidate = null;
  }

  async confirm(): Promise<void> {
    const token = this.armed;
    const cancelled = await this.revert.disarm(token ?? undefined);
    this.previous = null;
    this.armed = null;
    if (token && !cancelled)
      throw deviceError(
        this.router.name,
        'confirm',
        'the confirm window ended before the confirm: the revert timer already restored the previous configuration',
      );
  }

  async rollback(): Promise<void> {
    const previous = this.previous ?? (await this.revert.previous());
    await this.revert.disarm(this.armed ?? undefined);
    if (previous !== null) await this.restore(previous);
    this.previous = null;
    this.armed = null;
    this.candidate = null;
  }

  async pendingConfirm(): Promise<boolean> {
    return this.revert.pending();
  }

  /** Applies the delta from what runs now back to `previous`. */
  private async restore(previous: string): Promise<void> {
    const back = frrDelta(await this.getRunningConfig(), previous);
    if (back.length) await this.vtysh.run(vtyshCommands(back));
  }

  async close(): Promise<void> {
    await this.ssh?.close();
  }
}

export const frrDriver: RouterDriver = {
  ...frrInfo,
  async open(router: RouterTarget, opts: DriverSessionOptions): Promise<DriverSession> {
    const host = router.hostname ?? '';
    if (host.startsWith('vtysh:')) {
      const dir = host.slice('vtysh:'.length);
      return new FrrSession(
        router,
        localVtysh(router.name, dir, opts),
        null,
        localRevert(router.name, dir, opts),
        opts.log,
        localCmdline(dir),
      );
    }
    if (!host || host.startsWith('unix:') || (/^[a-z]+:\/\//.test(host) && !host.startsWith('ssh://'))) {
      throw unreachable(
        router.name,
        'the FRR driver needs vtysh:/vty/socket/dir or ssh://user@host[:port][/vty/socket/dir]',
      );
    }
    const { conn, path } = await openSsh(router.name, host, router.credentials, opts);
    return new FrrSession(
      router,
      sshVtysh(router.name, conn, path),
      conn,
      sshRevert(router.name, conn, path),
      opts.log,
      sshCmdline(conn, path),
    );
  },
};
