// FRR driver: vtysh on this machine (`vtysh:/vty/socket/dir`) or on the router over SSH
// (`ssh://user@host[:port][/vty/socket/dir]`). One `show bgp vrf all neighbors json` per poll.
// Admin state: `neighbor X shutdown [message M]` in `router bgp AS [vrf V]` — part of the running
// configuration, so it survives `clear bgp` and bgpd reloads of that config; Peerdesk does not
// `write memory` (saving the startup configuration stays the operator's or the deploy step's decision).
import { parseIp } from '../../platform/ip.ts';
import type { DriverSession, DriverSessionOptions, PeerState, RouterDriver, RouterTarget } from '../driver.types.ts';
import { deviceError, unreachable } from '../transports/common.ts';
import { openSsh, type SshConnection } from '../transports/ssh.ts';
import { localVtysh, sshVtysh, type Vtysh } from '../transports/vtysh.ts';
import { frrInfo } from './frr.info.ts';
import { parseFrrNeighbors } from './frr.parser.ts';

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

class FrrSession implements DriverSession {
  private readonly vtysh: Vtysh;
  private readonly router: RouterTarget;
  private readonly ssh: SshConnection | null;

  constructor(router: RouterTarget, vtysh: Vtysh, ssh: SshConnection | null) {
    this.router = router;
    this.vtysh = vtysh;
    this.ssh = ssh;
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
    if (neighbor.vrf !== null && !VRF_NAME.test(neighbor.vrf)) throw deviceError(this.router.name, 'neighbor shutdown', `VRF name ${neighbor.vrf} is not valid`);
    const vrfPart = neighbor.vrf ? ` vrf ${neighbor.vrf}` : '';
    // The neighbour's own view gives the BGP instance's AS (and proves the neighbour exists).
    const view = (await this.json(`show bgp${vrfPart} neighbors ${ip.text} json`)) as Record<string, Record<string, unknown>>;
    const n = (view[ip.text] ?? Object.values(view).find((v) => v && typeof v === 'object' && ip.text in v)?.[ip.text]) as Record<string, unknown> | undefined;
    const asn = typeof n?.localAs === 'number' ? n.localAs : null;
    if (!n || asn === null) throw deviceError(this.router.name, `show bgp${vrfPart} neighbors ${ip.text}`, 'no such neighbour on the router');
    const msg = up ? null : shutdownMessage(message);
    const line = up ? `no neighbor ${ip.text} shutdown` : `neighbor ${ip.text} shutdown${msg ? ` message ${msg}` : ''}`;
    await this.vtysh.run(['configure terminal', `router bgp ${asn}${vrfPart}`, line]);
  }

  async close(): Promise<void> {
    await this.ssh?.close();
  }
}

export const frrDriver: RouterDriver = {
  ...frrInfo,
  async open(router: RouterTarget, opts: DriverSessionOptions): Promise<DriverSession> {
    const host = router.hostname ?? '';
    if (host.startsWith('vtysh:')) return new FrrSession(router, localVtysh(router.name, host.slice('vtysh:'.length), opts), null);
    if (!host || host.startsWith('unix:') || /^[a-z]+:\/\//.test(host) && !host.startsWith('ssh://')) {
      throw unreachable(router.name, 'the FRR driver needs vtysh:/vty/socket/dir or ssh://user@host[:port][/vty/socket/dir]');
    }
    const { conn, path } = await openSsh(router.name, host, router.credentials, opts);
    return new FrrSession(router, sshVtysh(router.name, conn, path), conn);
  },
};
