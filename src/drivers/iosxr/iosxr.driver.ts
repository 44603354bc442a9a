// Cisco IOS-XR driver: NETCONF over SSH. State from one <get> of the Cisco-IOS-XR-ipv4-bgp-oper model;
// admin down/up is the neighbour's `shutdown` leaf of Cisco-IOS-XR-ipv4-bgp-cfg edited in the candidate
// datastore and committed (IOS-XR keeps no RFC 8203 message there, so none is sent). Deploy: lock,
// <edit-config> (merge / replace) on the candidate, diff of running and candidate as Peerdesk computes it,
// confirmed commit (RFC 6241 §8.4, seconds), <commit/> to confirm, <cancel-commit/> to roll back.
import { createTwoFilesPatch } from 'diff';
import { parseIp } from '../../platform/ip.ts';
import { UpstreamError } from '../../platform/errors.ts';
import { openNetconf, xmlEscape, type NetconfSession } from '../transports/netconf.ts';
import { NetconfCandidateSession } from '../transports/netconf-config.ts';
import { iosxrInfo } from './iosxr.info.ts';
import type {
  CandidateResult,
  DriverSession,
  DriverSessionOptions,
  PeerState,
  RouterDriver,
  RouterTarget,
} from '../driver.types.ts';
import { innerData, parseXrNeighbors, prettyXml } from './iosxr.parse.ts';

const OPER_NS = 'http://cisco.com/ns/yang/Cisco-IOS-XR-ipv4-bgp-oper';
const CFG_NS = 'http://cisco.com/ns/yang/Cisco-IOS-XR-ipv4-bgp-cfg';
const NC_NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';

const OPER_GET = `<get><filter type="subtree"><bgp xmlns="${OPER_NS}"><instances><instance><instance-active><default-vrf><neighbors/></default-vrf><vrfs><vrf><neighbors/></vrf></vrfs></instance-active></instance></instances></bgp></filter></get>`;

/** The <config> that sets or removes one neighbour's `shutdown` in the BGP config model. */
export function xrShutdownConfig(
  asn: number,
  neighbor: { vrf: string | null; peer_ip: string },
  shut: boolean,
): string {
  const leaf = shut ? '<shutdown>true</shutdown>' : `<shutdown xmlns:nc="${NC_NS}" nc:operation="remove"/>`;
  const ip = xmlEscape(neighbor.peer_ip);
  const inner = neighbor.vrf
    ? `<vrfs><vrf><vrf-name>${xmlEscape(neighbor.vrf)}</vrf-name><vrf-neighbors><vrf-neighbor><neighbor-address>${ip}</neighbor-address>${leaf}</vrf-neighbor></vrf-neighbors></vrf></vrfs>`
    : `<default-vrf><bgp-entity><neighbors><neighbor><neighbor-address>${ip}</neighbor-address>${leaf}</neighbor></neighbors></bgp-entity></default-vrf>`;
  return `<config><bgp xmlns="${CFG_NS}"><instance><instance-name>default</instance-name><instance-as><as>0</as><four-byte-as><as>${asn}</as><bgp-running/>${inner}</four-byte-as></instance-as></instance></bgp></config>`;
}

class XrSession extends NetconfCandidateSession implements DriverSession {
  constructor(nc: NetconfSession, router: RouterTarget) {
    super(nc, router, '<commit/>');
  }

  async listNeighbors(): Promise<PeerState[]> {
    return parseXrNeighbors((await this.nc.rpc(OPER_GET)).body);
  }

  async getRunningConfig(): Promise<string> {
    const r = await this.nc.rpc('<get-config><source><running/></source></get-config>');
    return prettyXml(innerData(r.xml));
  }

  async setAdminState(neighbor: { vrf: string | null; peer_ip: string }, up: boolean): Promise<void> {
    const ip = parseIp(neighbor.peer_ip)?.text;
    if (!ip)
      throw new UpstreamError(`${this.router.name}: "${neighbor.peer_ip}" is not a neighbour address`, 'router_error');
    let asn = this.router.local_asn;
    if (asn === null) {
      const peers = await this.listNeighbors();
      asn = peers.find((p) => p.local_asn !== null)?.local_asn ?? null;
      if (asn === null)
        throw new UpstreamError(
          `${this.router.name}: the router reports no BGP instance; cannot change ${neighbor.peer_ip}`,
          'router_error',
        );
    }
    const config = xrShutdownConfig(asn, { vrf: neighbor.vrf, peer_ip: ip }, !up);
    await this.changeLocked(async () => {
      await this.nc.rpc(
        `<edit-config><target><candidate/></target><default-operation>merge</default-operation>${config}</edit-config>`,
      );
      await this.nc.rpc('<commit/>');
    });
  }

  async loadCandidate(config: string, mode: 'merge' | 'replace'): Promise<CandidateResult> {
    const body = /^\s*<config[\s>]/.test(config) ? config : `<config>${config}</config>`;
    return this.loadLocked(
      async () => {
        await this.nc.rpc(
          `<edit-config><target><candidate/></target><default-operation>${mode}</default-operation>${body}</edit-config>`,
        );
      },
      async () => {
        const running = prettyXml(
          innerData((await this.nc.rpc('<get-config><source><running/></source></get-config>')).xml),
        );
        const candidate = prettyXml(
          innerData((await this.nc.rpc('<get-config><source><candidate/></source></get-config>')).xml),
        );
        if (running === candidate) return '';
        return createTwoFilesPatch('running', 'candidate', running, candidate, undefined, undefined, {
          context: 3,
        }).replace(/^=+\n/m, '');
      },
    );
  }

  async commitConfirmed(confirmTimeoutS: number): Promise<void> {
    if (
      !this.nc.hasCapability('urn:ietf:params:netconf:capability:confirmed-commit:1.0') &&
      !this.nc.hasCapability('urn:ietf:params:netconf:capability:confirmed-commit:1.1')
    ) {
      throw new UpstreamError(
        `${this.router.name}: the router does not offer NETCONF confirmed commit; refusing to commit without a way back`,
        'router_error',
      );
    }
    await this.commitConfirmedWith(
      `<commit><confirmed/><confirm-timeout>${Math.max(1, Math.ceil(confirmTimeoutS))}</confirm-timeout></commit>`,
    );
  }

  async rollback(): Promise<void> {
    await this.rollbackWith(
      async () => this.phase === 'confirming',
      async () => {
        await this.nc.rpc('<cancel-commit/>');
      },
    );
  }

  /** Only this session's confirmed commit is known: NETCONF has no standard way to ask for another's. */
  async pendingConfirm(): Promise<boolean> {
    return this.phase === 'confirming';
  }
}

/** The IOS-XR driver (NETCONF over SSH, YANG models). */
export const iosxrDriver: RouterDriver = {
  ...iosxrInfo,
  async open(router: RouterTarget, opts: DriverSessionOptions): Promise<DriverSession> {
    return new XrSession(await openNetconf(router, opts), router);
  },
};
