// GoBGP driver over its gRPC API (`grpc://host:port`): ListPeer for state, DisablePeer (with the
// RFC 8203 communication) and EnablePeer for admin state. GoBGP has no separate running/startup
// configuration over the API: a disable lasts until gobgpd restarts (its TOML decides then).
// Config (deploy): Peerdesk owns the TOML file gobgpd runs from (credentials `config_file`, else
// PEERDESK_GOBGP_CONFIG_FILE, else /etc/gobgpd.conf). The running configuration is that file; a commit
// keeps the previous file, arms a revert timer on gobgpd's host, writes the candidate and sends SIGHUP
// (gobgp.revert.ts), then waits until ListPeer shows the neighbours the file says. gobgpd's host is
// this machine when the API address is one of its own, else the router over SSH (credentials
// `username` + key or password, `port` = SSH port). Checks before anything changes: gobgp.config.ts
// (references, unchanged [global.config]) and `gobgpd -d` on the host.
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
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
import { deviceError, logLine, unreachable } from '../transports/common.ts';
import { GrpcConnection, parseGrpcUrl } from '../transports/grpc.ts';
import { openSsh, type SshConnection } from '../transports/ssh.ts';
import { gobgpInfo } from './gobgp.info.ts';
import { parseGobgpPeer, type GobgpPeer } from './gobgp.parser.ts';
import {
  checkCandidate,
  gobgpPrefixSetSizes,
  globalConfigKey,
  gobgpNeighbors,
  parseToml,
  redactTomlSecrets,
  GobgpConfigError,
  type GobgpNeighborConf,
} from './gobgp.config.ts';
import { gobgpConfigFile, gobgpHost, gobgpStateDir, type GobgpHost } from './gobgp.revert.ts';
import { localShell, sshShell } from '../transports/host-timer.ts';

const PROTO = fileURLToPath(new URL('./gobgp-api.proto', import.meta.url));
/** How long gobgpd may take to show a reloaded file's neighbours in ListPeer. */
const APPLY_WAIT_MS = 30_000;

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

/** True when `host` (from grpc://host:port) is this machine: loopback or one of its interface addresses. */
export function isLocalHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  const ip = parseIp(h);
  if (!ip) return false;
  if (ip.family === 4 ? ip.text.startsWith('127.') : ip.text === '::1') return true;
  return Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((a) => parseIp(a.address)?.text === ip.text),
  );
}

/** Unified diff of two texts without the file header lines ('' when they are equal). */
export function configDiff(running: string, candidate: string): string {
  const norm = (t: string) =>
    t
      .replace(/\r\n/g, '\n')
      .replace(/[ \t]+$/gm, '')
      .replace(/\n*$/, '\n');
  if (norm(running) === norm(candidate)) return '';
  return createTwoFilesPatch('running', 'candidate', norm(running), norm(candidate), undefined, undefined, {
    context: 3,
  }).replace(/^(Index:.*\n)?=+\n/, '');
}

class GobgpSession implements DriverSession {
  private readonly grpc: GrpcConnection;
  private readonly router: RouterTarget;
  private readonly opts: DriverSessionOptions;
  private host: Promise<GobgpHost> | null = null;
  private ssh: SshConnection | null = null;
  private candidate: string | null = null;
  private previous: string | null = null;
  /** The token of the revert timer this session armed (until confirmed or rolled back). */
  private armed: string | null = null;

  constructor(router: RouterTarget, grpc: GrpcConnection, opts: DriverSessionOptions) {
    this.router = router;
    this.grpc = grpc;
    this.opts = opts;
  }

  async listNeighbors(): Promise<PeerState[]> {
    const items = await this.grpc.stream<{ peer?: GobgpPeer }>(
      'ListPeer',
      { enableAdvertised: true },
      '{"enableAdvertised":true}',
    );
    return items.map((i) => (i.peer ? parseGobgpPeer(i.peer) : null)).filter((p): p is PeerState => p !== null);
  }

  async setAdminState(neighbor: { vrf: string | null; peer_ip: string }, up: boolean, message?: string): Promise<void> {
    const ip = parseIp(neighbor.peer_ip);
    if (!ip)
      throw deviceError(
        this.router.name,
        up ? 'EnablePeer' : 'DisablePeer',
        `${neighbor.peer_ip} is not an IP address`,
      );
    // GoBGP addresses peers by address alone; check the VRF matches so we never disable the wrong one.
    const peers = await this.listNeighbors();
    if (!peers.some((p) => p.peer_ip === ip.text && p.vrf === neighbor.vrf))
      throw deviceError(
        this.router.name,
        'ListPeer',
        `no neighbour ${ip.text}${neighbor.vrf ? ` in VRF ${neighbor.vrf}` : ''}`,
      );
    if (up) await this.grpc.unary('EnablePeer', { address: ip.text });
    else {
      const msg = communication(message);
      await this.grpc.unary(
        'DisablePeer',
        { address: ip.text, communication: msg },
        JSON.stringify({ address: ip.text, communication: msg }),
      );
    }
  }

  /** gobgpd's host (its file and the revert timer), reached on first use. */
  private gobgpHost(): Promise<GobgpHost> {
    this.host ??= (async () => {
      const name = this.router.name;
      const file = gobgpConfigFile(this.router.credentials);
      if (!file)
        throw deviceError(
          name,
          'config',
          'no gobgpd configuration file: set config_file in the router credentials (an absolute path)',
        );
      const u = parseGrpcUrl(this.router.hostname ?? '')!;
      const creds = this.router.credentials;
      if (creds?.username && (creds.ssh_private_key || creds.password)) {
        const { conn } = await openSsh(name, `ssh://${u.host}`, creds, this.opts);
        this.ssh = conn;
        return gobgpHost(name, file, '/tmp/peerdesk-gobgp', sshShell(conn));
      }
      if (!isLocalHost(u.host))
        throw deviceError(
          name,
          'config',
          `gobgpd's configuration file is on ${u.host}: give SSH credentials (username and key or password) so Peerdesk can write it and arm the revert timer there`,
        );
      return gobgpHost(name, file, gobgpStateDir(), localShell(name, this.opts));
    })();
    this.host.catch(() => (this.host = null));
    return this.host;
  }

  async getRunningConfig(): Promise<string> {
    return (await this.gobgpHost()).read();
  }

  async loadCandidate(config: string, _mode: 'merge' | 'replace'): Promise<CandidateResult> {
    // Both modes replace the file: Peerdesk owns gobgpd's whole configuration.
    const host = await this.gobgpHost();
    let cfg;
    try {
      cfg = checkCandidate(config);
    } catch (e) {
      if (e instanceof GobgpConfigError) throw deviceError(this.router.name, 'check candidate', e.message);
      throw e;
    }
    const running = await host.read();
    let runningCfg = null;
    try {
      runningCfg = parseToml(running);
    } catch {
      /* an unreadable running file is replaced as a whole */
    }
    if (runningCfg && globalConfigKey(runningCfg) !== globalConfigKey(cfg)) {
      throw deviceError(
        this.router.name,
        'check candidate',
        `[global.config] differs from ${host.file} (running ${globalConfigKey(runningCfg)}, candidate ${globalConfigKey(cfg)}): gobgpd reads it only when it starts, so a deploy cannot change it; change it in the template or restart gobgpd with the new file`,
      );
    }
    await host.check(config);
    this.candidate = config;
    // MD5 passwords never reach the stored diff (the deploy pipeline's redaction knows `password X`, not TOML's `auth-password = "X"`).
    return { diff: redactTomlSecrets(configDiff(running, config)) };
  }

  async discardCandidate(): Promise<void> {
    this.candidate = null;
  }

  async commitConfirmed(confirmTimeoutS: number): Promise<void> {
    if (this.candidate === null) throw deviceError(this.router.name, 'commit', 'no candidate loaded');
    const host = await this.gobgpHost();
    const previous = await host.read();
    this.previous = previous;
    // Armed before the change: a connection lost half-way still restores the previous file.
    const token = await host.arm(confirmTimeoutS, previous);
    this.armed = token;
    await logLine(this.opts.log, `${this.router.name}: writing ${host.file} and reloading gobgpd (SIGHUP)`);
    try {
      // Refused (nothing written) when the timer fired already: the window starts before the write.
      await host.install(this.candidate, token);
      await this.waitApplied(previous, this.candidate);
      if (!(await host.pending(token)))
        throw deviceError(
          this.router.name,
          'commit',
          `the confirm window (${confirmTimeoutS} s) ended before gobgpd applied the candidate: the revert timer restored the previous configuration`,
        );
    } catch (e) {
      await this.restore(host, previous).catch(() => undefined);
      await host.disarm(token).catch(() => undefined);
      this.previous = null;
      this.armed = null;
      throw e;
    }
    this.candidate = null;
  }

  async confirm(): Promise<void> {
    const host = await this.gobgpHost();
    const token = this.armed;
    const cancelled = await host.disarm(token ?? undefined);
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
    const host = await this.gobgpHost();
    const previous = this.previous ?? (await host.previous());
    await host.disarm(this.armed ?? undefined);
    if (previous !== null) await this.restore(host, previous);
    this.previous = null;
    this.armed = null;
    this.candidate = null;
  }

  async pendingConfirm(): Promise<boolean> {
    return (await this.gobgpHost()).pending();
  }

  /** Puts `previous` back into the file (when it differs), reloads gobgpd and waits for its neighbours. */
  private async restore(host: GobgpHost, previous: string): Promise<void> {
    const now = await host.read();
    if (now === previous) return;
    await host.install(previous);
    await this.waitApplied(now, previous);
  }

  /**
   * Polls ListPeer until gobgpd runs the neighbours of `to` (address, AS, description) and none that
   * `from` had and `to` drops; a reload gobgpd refused (its log says why) fails here.
   */
  private async waitApplied(from: string, to: string): Promise<void> {
    const want = gobgpNeighbors(parseToml(to));
    let gone: string[] = [];
    try {
      const keep = new Set(want.map((n) => n.address));
      gone = gobgpNeighbors(parseToml(from))
        .map((n) => n.address)
        .filter((a) => !keep.has(a));
    } catch {
      /* the previous file was not readable: only the new neighbours are checked */
    }
    const mismatch = (peers: PeerState[]): string | null => {
      const by = new Map(peers.map((p) => [p.peer_ip, p]));
      const off = (n: GobgpNeighborConf) => {
        const p = by.get(n.address);
        if (!p) return `${n.address} is missing`;
        if (n.peer_as !== null && p.remote_asn !== n.peer_as)
          return `${n.address} has AS ${p.remote_asn}, not ${n.peer_as}`;
        if ((n.description || null) !== p.description)
          return `${n.address} has description ${JSON.stringify(p.description)}`;
        return null;
      };
      for (const n of want) {
        const why = off(n);
        if (why) return why;
      }
      const left = gone.find((a) => by.has(a));
      return left ? `${left} is still configured` : null;
    };
    const end = Date.now() + APPLY_WAIT_MS;
    let last = 'no answer';
    for (;;) {
      const m = mismatch(await this.listNeighbors());
      if (m === null) return;
      last = m;
      if (Date.now() >= end || this.opts.signal.aborted) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw deviceError(
      this.router.name,
      'SIGHUP reload',
      `gobgpd did not apply the configuration within ${APPLY_WAIT_MS / 1000} s (${last}); its log says why`,
    );
  }

  async close(): Promise<void> {
    this.grpc.close();
    await this.ssh?.close();
  }
}

export const gobgpDriver: RouterDriver = {
  ...gobgpInfo,
  prefixListSizes: gobgpPrefixSetSizes,
  async open(router: RouterTarget, opts: DriverSessionOptions): Promise<DriverSession> {
    const u = parseGrpcUrl(router.hostname ?? '');
    if (!u) throw unreachable(router.name, 'the GoBGP driver needs grpc://host:port');
    return new GobgpSession(
      router,
      new GrpcConnection(router.name, `${u.host}:${u.port}`, PROTO, 'apipb.GobgpApi', router.credentials, opts),
      opts,
    );
  },
};
