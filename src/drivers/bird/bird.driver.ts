// BIRD 2 driver: the control socket (`unix:/run/bird/bird.ctl`) or birdc on the router over SSH
// (`ssh://user@host[:port][/path/bird.ctl]`). One `show protocols all` per poll.
// Admin state: `disable NAME "message"` / `enable NAME` act at once, but only at run time (a restart
// of BIRD reads `disabled` from the configuration again). To make it persistent, Peerdesk also keeps a
// file `NAME.disabled` (content `disabled yes;`) in PEERDESK_BIRD_STATE_DIR, on the BIRD host (over SSH
// on the router), and each BGP protocol of BIRD's configuration includes it:
//   protocol bgp NAME { include "/etc/bird/peerdesk/NAME.*"; … }
// (a wildcard include that matches nothing is allowed, so protocols start enabled by default).
// Config (deploy): the whole configuration file is Peerdesk's (replace); see bird.config.ts.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
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
import { BirdSocket, sshBirdc, type BirdCli } from '../transports/bird-socket.ts';
import { deviceError, logLine, shellQuote, unreachable } from '../transports/common.ts';
import { openSsh, type SshConnection } from '../transports/ssh.ts';
import { birdInfo } from './bird.info.ts';
import { parseBirdBgpProtocolsText } from './bird.parser.ts';
import { birdConfigFile, candidatePath, localFiles, sshFiles, type ConfigFiles } from './bird.config.ts';

/** A shutdown message as a BIRD string literal body: one line, no quotes or backslashes, ≤ 128 bytes. */
export function birdMessage(message: string | undefined): string | null {
  const clean = (message ?? '')
    .replace(/[\0-\x1f\x7f"\\]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!clean) return null;
  let out = '';
  for (const ch of clean) {
    if (Buffer.byteLength(out + ch) > 128) break;
    out += ch;
  }
  return out;
}

/** PEERDESK_BIRD_STATE_DIR when set to a clean absolute path; null: admin state stays runtime-only. */
export function birdStateDir(): string | null {
  const d = process.env.PEERDESK_BIRD_STATE_DIR?.trim();
  if (!d || !isAbsolute(d) || d.split('/').includes('..') || /[\0-\x1f\x7f]/.test(d)) return null;
  return d.length > 1 ? d.replace(/\/+$/, '') : d;
}

/** Writes or removes `NAME.disabled` in the state dir, locally or on the router over SSH. */
type Persist = (protocol: string, disabled: boolean) => Promise<void>;

function localPersist(dir: string): Persist {
  return async (protocol, disabled) => {
    const file = join(dir, `${protocol}.disabled`);
    if (disabled) {
      await mkdir(dir, { recursive: true });
      await writeFile(file, 'disabled yes;\n');
    } else await rm(file, { force: true });
  };
}

function sshPersist(router: string, conn: SshConnection, dir: string): Persist {
  return async (protocol, disabled) => {
    const file = `${dir}/${protocol}.disabled`;
    const cmd = disabled
      ? `mkdir -p ${shellQuote(dir)} && printf 'disabled yes;\\n' > ${shellQuote(file)}`
      : `rm -f ${shellQuote(file)}`;
    const r = await conn.exec(cmd);
    if (r.code !== 0)
      throw deviceError(
        router,
        disabled ? `write ${file}` : `remove ${file}`,
        r.stderr.trim() || `exit code ${r.code}`,
      );
  };
}

class BirdSession implements DriverSession {
  private readonly cli: BirdCli;
  private readonly router: RouterTarget;
  private readonly persist: Persist | null;
  private readonly log: DriverSessionOptions['log'];
  private readonly files: ConfigFiles | null;
  private candidate: string | null = null;

  constructor(
    router: RouterTarget,
    cli: BirdCli,
    persist: Persist | null,
    log: DriverSessionOptions['log'],
    files: ConfigFiles | null,
  ) {
    this.router = router;
    this.cli = cli;
    this.persist = persist;
    this.log = log;
    this.files = files;
  }

  private configFile(): { files: ConfigFiles; file: string } {
    const file = birdConfigFile(this.router);
    if (!this.files || !file)
      throw deviceError(
        this.router.name,
        'configure',
        'the BIRD configuration file is not known: set PEERDESK_BIRD_CONFIG_FILE (an absolute path)',
      );
    return { files: this.files, file };
  }

  /** The configuration file BIRD runs (Peerdesk owns it whole, so it is the running configuration). */
  async getRunningConfig(): Promise<string> {
    const { files, file } = this.configFile();
    return files.read(file);
  }

  async loadCandidate(config: string, _mode: 'merge' | 'replace'): Promise<CandidateResult> {
    // Always a replace: BIRD reads one file (which may include others).
    const { files, file } = this.configFile();
    const running = await files.read(file);
    const cand = candidatePath(file);
    await files.write(cand, config, file);
    try {
      // BIRD parses the whole file without applying it: a broken candidate changes nothing.
      await this.cli.command(`configure check "${cand}"`);
    } catch (e) {
      await files.remove(cand).catch(() => undefined);
      throw e;
    }
    this.candidate = config;
    if (running === config) return { diff: '' };
    return {
      diff: createTwoFilesPatch('running', 'candidate', running, config, undefined, undefined, { context: 3 })
        .split('\n')
        .slice(2)
        .join('\n'),
    };
  }

  async discardCandidate(): Promise<void> {
    if (this.candidate === null) return;
    const { files, file } = this.configFile();
    await files.remove(candidatePath(file));
    this.candidate = null;
  }

  async commitConfirmed(confirmTimeoutS: number): Promise<void> {
    const { file } = this.configFile();
    if (this.candidate === null) throw deviceError(this.router.name, 'configure', 'no candidate loaded');
    // BIRD undoes it by itself after the timeout; the configuration file is only replaced at confirm,
    // so a lost connection leaves file and daemon both on the previous configuration.
    await this.cli.command(`configure "${candidatePath(file)}" timeout ${Math.max(1, Math.round(confirmTimeoutS))}`);
  }

  async confirm(): Promise<void> {
    const { files, file } = this.configFile();
    await this.cli.command('configure confirm');
    if (this.candidate !== null) await files.write(file, this.candidate, file);
    await files.remove(candidatePath(file)).catch(() => undefined);
    this.candidate = null;
    await logLine(this.log, `${this.router.name}: ${file} replaced with the confirmed configuration`);
  }

  async rollback(): Promise<void> {
    const { files, file } = this.configFile();
    await this.cli.command('configure undo');
    await files.remove(candidatePath(file)).catch(() => undefined);
    this.candidate = null;
  }

  async pendingConfirm(): Promise<boolean> {
    // `configure status` adds a 0022 line "Configuration unconfirmed, undo in N s" while a timeout runs.
    return (await this.cli.command('configure status')).some((l) => l.code === 22);
  }

  async listNeighbors(): Promise<PeerState[]> {
    return parseBirdBgpProtocolsText(await this.cli.commandText('show protocols all')).map((p) => p.peer);
  }

  async setAdminState(neighbor: { vrf: string | null; peer_ip: string }, up: boolean, message?: string): Promise<void> {
    const ip = parseIp(neighbor.peer_ip)?.text;
    const protocols = parseBirdBgpProtocolsText(await this.cli.commandText('show protocols all')).filter(
      (p) => p.peer.peer_ip === ip && p.peer.vrf === neighbor.vrf,
    );
    if (!protocols.length)
      throw deviceError(
        this.router.name,
        'show protocols all',
        `no BGP protocol for ${neighbor.peer_ip}${neighbor.vrf ? ` in VRF ${neighbor.vrf}` : ''}`,
      );
    for (const p of protocols) {
      if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(p.name))
        throw deviceError(this.router.name, 'disable', `protocol name ${p.name} cannot be used in a command`);
      const msg = up ? null : birdMessage(message);
      // The persistent part first: if it fails, nothing changed on the router.
      if (this.persist) {
        await this.persist(p.name, !up);
        await logLine(
          this.log,
          `${this.router.name}: ${up ? 'removed' : 'wrote'} ${p.name}.disabled in PEERDESK_BIRD_STATE_DIR`,
        );
      }
      // Replies: 0009 disabled, 0008 already disabled, 0011 enabled, 0010 already enabled.
      await this.cli.command(up ? `enable ${p.name}` : `disable ${p.name}${msg ? ` "${msg}"` : ''}`);
    }
  }

  async close(): Promise<void> {
    await this.cli.close();
  }
}

export const birdDriver: RouterDriver = {
  ...birdInfo,
  async open(router: RouterTarget, opts: DriverSessionOptions): Promise<DriverSession> {
    const host = router.hostname ?? '';
    const state = birdStateDir();
    if (host.startsWith('unix:'))
      return new BirdSession(
        router,
        await BirdSocket.connect(router.name, host.slice('unix:'.length), opts),
        state ? localPersist(state) : null,
        opts.log,
        localFiles(router.name),
      );
    if (!host || host.startsWith('vtysh:') || (/^[a-z]+:\/\//.test(host) && !host.startsWith('ssh://'))) {
      throw unreachable(
        router.name,
        'the BIRD driver needs unix:/path/bird.ctl or ssh://user@host[:port][/path/bird.ctl]',
      );
    }
    const { conn, path } = await openSsh(router.name, host, router.credentials, opts);
    const cli = sshBirdc(router.name, conn, path);
    return new BirdSession(
      router,
      { command: (c) => cli.command(c), commandText: (c) => cli.commandText(c), close: () => conn.close() },
      state ? sshPersist(router.name, conn, state) : null,
      opts.log,
      sshFiles(router.name, conn),
    );
  },
};
