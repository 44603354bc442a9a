// The contract between the poller and router drivers: read live BGP state from one router.
import type { BGP_STATES } from '../bgp/bgp-peers.resource.ts';

export type BgpState = (typeof BGP_STATES)[number];

/** One neighbour as the router reports it. */
export interface PeerState {
  vrf: string | null;
  peer_ip: string;
  remote_asn: number | null;
  state: BgpState;
  /** When the current state began (ISO 8601), if the router says. */
  since: string | null;
  prefixes_received: number | null;
  prefixes_accepted: number | null;
  prefixes_advertised: number | null;
  last_error: string | null;
}

/** What a driver needs to reach a router. */
export interface RouterTarget {
  id: number;
  name: string;
  /** Management address; for BIRD also `unix:/path/to/bird.ctl` for a local control socket. */
  hostname: string | null;
  driver: string;
  credentials: { username?: string; password?: string; ssh_private_key?: string; port?: number; api_token?: string } | null;
}

/** A router driver. Drivers that cannot poll yet are simply absent from the registry. */
export interface RouterDriver {
  name: string;
  /** Reads every BGP neighbour's state; throws a clear error when the router cannot be reached. */
  poll(router: RouterTarget, signal: AbortSignal): Promise<PeerState[]>;
}
