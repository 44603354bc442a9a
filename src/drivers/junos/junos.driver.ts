// Juniper Junos driver: NETCONF over SSH. State from <get-bgp-neighbor-information/> joined with the BGP
// configuration (a deactivated neighbour disappears from the operational answer). Admin down/up is
// `deactivate`/`activate` of the neighbour through <load-configuration action="set"> and a commit:
// persistent, and available on every Junos release (a neighbour-level `shutdown` statement is not;
// so no RFC 8203 message is sent). Deploy: lock, load (merge / override), compare with rollback 0,
// `commit confirmed` (minutes on Junos), plain commit to confirm, rollback 1 + commit to revert.
import { UpstreamError } from '../../platform/errors.ts';
import { openNetconf, textOf, xmlEscape, type NetconfSession, type XmlNode } from '../transports/netconf.ts';
import { NetconfCandidateSession } from '../transports/netconf-config.ts';
import { junosInfo } from './junos.info.ts';
import type {
  CandidateResult,
  DriverSession,
  DriverSessionOptions,
  PeerState,
  RouterDriver,
  RouterTarget,
} from '../driver.types.ts';
import {
  mergeJunosState,
  parseJunosBgpConfig,
  parseJunosNeighbors,
  type JunosConfiguredNeighbor,
} from './junos.parse.ts';

const BGP_CONFIG_FILTER =
  '<get-configuration database="committed"><configuration><protocols><bgp/></protocols><routing-instances><instance><protocols><bgp/></protocols></instance></routing-instances></configuration></get-configuration>';

/** Junos counts confirm-timeout in minutes (1..65535): seconds rounded up. */
export function junosConfirmMinutes(seconds: number): number {
  return Math.min(65535, Math.max(1, Math.ceil(seconds / 60)));
}

/** The `set`-style path of a neighbour: `[routing-instances V ]protocols bgp group G neighbor X`. */
export function junosNeighborPath(n: Pick<JunosConfiguredNeighbor, 'vrf' | 'group' | 'peer_ip'>): string {
  // Names come from the device's configuration; quotes, backslashes and line breaks could still never start a new statement.
  const q = (s: string) => (/^[\w.:/-]+$/.test(s) ? s : `"${s.replace(/["\\\r\n]/g, '')}"`);
  return `${n.vrf ? `routing-instances ${q(n.vrf)} ` : ''}protocols bgp group ${q(n.group)} neighbor ${n.peer_ip}`;
}

/** True when the newest commit-history entry says a confirmed commit waits for confirmation. */
export function junosPendingConfirm(body: XmlNode): boolean {
  const info = (body['commit-information'] ?? {}) as XmlNode;
  const history = info['commit-history'];
  const first = (Array.isArray(history) ? history[0] : history) as XmlNode | undefined;
  if (!first) return false;
  return /commit confirmed, rollback in/i.test(JSON.stringify(first));
}

class JunosSession extends NetconfCandidateSession implements DriverSession {
  constructor(nc: NetconfSession, router: RouterTarget) {
    super(nc, router, '<commit-configuration/>');
  }

  async listNeighbors(): Promise<PeerState[]> {
    const oper = await this.nc.rpc('<get-bgp-neighbor-information/>');
    const config = await this.nc.rpc(BGP_CONFIG_FILTER);
    return mergeJunosState(parseJunosNeighbors(oper.body), parseJunosBgpConfig(config.body));
  }

  async getRunningConfig(): Promise<string> {
    const r = await this.nc.rpc('<get-configuration database="committed" format="text"/>');
    return textOf(r.body['configuration-text']) ?? '';
  }

  async setAdminState(neighbor: { vrf: string | null; peer_ip: string }, up: boolean): Promise<void> {
    const config = parseJunosBgpConfig((await this.nc.rpc(BGP_CONFIG_FILTER)).body);
    const found = config.find((c) => c.peer_ip === neighbor.peer_ip && (c.vrf ?? null) === (neighbor.vrf ?? null));
    if (!found)
      throw new UpstreamError(
        `${this.router.name}: neighbour ${neighbor.peer_ip}${neighbor.vrf ? ` (instance ${neighbor.vrf})` : ''} is not in the BGP configuration`,
        'router_error',
      );
    const verb = up ? 'activate' : 'deactivate';
    await this.changeLocked(async () => {
      await this.nc.rpc(
        `<load-configuration action="set" format="text"><configuration-set>${xmlEscape(`${verb} ${junosNeighborPath(found)}`)}</configuration-set></load-configuration>`,
      );
      await this.nc.rpc(
        `<commit-configuration><log>${xmlEscape(`Peerdesk: ${verb} ${neighbor.peer_ip}`)}</log></commit-configuration>`,
      );
    });
  }

  async loadCandidate(config: string, mode: 'merge' | 'replace'): Promise<CandidateResult> {
    // `override` is Junos' whole-configuration replace; `merge` keeps everything not in the text.
    const action = mode === 'replace' ? 'override' : 'merge';
    return this.loadLocked(
      async () => {
        await this.nc.rpc(
          `<load-configuration action="${action}" format="text"><configuration-text>${xmlEscape(config)}</configuration-text></load-configuration>`,
        );
      },
      async () => {
        const r = await this.nc.rpc('<get-configuration compare="rollback" rollback="0" format="text"/>');
        const info = (r.body['configuration-information'] ?? {}) as XmlNode;
        const diff = textOf(info['configuration-output']) ?? '';
        return diff.trim() ? `${diff.replace(/\s+$/, '')}\n` : '';
      },
    );
  }

  async commitConfirmed(confirmTimeoutS: number, comment?: string): Promise<void> {
    const log = comment ? `<log>${xmlEscape(comment)}</log>` : '';
    await this.commitConfirmedWith(
      `<commit-configuration><confirmed/><confirm-timeout>${junosConfirmMinutes(confirmTimeoutS)}</confirm-timeout>${log}</commit-configuration>`,
    );
  }

  async rollback(): Promise<void> {
    await this.lock();
    await this.rollbackWith(
      async () => this.phase === 'confirming' || (await this.pendingConfirm()),
      async () => {
        // Undo the confirmed commit now instead of waiting for its timer.
        await this.nc.rpc('<load-configuration rollback="1"/>');
        await this.nc.rpc('<commit-configuration><log>Peerdesk: rollback</log></commit-configuration>');
      },
    );
  }

  async pendingConfirm(): Promise<boolean> {
    return junosPendingConfirm((await this.nc.rpc('<get-commit-information/>')).body);
  }
}

/** The Junos driver (NETCONF over SSH). */
export const junosDriver: RouterDriver = {
  ...junosInfo,
  async open(router: RouterTarget, opts: DriverSessionOptions): Promise<DriverSession> {
    const nc = await openNetconf(router, opts);
    return new JunosSession(nc, router);
  },
};
