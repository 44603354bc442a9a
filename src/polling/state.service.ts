// State history read side: flap count, time in each state, the down reason and max-prefix usage of a
// session, from session_state_events and the live columns the poll writes.
import { effectiveMaxPrefixes, effectiveState, maxPrefixUsage as usageOf } from '../sessions/session-rules.ts';
import { type Executor } from '../platform/db.ts';
import { bool } from '../platform/crud.ts';
import { NotFoundError } from '../platform/errors.ts';

/** Share of the max-prefix limit at which a session is flagged. */
export { MAX_PREFIX_WARN_RATIO } from '../sessions/session-rules.ts';

export interface MaxPrefixUsage {
  bgp_peer_id: number;
  peer_ip: string;
  remote_asn: number;
  limit: number;
  received: number;
  percent: number;
  warning: boolean;
}

/**
 * Max-prefix usage of BGP peers (of one router, or given ids): the effective limit is the peer's
 * address-family value, else the peer ASN's per family, else its peer group's (as the session list).
 */
export async function maxPrefixUsage(
  db: Executor,
  where: { routerId?: number; peerIds?: number[] },
): Promise<MaxPrefixUsage[]> {
  if (where.peerIds && !where.peerIds.length) return [];
  let q = db
    .selectFrom('bgp_peers as b')
    .leftJoin('peer_asns as a', 'a.asn', 'b.remote_asn')
    .leftJoin('peer_groups as g', 'g.id', 'b.peer_group_id')
    .leftJoin('bgp_peer_address_families as f4', (j) =>
      j.onRef('f4.bgp_peer_id', '=', 'b.id').on('f4.afi_safi', '=', 'ipv4-unicast'),
    )
    .leftJoin('bgp_peer_address_families as f6', (j) =>
      j.onRef('f6.bgp_peer_id', '=', 'b.id').on('f6.afi_safi', '=', 'ipv6-unicast'),
    )
    .select(['b.id', 'b.peer_ip', 'b.remote_asn', 'b.family', 'b.prefixes_received', 'b.prefixes_accepted'])
    .select([
      'f4.max_prefixes as f4max',
      'f6.max_prefixes as f6max',
      'a.ipv4_max_prefixes as a4',
      'a.ipv6_max_prefixes as a6',
      'g.ipv4_max_prefixes as g4',
      'g.ipv6_max_prefixes as g6',
    ])
    .where((eb) => eb.or([eb('b.prefixes_received', 'is not', null), eb('b.prefixes_accepted', 'is not', null)]));
  if (where.routerId !== undefined) q = q.where('b.router_id', '=', where.routerId);
  if (where.peerIds) q = q.where('b.id', 'in', where.peerIds);
  const rows = await q.orderBy('b.peer_ip_key').execute();
  const out: MaxPrefixUsage[] = [];
  for (const r of rows) {
    const limit = effectiveMaxPrefixes(
      Number(r.family),
      Number(r.family) === 4 ? r.f4max : r.f6max,
      { ipv4_max_prefixes: r.a4, ipv6_max_prefixes: r.a6 },
      { ipv4_max_prefixes: r.g4, ipv6_max_prefixes: r.g6 },
    );
    const u = usageOf(limit, r.prefixes_received, r.prefixes_accepted);
    if (u) out.push({ bgp_peer_id: Number(r.id), peer_ip: r.peer_ip, remote_asn: Number(r.remote_asn), ...u });
  }
  return out;
}

/** Peers at or above 90% of their max-prefix limit. */
export async function maxPrefixWarnings(
  db: Executor,
  where: { routerId?: number; peerIds?: number[] },
): Promise<MaxPrefixUsage[]> {
  return (await maxPrefixUsage(db, where)).filter((u) => u.warning);
}

export interface StateSummary {
  session_id: number;
  bgp_peer_id: number;
  enabled: boolean;
  /** As the session list shows it: a disabled session is `admin-down`, never Established. */
  state: string;
  state_since: string | null;
  /** Why the session is down (the router's last error), null while Established. */
  down_reason: string | null;
  last_error: string | null;
  polled_at: string | null;
  window: { from: string; to: string; hours: number };
  /** Times the session left Established, in the window and ever. */
  flaps: number;
  flaps_total: number;
  /** Seconds spent in each state within the window (only where history covers it), longest first. */
  time_in_state: { state: string; seconds: number; percent: number }[];
  max_prefix: { limit: number; received: number; percent: number; warning: boolean } | null;
}

/** Flap count, time in state, down reason and max-prefix usage of one session over a window. */
export async function sessionStateSummary(
  db: Executor,
  sessionId: number,
  hours = 24,
  nowMs = Date.now(),
): Promise<StateSummary> {
  const s = await db
    .selectFrom('peering_sessions as s')
    .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
    .select(['s.id', 's.bgp_peer_id', 'b.enabled', 'b.state', 'b.state_since', 'b.last_error', 'b.polled_at'])
    .where('s.id', '=', sessionId)
    .executeTakeFirst();
  if (!s) throw new NotFoundError('peering-session', sessionId);
  const peerId = Number(s.bgp_peer_id);
  const to = new Date(nowMs).toISOString();
  const from = new Date(nowMs - hours * 3600_000).toISOString();
  const before = await db
    .selectFrom('session_state_events')
    .select(['time', 'state'])
    .where('bgp_peer_id', '=', peerId)
    .where('time', '<', from)
    .orderBy('time', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const events = await db
    .selectFrom('session_state_events')
    .select(['time', 'state', 'previous_state'])
    .where('bgp_peer_id', '=', peerId)
    .where('time', '>=', from)
    .orderBy('time')
    .orderBy('id')
    .limit(100_000)
    .execute();
  const flapRow = await db
    .selectFrom('session_state_events')
    .select((eb) => eb.fn.countAll().as('c'))
    .where('bgp_peer_id', '=', peerId)
    .where('previous_state', '=', 'established')
    .where('state', '!=', 'established')
    .executeTakeFirst();
  const isFlap = (e: (typeof events)[number]) => e.previous_state === 'established' && e.state !== 'established';

  // Walk the window: the state in force at `from` (last earlier event, else the first event's
  // previous state), then each change until now.
  const seconds = new Map<string, number>();
  const add = (state: string | null, a: string, b: string) => {
    if (!state) return;
    const d = (Date.parse(b) - Date.parse(a)) / 1000;
    if (d > 0) seconds.set(state, (seconds.get(state) ?? 0) + d);
  };
  let cur: string | null = before?.state ?? events[0]?.previous_state ?? null;
  let curAt = from;
  if (!before && !events.length) {
    // No history in or before the window: the stored state since it began (if known).
    cur = s.state;
    curAt = s.state_since && s.state_since > from ? s.state_since : s.state_since ? from : to;
  }
  for (const e of events) {
    add(cur, curAt, e.time);
    cur = e.state;
    curAt = e.time;
  }
  add(cur, curAt, to);
  const total = hours * 3600;
  const enabled = bool(s.enabled);
  const state = effectiveState(enabled, s.state);
  const usage = (await maxPrefixUsage(db, { peerIds: [peerId] }))[0];
  return {
    session_id: Number(s.id),
    bgp_peer_id: peerId,
    enabled,
    state,
    state_since: s.state_since ?? null,
    down_reason: state === 'established' ? null : (s.last_error ?? null),
    last_error: s.last_error ?? null,
    polled_at: s.polled_at ?? null,
    window: { from, to, hours },
    flaps: events.filter(isFlap).length,
    flaps_total: Number(flapRow?.c ?? 0),
    time_in_state: [...seconds.entries()]
      .map(([st, sec]) => ({ state: st, seconds: Math.round(sec), percent: Math.round((sec / total) * 1000) / 10 }))
      .sort((a, b) => b.seconds - a.seconds || a.state.localeCompare(b.state)),
    max_prefix: usage
      ? { limit: usage.limit, received: usage.received, percent: usage.percent, warning: usage.warning }
      : null,
  };
}
