// GoBGP driver over its gRPC API (`grpc://host:port`): ListPeer for state, DisablePeer (with the
// RFC 8203 communication) and EnablePeer for admin state. GoBGP has no separate running/startup
// configuration over the API: a disable lasts until gobgpd restarts (its TOML decides then).
import { fileURLToPath } from 'node:url';
import { parseIp } from '../../platform/ip.ts';
import type { DriverSession, DriverSessionOptions, PeerState, RouterDriver, RouterTarget } from '../driver.types.ts';
import { deviceError, unreachable } from '../transports/common.ts';
import { GrpcConnection, parseGrpcUrl } from '../transports/grpc.ts';
import { gobgpInfo } from './gobgp.info.ts';
import { parseGobgpPeer, type GobgpPeer } from './gobgp.parser.ts';

const PROTO = fileURLToPath(new URL('./gobgp-api.proto', import.meta.url));

/** RFC 8203 allows 128 octets of UTF-8 (RFC 9003: 255); keep to 128 for every peer. */
function communication(message: string | undefined): string {
  const clean = (message ?? '').replace(/[\0-\x1f\x7f]+/g, ' ').trim();
  let out = '';
  for (const ch of clean) {
    if (Buffer.byteLength(out + ch) > 128) break;
    out += ch;
  }
  return out;
}

class GobgpSession implements DriverSession {
  private readonly grpc: GrpcConnection;
  private readonly router: RouterTarget;

  constructor(router: RouterTarget, grpc: GrpcConnection) {
    this.router = router;
    this.grpc = grpc;
  }

  async listNeighbors(): Promise<PeerState[]> {
    const items = await this.grpc.stream<{ peer?: GobgpPeer }>('ListPeer', { enableAdvertised: true }, '{"enableAdvertised":true}');
    return items.map((i) => (i.peer ? parseGobgpPeer(i.peer) : null)).filter((p): p is PeerState => p !== null);
  }

  async setAdminState(neighbor: { vrf: string | null; peer_ip: string }, up: boolean, message?: string): Promise<void> {
    const ip = parseIp(neighbor.peer_ip);
    if (!ip) throw deviceError(this.router.name, up ? 'EnablePeer' : 'DisablePeer', `${neighbor.peer_ip} is not an IP address`);
    // GoBGP addresses peers by address alone; check the VRF matches so we never disable the wrong one.
    const peers = await this.listNeighbors();
    if (!peers.some((p) => p.peer_ip === ip.text && p.vrf === neighbor.vrf)) throw deviceError(this.router.name, 'ListPeer', `no neighbour ${ip.text}${neighbor.vrf ? ` in VRF ${neighbor.vrf}` : ''}`);
    if (up) await this.grpc.unary('EnablePeer', { address: ip.text });
    else {
      const msg = communication(message);
      await this.grpc.unary('DisablePeer', { address: ip.text, communication: msg }, JSON.stringify({ address: ip.text, communication: msg }));
    }
  }

  async close(): Promise<void> {
    this.grpc.close();
  }
}

export const gobgpDriver: RouterDriver = {
  ...gobgpInfo,
  async open(router: RouterTarget, opts: DriverSessionOptions): Promise<DriverSession> {
    const u = parseGrpcUrl(router.hostname ?? '');
    if (!u) throw unreachable(router.name, 'the GoBGP driver needs grpc://host:port');
    return new GobgpSession(router, new GrpcConnection(router.name, `${u.host}:${u.port}`, PROTO, 'apipb.GobgpApi', router.credentials, opts));
  },
};
