// Arista EOS driver: eAPI (JSON-RPC `runCmds` over HTTPS). A poll is one request of three commands;
// admin down/up is `neighbor X shutdown [reason MSG]` / `no neighbor X shutdown` under `router bgp AS`
// (and `vrf V`), then `write memory` so it survives a reload. Deploy uses a named configuration
// session: load + `show session-config diffs`, `commit timer HH:MM:SS` (commit-confirm), `commit` to
// confirm, `abort` to roll back or discard.
import { parseIp } from '../../platform/ip.ts';
import { UpstreamError } from '../../platform/errors.ts';
import { openEapi, type EapiClient } from '../transports/eapi.ts';
import { eosInfo } from './eos.info.ts';
import type {
  CandidateResult,
  DriverSession,
  DriverSessionOptions,
  PeerState,
  RouterDriver,
  RouterTarget,
} from '../driver.types.ts';
import { eosPendingCommitTimer, parseEosAsn, parseEosBgp, type EosNeighbors, type EosSummary } from './eos.parse.ts';

/** Seconds as EOS' `commit timer` wants them (HH:MM:SS, 1 s .. 23:59:59). */
export function eosCommitTimer(seconds: number): string {
  const s = Math.min(86_399, Math.max(1, Math.ceil(seconds)));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** An RFC 8203 message made safe for one CLI line (no newlines or quotes, at most 128 characters). */
export function eosShutdownReason(message: string | undefined): string {
  const m = (message ?? '')
    .replace(/[\r\n"?]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 128);
  return m ? ` reason ${m}` : '';
}

/** Config text as separate CLI lines: blank lines, `!` comments and `end` are dropped, indentation trimmed. */
export function eosConfigLines(config: string): string[] {
  return config
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('!') && l !== 'end');
}

class EosSession implements DriverSession {
  private readonly api: EapiClient;
  private readonly router: RouterTarget;
  private readonly sessionName: string;
  private phase: 'idle' | 'loaded' | 'confirming' = 'idle';

  constructor(api: EapiClient, router: RouterTarget) {
    this.api = api;
    this.router = router;
    this.sessionName = `peerdesk-${router.id}-${Date.now().toString(36)}`;
  }

  async listNeighbors(): Promise<PeerState[]> {
    const [v4, v6, nb] = await this.api.runCmds(
      ['show ip bgp summary vrf all', 'show ipv6 bgp summary vrf all', 'show ip bgp neighbors vrf all'],
      'json',
    );
    return parseEosBgp(v4 as EosSummary, v6 as EosSummary, nb as EosNeighbors);
  }

  async getRunningConfig(): Promise<string> {
    const [r] = await this.api.runCmds(['show running-config'], 'text');
    return String(r.output ?? '');
  }

  async setAdminState(neighbor: { vrf: string | null; peer_ip: string }, up: boolean, message?: string): Promise<void> {
    const ip = parseIp(neighbor.peer_ip)?.text;
    if (!ip || (neighbor.vrf !== null && !/^[\w.:-]{1,100}$/.test(neighbor.vrf)))
      throw new UpstreamError(
        `${this.router.name}: "${neighbor.peer_ip}"${neighbor.vrf ? ` in VRF "${neighbor.vrf}"` : ''} is not a neighbour address EOS can name`,
        'router_error',
      );
    let asn = this.router.local_asn;
    if (asn === null) {
      const [sum] = await this.api.runCmds(['show ip bgp summary vrf all'], 'json');
      asn = parseEosAsn((sum as EosSummary).vrfs?.[neighbor.vrf ?? 'default']?.asn);
      if (asn === null)
        throw new UpstreamError(
          `${this.router.name}: BGP is not running${neighbor.vrf ? ` in VRF ${neighbor.vrf}` : ''}; cannot change ${neighbor.peer_ip}`,
          'router_error',
        );
    }
    const line = up ? `no neighbor ${ip} shutdown` : `neighbor ${ip} shutdown${eosShutdownReason(message)}`;
    await this.api.runCmds(
      [
        'enable',
        'configure',
        `router bgp ${asn}`,
        ...(neighbor.vrf ? [`vrf ${neighbor.vrf}`] : []),
        line,
        'end',
        'write memory',
      ],
      'json',
    );
  }

  async loadCandidate(config: string, mode: 'merge' | 'replace'): Promise<CandidateResult> {
    const lines = eosConfigLines(config);
    const cmds = [
      'enable',
      `configure session ${this.sessionName}`,
      ...(mode === 'replace' ? ['rollback clean-config'] : []),
      ...lines,
      'show session-config diffs',
      'exit',
    ];
    try {
      const results = await this.api.runCmds(cmds, 'text');
      this.phase = 'loaded';
      const diff = String(results[cmds.length - 2]?.output ?? '');
      return { diff: diff.trim() ? `${diff.replace(/\s+$/, '')}\n` : '' };
    } catch (e) {
      await this.abortQuietly();
      throw e;
    }
  }

  async discardCandidate(): Promise<void> {
    await this.abortQuietly();
    this.phase = 'idle';
  }

  async commitConfirmed(confirmTimeoutS: number): Promise<void> {
    await this.api.runCmds(
      ['enable', `configure session ${this.sessionName} commit timer ${eosCommitTimer(confirmTimeoutS)}`],
      'json',
    );
    this.phase = 'confirming';
  }

  async confirm(): Promise<void> {
    await this.api.runCmds(['enable', `configure session ${this.sessionName} commit`, 'write memory'], 'json');
    this.phase = 'idle';
  }

  async rollback(): Promise<void> {
    // Aborting a session whose commit timer runs restores the configuration from before the commit.
    await this.api.runCmds(['enable', `configure session ${this.sessionName} abort`], 'json');
    this.phase = 'idle';
  }

  async pendingConfirm(): Promise<boolean> {
    const [r] = await this.api.runCmds(['show configuration sessions detail'], 'json');
    return eosPendingCommitTimer(r);
  }

  async close(): Promise<void> {
    if (this.phase === 'loaded') await this.abortQuietly();
    this.api.close();
  }

  private async abortQuietly(): Promise<void> {
    try {
      await this.api.runCmds(['enable', `configure session ${this.sessionName} abort`], 'json');
    } catch {
      /* nothing to abort, or the switch is gone */
    }
  }
}

/** The Arista EOS driver (eAPI over HTTPS). */
export const eosDriver: RouterDriver = {
  ...eosInfo,
  async open(router: RouterTarget, opts: DriverSessionOptions): Promise<DriverSession> {
    // Lazy: the first call connects (a poll is then one request); a failure to connect or log in is
    // router_unreachable from the transport either way.
    const api = openEapi(router, opts);
    return new EosSession(api, router);
  },
};
