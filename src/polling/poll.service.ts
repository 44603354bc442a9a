// Polling: reads every neighbour of each router with one driver call, matches them to the stored BGP
// peers in bulk (a handful of statements per router, none per peer), records each state change as an
// event and reports a clear per-router outcome. Routers are polled concurrently with a bound.
import { sql } from 'kysely';
import type { Db, Executor } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import type { PeerState } from '../drivers/driver.types.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { parseIp } from '../platform/ip.ts';
import { errorText, loadRouters, lookupDriver, mapBounded, openSession, pollConcurrency, unreachableReason, type RouterRow } from './router-access.ts';
import { maxPrefixWarnings } from './state.service.ts';

/** One router's outcome of a poll (the job result lists one per router; the UI's toast shows them). */
export interface RouterPollResult {
  id: number;
  name: string;
  /** True when the router answered and its state was stored. */
  ok: boolean;
  /** Why it failed (unreachable, no driver, bad credentials, …); absent when ok. */
  error?: string;
  /** BGP peers Peerdesk has on this router. */
  peers: number;
  /** Peers whose state or received-prefix count changed (each such change is a history event). */
  changed: number;
  /** Peers Peerdesk has that the router does not report. */
  missing: number;
  /** Neighbours the router reported. */
  neighbors: number;
  /** Neighbours on the router that Peerdesk does not know (see the drift report). */
  unknown: number;
  /** Sessions at or above 90% of their max-prefix limit. */
  max_prefix_warnings: number;
  duration_ms: number;
}

/** The poll job's result. */
export interface PollResult {
  routers: RouterPollResult[];
  /** Routers that could not be polled. */
  failed: number;
}

export interface PollOptions {
  secrets?: SecretBox;
  signal: AbortSignal;
  log?: (message: string, level?: 'info' | 'warn' | 'error') => unknown;
  concurrency?: number;
  jobId?: number | null;
  /** Called as each router's result lands (progress). */
  onResult?: (r: RouterPollResult, done: number, total: number) => unknown;
}

// The global table is '' in the database, null from drivers; FRR and others also call it "default".
const key = (vrf: string | null | undefined, ip: string) => `${!vrf || vrf === 'default' ? '' : vrf}|${parseIp(ip)?.text ?? ip}`;

interface PeerUpdate {
  id: number;
  state: string;
  state_since: string | null;
  prefixes_received: number | null;
  prefixes_accepted: number | null;
  prefixes_advertised: number | null;
  last_error: string | null;
}

const UPDATE_COLUMNS: [keyof PeerUpdate, 'text' | 'integer'][] = [
  ['state', 'text'],
  ['state_since', 'text'],
  ['prefixes_received', 'integer'],
  ['prefixes_accepted', 'integer'],
  ['prefixes_advertised', 'integer'],
  ['last_error', 'text'],
];

/** Writes many peers' differing values with one UPDATE per chunk (CASE on id; portable to both engines). */
async function bulkUpdatePeers(db: Executor, updates: PeerUpdate[], at: string): Promise<void> {
  for (let i = 0; i < updates.length; i += 200) {
    const chunk = updates.slice(i, i + 200);
    const sets = UPDATE_COLUMNS.map(
      ([col, type]) => sql`${sql.ref(col)} = case ${sql.join(chunk.map((u) => sql`when id = ${u.id} then cast(${u[col]} as ${sql.raw(type)})`), sql` `)} end`,
    );
    await sql`update bgp_peers set ${sql.join(sets, sql`, `)}, polled_at = ${at} where id in (${sql.join(chunk.map((u) => u.id))})`.execute(db);
  }
}

/** The state Peerdesk stores for a neighbour: `admin-down` when the router has it shut. */
export function storedState(s: PeerState): string {
  return s.admin_down ? 'admin-down' : s.state;
}

/**
 * Stores one poll of a router in the caller's transaction: each known peer gets its state and
 * counts; a change of state or of the received-prefix count adds a history event (from, to, at,
 * reason); peers the router does not report become `unknown` with a reason.
 */
export async function applyPollResults(db: Executor, routerId: number, states: PeerState[], at = now()): Promise<{ peers: number; changed: number; missing: number; unknown: number }> {
  const peers = await db
    .selectFrom('bgp_peers')
    .select(['id', 'vrf', 'peer_ip', 'state', 'state_since', 'prefixes_received', 'prefixes_accepted', 'prefixes_advertised', 'last_error'])
    .where('router_id', '=', routerId)
    .execute();
  const byKey = new Map<string, PeerState>();
  for (const s of states) byKey.set(key(s.vrf, s.peer_ip), s);
  const matched = new Set<string>();
  const updates: PeerUpdate[] = [];
  const events: Record<string, unknown>[] = [];
  let missing = 0;
  for (const p of peers as any[]) {
    const k = key(p.vrf || null, p.peer_ip);
    const s = byKey.get(k);
    if (s) matched.add(k);
    else missing++;
    const state = s ? storedState(s) : 'unknown';
    const stateChanged = state !== p.state;
    let since = s?.since ?? (stateChanged ? at : (p.state_since ?? null));
    // Platforms that report an uptime (FRR) give a `since` that jitters by milliseconds between polls:
    // the same state with a start within a few seconds is the same period (and no write).
    if (!stateChanged && since && p.state_since && Math.abs(Date.parse(since) - Date.parse(p.state_since)) < 5000) since = p.state_since;
    const next: PeerUpdate = {
      id: Number(p.id),
      state,
      state_since: since,
      prefixes_received: s ? s.prefixes_received : null,
      prefixes_accepted: s ? s.prefixes_accepted : null,
      prefixes_advertised: s ? s.prefixes_advertised : null,
      last_error: s ? s.last_error : 'not configured on the router',
    };
    const differs = UPDATE_COLUMNS.some(([c]) => (next[c] ?? null) !== (p[c] ?? null));
    if (differs) updates.push(next);
    const prev = p.prefixes_received === null || p.prefixes_received === undefined ? null : Number(p.prefixes_received);
    if (stateChanged || next.prefixes_received !== prev) {
      events.push({
        bgp_peer_id: next.id,
        time: at,
        state,
        previous_state: p.state ?? null,
        // The down reason belongs to a change away from Established (or into a down state).
        reason: state === 'established' ? null : next.last_error,
        prefixes_received: next.prefixes_received,
        prefixes_accepted: next.prefixes_accepted,
        prefixes_advertised: next.prefixes_advertised,
      });
    }
  }
  // Only peers whose live values changed are written (with polled_at): a steady poll writes nothing per
  // peer, so polling every few minutes does not rewrite the whole table (the router's last_polled_at
  // says when it was last read).
  await bulkUpdatePeers(db, updates, at);
  for (let i = 0; i < events.length; i += 200) await db.insertInto('session_state_events').values(events.slice(i, i + 200)).execute();
  const unknown = [...byKey.keys()].filter((k) => !matched.has(k)).length;
  return { peers: peers.length, changed: events.length, missing, unknown };
}

/** Polls one router through its driver (one listNeighbors call) and stores the result. */
export async function pollOneRouter(db: Db, router: RouterRow, opts: PollOptions): Promise<RouterPollResult> {
  const started = Date.now();
  const base = { id: router.id, name: router.name, peers: 0, changed: 0, missing: 0, neighbors: 0, unknown: 0, max_prefix_warnings: 0 };
  const log = (m: string, level: 'info' | 'warn' | 'error' = 'info') => opts.log?.(`${router.name}: ${m}`, level);
  let result: RouterPollResult;
  try {
    const driver = await lookupDriver(router.driver);
    const why = unreachableReason(router, driver, 'list_neighbors');
    if (why) throw new Error(why);
    const session = await openSession(router, driver!, opts.secrets, opts.signal, opts.log);
    let states: PeerState[];
    try {
      states = await session.listNeighbors();
    } finally {
      await session.close().catch(() => {});
    }
    const at = now();
    const applied = await db.transaction().execute(async (tx) => {
      const res = await applyPollResults(tx, router.id, states, at);
      await tx.updateTable('routers').set({ last_polled_at: at, last_poll_error: null, last_poll_job_id: opts.jobId ?? null }).where('id', '=', router.id).execute();
      return res;
    });
    const warnings = await maxPrefixWarnings(db, { routerId: router.id });
    for (const w of warnings.slice(0, 20)) log(`${w.peer_ip} (AS${w.remote_asn}) has ${w.received} prefixes, ${w.percent}% of its max-prefix limit ${w.limit}`, 'warn');
    result = { ...base, ok: true, ...applied, neighbors: states.length, max_prefix_warnings: warnings.length, duration_ms: Date.now() - started };
    log(`reached: ${states.length} neighbours, ${applied.peers} peers in Peerdesk, ${applied.changed} changed${applied.missing ? `, ${applied.missing} not on the router` : ''}${applied.unknown ? `, ${applied.unknown} unknown to Peerdesk` : ''}`);
  } catch (err) {
    const error = opts.signal.aborted ? 'cancelled' : errorText(err);
    result = { ...base, ok: false, error, duration_ms: Date.now() - started };
    await db.updateTable('routers').set({ last_poll_error: error, last_poll_job_id: opts.jobId ?? null }).where('id', '=', router.id).execute().catch(() => {});
    log(`failed: ${error}`, 'warn');
  }
  return result;
}

/** Polls the given routers (or every router with polling enabled) concurrently with a bound. */
export async function pollRouters(db: Db, routerIds: number[] | null, opts: PollOptions): Promise<PollResult> {
  const routers = await loadRouters(db, routerIds, { pollingEnabledOnly: routerIds === null });
  if (opts.jobId) await linkJob(db, opts.jobId, routers.map((r) => r.id), 'bgp.poll');
  let done = 0;
  const results = await mapBounded(routers, opts.concurrency ?? pollConcurrency(), async (r) => {
    if (opts.signal.aborted) return { id: r.id, name: r.name, ok: false, error: 'cancelled', peers: 0, changed: 0, missing: 0, neighbors: 0, unknown: 0, max_prefix_warnings: 0, duration_ms: 0 };
    const res = await pollOneRouter(db, r, opts);
    done++;
    await opts.onResult?.(res, done, routers.length);
    return res;
  });
  return { routers: results, failed: results.filter((r) => !r.ok).length };
}

/** Records that a job touched these routers (the router page's recent jobs). */
export async function linkJob(db: Executor, jobId: number, routerIds: number[], kind: string): Promise<void> {
  const ids = [...new Set(routerIds)];
  if (!ids.length) return;
  const existing = new Set((await db.selectFrom('router_jobs').select('router_id').where('job_id', '=', jobId).execute()).map((r: any) => Number(r.router_id)));
  const rows = ids.filter((id) => !existing.has(id)).map((router_id) => ({ router_id, job_id: jobId, kind, created_at: now() }));
  for (let i = 0; i < rows.length; i += 200) await db.insertInto('router_jobs').values(rows.slice(i, i + 200)).execute();
}
