// A router driver double for the polling API tests: an in-memory router per hostname whose
// neighbours the test edits; it counts device calls and records admin actions with their messages.
import { UpstreamError } from '../../src/platform/errors.ts';
import type { BgpState, DriverCapability, PeerState, RouterDriver } from '../../src/drivers/driver.types.ts';

export interface FakeRouter {
  neighbors: PeerState[];
  listCalls: number;
  opens: number;
  admin: { peer_ip: string; up: boolean; message?: string }[];
  /** When set, open() fails with this message (an unreachable router). */
  unreachable?: string;
  /** When set, setAdminState fails for this peer. */
  failAdminFor?: string;
}

/** A neighbour with sensible defaults. */
export function neighbor(
  peer_ip: string,
  remote_asn: number | null,
  state: BgpState,
  extra: Partial<PeerState> = {},
): PeerState {
  const up = state === 'established';
  return {
    vrf: null,
    peer_ip,
    remote_asn,
    local_asn: 64500,
    local_ip: null,
    description: null,
    state,
    admin_down: false,
    since: null,
    prefixes_received: up ? 0 : null,
    prefixes_accepted: up ? 0 : null,
    prefixes_advertised: up ? 0 : null,
    families: [],
    last_error: null,
    ...extra,
  };
}

/** A fake driver; routers are looked up by the router's hostname. */
export function fakeDriver(
  name: string,
  routers: Map<string, FakeRouter>,
  capabilities: DriverCapability[] = ['list_neighbors', 'admin_state'],
): RouterDriver {
  return {
    name,
    label: `Fake (${name})`,
    capabilities,
    hostnameForms: ['fake://NAME'],
    async open(target, opts) {
      const r = routers.get(target.hostname ?? '');
      if (!r) throw new UpstreamError(`no fake router at ${target.hostname}`, 'router_unreachable');
      r.opens++;
      if (r.unreachable) throw new UpstreamError(r.unreachable, 'router_unreachable');
      return {
        async listNeighbors() {
          r.listCalls++;
          await opts.log?.('show neighbors', 'debug');
          return r.neighbors.map((n) => ({ ...n, families: [...n.families] }));
        },
        ...(capabilities.includes('admin_state')
          ? {
              async setAdminState(n: { vrf: string | null; peer_ip: string }, up: boolean, message?: string) {
                if (r.failAdminFor === n.peer_ip)
                  throw new UpstreamError(`device refused ${n.peer_ip}`, 'router_error');
                const x = r.neighbors.find((y) => y.peer_ip === n.peer_ip);
                if (!x) throw new UpstreamError(`no neighbour ${n.peer_ip}`, 'router_error');
                r.admin.push({ peer_ip: n.peer_ip, up, ...(message ? { message } : {}) });
                x.admin_down = !up;
                x.state = up ? 'established' : 'idle';
                x.last_error = up ? null : `Cease/Administrative Shutdown${message ? `: ${message}` : ''}`;
              },
            }
          : {}),
        async close() {},
      };
    },
  };
}

/** A fresh fake router. */
export function fakeRouter(neighbors: PeerState[] = []): FakeRouter {
  return { neighbors, listCalls: 0, opens: 0, admin: [] };
}
