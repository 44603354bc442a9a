// The contract between Peerdesk and router drivers: one interface for every platform. A driver
// declares its capabilities; callers check them before calling the optional methods. Polling, admin
// actions, drift, import (routers issue) and deployment (deploy issue) are all written against this.
export const BGP_STATE_NAMES = [
  'idle',
  'connect',
  'active',
  'opensent',
  'openconfirm',
  'established',
  'admin-down',
  'unknown',
] as const;
export type BgpState = (typeof BGP_STATE_NAMES)[number];

/** Counts for one address family of one neighbour. */
export interface FamilyCounts {
  /** `ipv4-unicast` | `ipv6-unicast` (other AFI/SAFIs may appear; callers ignore what they don't know). */
  afi_safi: string;
  received: number | null;
  accepted: number | null;
  advertised: number | null;
}

/** One neighbour as the router reports it, normalised across platforms. */
export interface PeerState {
  /** VRF / routing instance; null for the global table. */
  vrf: string | null;
  /** Canonical IP text (use platform/ip.ts to canonicalise). */
  peer_ip: string;
  remote_asn: number | null;
  local_asn: number | null;
  /** Source / local address of the session when the router says. */
  local_ip: string | null;
  description: string | null;
  /** Established, idle, … ; `admin-down` when the neighbour is administratively shut on the router. */
  state: BgpState;
  /** True when the router has the neighbour administratively disabled (shutdown / disable / deactivate). */
  admin_down: boolean;
  /** When the current state began (ISO 8601), if the router says. */
  since: string | null;
  /** Totals over all families (sum of `families` where given). */
  prefixes_received: number | null;
  prefixes_accepted: number | null;
  prefixes_advertised: number | null;
  families: FamilyCounts[];
  /**
   * Why the session is (or last went) down, in words: the NOTIFICATION code/subcode
   * ("Cease/Administrative Shutdown", "Hold Timer Expired"), "max-prefix exceeded",
   * "peer unreachable", an RFC 8203 message when present. Null when the router reports none.
   */
  last_error: string | null;
}

/** Credentials stored (encrypted) on the router, decrypted for one job; never logged. */
export interface RouterCredentials {
  username?: string;
  password?: string;
  ssh_private_key?: string;
  ssh_passphrase?: string;
  port?: number;
  api_token?: string;
  /** Accept this SSH host key fingerprint (SHA256:… as ssh-keygen prints); unset = trust on first use is NOT done: any key is accepted only when `insecure_skip_host_key` is true. */
  ssh_host_key?: string;
  insecure_skip_host_key?: boolean;
  /** eAPI / HTTPS: accept a self-signed certificate (lab / default EOS). */
  insecure_tls?: boolean;
  /** PEM of a CA (or the device's own certificate) to trust for HTTPS. */
  ca_pem?: string;
  /** BIRD: the configuration file Peerdesk owns (deploy). */
  config_file?: string;
}

/** What a driver needs to reach a router. */
export interface RouterTarget {
  id: number;
  name: string;
  /**
   * Management address. Forms per driver: `host`, `host:port`, `ssh://user@host[:port]`,
   * `unix:/path/bird.ctl` (BIRD socket), `vtysh:/path/to/vty-socket-dir` (local FRR),
   * `grpc://host:port` (GoBGP), `https://host[:port]` (EOS eAPI), `netconf://host[:port]`.
   */
  hostname: string | null;
  /** Platform driver name (`frr`, `bird2`, `gobgp`, `junos`, `eos`, `iosxr`, …). */
  driver: string;
  local_asn: number | null;
  credentials: RouterCredentials | null;
}

/** A line of the job log a driver writes: the command sent and a truncated answer, never a secret. */
export type DriverLog = (message: string, level?: 'debug' | 'info' | 'warn' | 'error') => void | Promise<void>;

/** Options for one driver session (one job talking to one router). */
export interface DriverSessionOptions {
  signal: AbortSignal;
  log?: DriverLog;
  /** Per device call timeout (ms); default 15 s. */
  timeoutMs?: number;
  /** Allowed directories for local sockets (`unix:` / `vtysh:` hostnames); see PEERDESK_SOCKET_DIRS. */
  socketDirs?: string[];
}

/** A neighbour as it should exist on the router (for drift / deployment / import). */
export interface NeighborSpec {
  vrf: string | null;
  peer_ip: string;
  remote_asn: number;
  description: string | null;
  enabled: boolean;
}

/** Result of loading a candidate config (deploy issue). */
export interface CandidateResult {
  /** Unified diff of running → candidate as the device (or Peerdesk) computes it; '' when nothing changes. */
  diff: string;
}

/**
 * An open connection to one router, reused for every call within a job (one SSH / NETCONF / gRPC /
 * HTTPS connection per router per job). `close()` must always be called (finally).
 */
export interface DriverSession {
  /** Every BGP neighbour with its state, in as few device calls as the platform allows (ideally one). */
  listNeighbors(): Promise<PeerState[]>;
  /** The running configuration as text (capability `running_config`). */
  getRunningConfig?(): Promise<string>;
  /**
   * Administratively enable/disable one neighbour on the device (capability `admin_state`). Persistent
   * where the platform keeps runtime and config apart. `message` is the RFC 8203 shutdown communication
   * where the platform supports one (ignored elsewhere).
   */
  setAdminState?(neighbor: { vrf: string | null; peer_ip: string }, up: boolean, message?: string): Promise<void>;
  // -- capability `config` (deploy issue) --
  /** Loads `config` as the candidate (merge of the stanza Peerdesk owns, or replace) and returns the diff. */
  loadCandidate?(config: string, mode: 'merge' | 'replace'): Promise<CandidateResult>;
  /** Discards a loaded, uncommitted candidate. */
  discardCandidate?(): Promise<void>;
  /** Commits the candidate so that it reverts by itself unless `confirm()` comes within `confirmTimeoutS`. */
  commitConfirmed?(confirmTimeoutS: number, comment?: string): Promise<void>;
  /** Confirms a pending confirmed commit. */
  confirm?(): Promise<void>;
  /** Reverts a pending confirmed commit now. */
  rollback?(): Promise<void>;
  /** True when a confirmed commit (ours or someone else's) is waiting for confirmation. */
  pendingConfirm?(): Promise<boolean>;
  close(): Promise<void>;
}

export type DriverCapability = 'list_neighbors' | 'running_config' | 'admin_state' | 'config' | 'commit_confirm';

/** A router driver: static facts plus a way to open a session to one router. */
export interface RouterDriver {
  /** Platform driver name, as stored on platforms.driver. */
  name: string;
  /** Human label for forms and docs ("FRRouting (vtysh / SSH)"). */
  label: string;
  /** What it can do; the registry feeds /api/capabilities, the platform form and the docs from this. */
  capabilities: DriverCapability[];
  /** Hostname forms it accepts, for the router form's help text. */
  hostnameForms: string[];
  /**
   * Entries per prefix list in this platform's configuration text, for the deploy guard against a
   * shrinking list; absent: `… prefix-list NAME … permit|deny …` lines (FRR / EOS / IOS style).
   */
  prefixListSizes?(config: string): Map<string, number>;
  /** Opens a session (connects lazily or eagerly); throws UpstreamError('router_unreachable') on failure. */
  open(router: RouterTarget, opts: DriverSessionOptions): Promise<DriverSession>;
}

/** Truncates a device answer for the job log. */
export function truncateForLog(text: string, max = 400): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}… (${oneLine.length} chars)` : oneLine;
}
