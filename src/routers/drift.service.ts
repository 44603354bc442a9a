// Drift report: what the router has against what Peerdesk says it should have — neighbours unknown
// to Peerdesk, Peerdesk's BGP peers missing on the router, and field differences (remote AS, admin
// state, description). One listNeighbors call on the device.
import type { Db, Executor } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import type { PeerState } from '../drivers/driver.types.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { bool } from '../platform/crud.ts';
import { ConflictError, NotFoundError, UpstreamError } from '../platform/errors.ts';
import { parseIp } from '../platform/ip.ts';
import {
  errorText,
  loadRouters,
  lookupDriver,
  openSession,
  unreachableReason,
  type RouterRow,
} from '../polling/router-access.ts';

export type DriftValue = string | number | boolean | null;

export interface DriftReport {
  router: { id: number; name: string };
  checked_at: string;
  neighbors: number;
  peers: number;
  in_sync: number;
  /** On the router, not in Peerdesk (candidates for import). */
  unknown_on_router: {
    vrf: string | null;
    peer_ip: string;
    remote_asn: number | null;
    description: string | null;
    state: string;
    admin_down: boolean;
  }[];
  /** In Peerdesk, not on the router. */
  missing_on_router: {
    bgp_peer_id: number;
    session_id: number | null;
    vrf: string | null;
    peer_ip: string;
    remote_asn: number;
    description: string | null;
    enabled: boolean;
  }[];
  /** On both, with fields that disagree. */
  differences: {
    bgp_peer_id: number;
    session_id: number | null;
    vrf: string | null;
    peer_ip: string;
    field: 'remote_asn' | 'admin_state' | 'description';
    peerdesk: DriftValue;
    router: DriftValue;
  }[];
}

/** Normalised (vrf, ip) key; the global table is '' in the database and null/"default" from drivers. */
export function neighborKey(vrf: string | null | undefined, ip: string): string {
  return `${!vrf || vrf === 'default' ? '' : vrf}|${parseIp(ip)?.text ?? ip}`;
}

/** Reads every neighbour of a router through its driver (one device call), or throws a clear error. */
export async function readNeighbors(
  db: Db,
  routerId: number,
  opts: { secrets?: SecretBox; signal: AbortSignal; log?: (m: string, level?: 'info' | 'warn' | 'error') => unknown },
): Promise<{ router: RouterRow; states: PeerState[] }> {
  const [router] = await loadRouters(db, [routerId]);
  if (!router) throw new NotFoundError('router', routerId);
  const driver = await lookupDriver(router.driver);
  const why = unreachableReason(router, driver, 'list_neighbors');
  if (why) throw new ConflictError(`cannot read ${router.name}: ${why}`, [], 'router_not_drivable');
  let session;
  try {
    session = await openSession(router, driver!, opts.secrets, opts.signal, opts.log);
  } catch (err) {
    throw new UpstreamError(`${router.name} is unreachable: ${errorText(err)}`, 'router_unreachable');
  }
  try {
    return { router, states: await session.listNeighbors() };
  } catch (err) {
    throw new UpstreamError(`${router.name} did not list its neighbours: ${errorText(err)}`, 'router_error');
  } finally {
    await session.close().catch(() => {});
  }
}

/** Compares a router's neighbours with Peerdesk's BGP peers on it. */
export async function compareNeighbors(
  db: Executor,
  router: { id: number; name: string },
  states: PeerState[],
): Promise<DriftReport> {
  const peers = await db
    .selectFrom('bgp_peers as b')
    .leftJoin('peering_sessions as s', 's.bgp_peer_id', 'b.id')
    .select(['b.id', 'b.vrf', 'b.peer_ip', 'b.remote_asn', 'b.description', 'b.enabled', 's.id as session_id'])
    .where('b.router_id', '=', router.id)
    .orderBy('b.vrf')
    .orderBy('b.peer_ip_key')
    .execute();
  const onRouter = new Map<string, PeerState>();
  for (const s of states) onRouter.set(neighborKey(s.vrf, s.peer_ip), s);
  const seen = new Set<string>();
  const report: DriftReport = {
    router: { id: router.id, name: router.name },
    checked_at: now(),
    neighbors: states.length,
    peers: peers.length,
    in_sync: 0,
    unknown_on_router: [],
    missing_on_router: [],
    differences: [],
  };
  for (const p of peers) {
    const k = neighborKey(p.vrf, p.peer_ip);
    const s = onRouter.get(k);
    const base = {
      bgp_peer_id: Number(p.id),
      session_id: p.session_id ? Number(p.session_id) : null,
      vrf: p.vrf || null,
      peer_ip: p.peer_ip,
    };
    if (!s) {
      report.missing_on_router.push({
        ...base,
        remote_asn: Number(p.remote_asn),
        description: p.description ?? null,
        enabled: bool(p.enabled),
      });
      continue;
    }
    seen.add(k);
    const before = report.differences.length;
    if (s.remote_asn !== null && s.remote_asn !== Number(p.remote_asn))
      report.differences.push({ ...base, field: 'remote_asn', peerdesk: Number(p.remote_asn), router: s.remote_asn });
    const enabled = bool(p.enabled);
    if (enabled === s.admin_down)
      report.differences.push({
        ...base,
        field: 'admin_state',
        peerdesk: enabled ? 'up' : 'down',
        router: s.admin_down ? 'down' : 'up',
      });
    if ((p.description ?? '') !== (s.description ?? ''))
      report.differences.push({
        ...base,
        field: 'description',
        peerdesk: p.description ?? null,
        router: s.description ?? null,
      });
    if (report.differences.length === before) report.in_sync++;
  }
  for (const s of states) {
    if (seen.has(neighborKey(s.vrf, s.peer_ip))) continue;
    report.unknown_on_router.push({
      vrf: !s.vrf || s.vrf === 'default' ? null : s.vrf,
      peer_ip: parseIp(s.peer_ip)?.text ?? s.peer_ip,
      remote_asn: s.remote_asn,
      description: s.description,
      state: s.admin_down ? 'admin-down' : s.state,
      admin_down: s.admin_down,
    });
  }
  report.unknown_on_router.sort(
    (a, b) =>
      (a.vrf ?? '').localeCompare(b.vrf ?? '') ||
      (parseIp(a.peer_ip)?.key ?? '').localeCompare(parseIp(b.peer_ip)?.key ?? ''),
  );
  return report;
}

/** The drift report of one router (reads the device now). */
export async function driftReport(
  db: Db,
  routerId: number,
  opts: { secrets?: SecretBox; signal: AbortSignal },
): Promise<DriftReport> {
  const { router, states } = await readNeighbors(db, routerId, opts);
  return compareNeighbors(db, router, states);
}
