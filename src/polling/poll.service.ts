// Polling: reads every neighbour of each router with one driver call, matches them to the stored BGP
// peers in bulk (a Map keyed by VRF and address; no query per peer), records each state change as an
// event and reports a clear per-router outcome. Routers are polled concurrently with a bound on the
// device calls in flight (a router's place goes to the next one as soon as its answer is read).
//
// Writes: answers wait (briefly) for the poll's other device calls in progress and are then stored
// together, in one transaction that reads the stored state of all their peers with one query, compares
// in memory and writes only what changed (the peers' live columns and their state events), plus one
// statement for the routers' poll status (router_poll_status, a table the read caches ignore). A poll
// in which nothing changed on any router writes no peer row and no event; on a loopback lab a full
// poll lands in one transaction.
import { sql, type Insertable } from 'kysely';
import type { Db, Executor } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import type { RouterPollStatusTable, SessionStateEventsTable } from '../platform/db.types.ts';
import type { PeerState } from '../drivers/driver.types.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { parseIp } from '../platform/ip.ts';
import {
  errorText,
  loadRouters,
  lookupDriver,
  mapBounded,
  openSession,
  pollConcurrency,
  unreachableReason,
  type RouterRow,
} from './router-access.ts';
import { MAX_PREFIX_WARN_RATIO, type MaxPrefixUsage } from './state.service.ts';

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
const vrfKey = (vrf: string | null | undefined) => (!vrf || vrf === 'default' ? '' : vrf);

// Canonical address text, parsed once per distinct text (only for neighbours that do not match as given).
const canonicalCache = new Map<string, string>();
function canonicalIp(ip: string): string {
  let c = canonicalCache.get(ip);
  if (c === undefined) {
    c = parseIp(ip)?.text ?? ip;
    if (canonicalCache.size >= 100_000) canonicalCache.clear();
    canonicalCache.set(ip, c);
  }
  return c;
}

/**
 * The device's neighbours by VRF and address. Drivers give canonical address text (PeerState) and the
 * database stores it canonical, so a match is two Map lookups; a neighbour that does not match as
 * given is looked up again by its canonical form (parsed once per address).
 */
class NeighborIndex {
  readonly #byVrf = new Map<string, Map<string, PeerState>>();
  #canonical: Map<string, Map<string, PeerState>> | null = null;
  readonly #matched = new Set<PeerState>();
  readonly size: number;

  constructor(states: PeerState[]) {
    for (const s of states) {
      const v = vrfKey(s.vrf);
      let m = this.#byVrf.get(v);
      if (!m) this.#byVrf.set(v, (m = new Map()));
      m.set(s.peer_ip, s);
    }
    let n = 0;
    for (const m of this.#byVrf.values()) n += m.size;
    this.size = n;
  }

  /** The neighbour for a stored peer (marked as matched), or undefined. */
  take(vrf: string | null, ip: string): PeerState | undefined {
    const v = vrfKey(vrf);
    let s = this.#byVrf.get(v)?.get(ip);
    if (!s) {
      if (!this.#canonical) {
        this.#canonical = new Map();
        for (const [vk, m] of this.#byVrf) {
          const c = new Map<string, PeerState>();
          for (const [k, st] of m) c.set(canonicalIp(k), st);
          this.#canonical.set(vk, c);
        }
      }
      s = this.#canonical.get(v)?.get(canonicalIp(ip));
    }
    if (s) this.#matched.add(s);
    return s;
  }

  /** Neighbours no stored peer matched. */
  get unmatched(): number {
    return this.size - this.#matched.size;
  }
}

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

/** A stored BGP peer as a poll compares it (with its effective max-prefix limit). */
interface StoredPeer {
  id: number;
  router_id: number;
  vrf: string | null;
  peer_ip: string;
  peer_ip_key: string;
  remote_asn: number;
  state: string | null;
  state_since: string | null;
  prefixes_received: number | null;
  prefixes_accepted: number | null;
  prefixes_advertised: number | null;
  last_error: string | null;
  /** The session's max-prefix limit (the peer's address family, else its ASN's, else its group's), null when none. */
  limit: number | null;
}

const intOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Reads the stored peers of these routers with one query (their max-prefix limits joined in, as the session list does). */
async function readStoredPeers(db: Executor, routerIds: number[]): Promise<Map<number, StoredPeer[]>> {
  const out = new Map<number, StoredPeer[]>(routerIds.map((id) => [id, []]));
  if (!routerIds.length) return out;
  let q = db
    .selectFrom('bgp_peers as b')
    .leftJoin('peer_asns as a', 'a.asn', 'b.remote_asn')
    .leftJoin('peer_groups as g', 'g.id', 'b.peer_group_id')
    .leftJoin('bgp_peer_address_families as f', (j) =>
      j
        .onRef('f.bgp_peer_id', '=', 'b.id')
        .on('f.afi_safi', '=', sql<string>`case when b.family = 4 then 'ipv4-unicast' else 'ipv6-unicast' end`),
    )
    .select([
      'b.id',
      'b.router_id',
      'b.vrf',
      'b.peer_ip',
      'b.peer_ip_key',
      'b.remote_asn',
      'b.state',
      'b.state_since',
      'b.prefixes_received',
      'b.prefixes_accepted',
      'b.prefixes_advertised',
      'b.last_error',
    ])
    // The effective limit in one column (the address family's, else the ASN's, else the group's for
    // the peer's family): a poll reads every peer of its routers, so each column counts.
    .select(
      sql<
        number | null
      >`coalesce(f.max_prefixes, case when b.family = 4 then coalesce(a.ipv4_max_prefixes, g.ipv4_max_prefixes) else coalesce(a.ipv6_max_prefixes, g.ipv6_max_prefixes) end)`.as(
        'max_prefixes',
      ),
    );
  q = routerIds.length === 1 ? q.where('b.router_id', '=', routerIds[0]!) : q.where('b.router_id', 'in', routerIds);
  for (const r of await q.execute()) {
    const p: StoredPeer = {
      id: Number(r.id),
      router_id: Number(r.router_id),
      vrf: r.vrf || null,
      peer_ip: r.peer_ip,
      peer_ip_key: r.peer_ip_key,
      remote_asn: Number(r.remote_asn),
      state: r.state ?? null,
      state_since: r.state_since ?? null,
      prefixes_received: intOrNull(r.prefixes_received),
      prefixes_accepted: intOrNull(r.prefixes_accepted),
      prefixes_advertised: intOrNull(r.prefixes_advertised),
      last_error: r.last_error ?? null,
      limit: intOrNull(r.max_prefixes),
    };
    out.get(p.router_id)?.push(p);
  }
  return out;
}

/**
 * Writes many peers' changed values: one UPDATE … FROM (VALUES …) per chunk of 500, joined on id
 * (both engines; the cost grows with the rows, not with rows × rows as a CASE per column would).
 */
async function bulkUpdatePeers(db: Executor, updates: PeerUpdate[], at: string): Promise<void> {
  const cols = sql.join(['id', ...UPDATE_COLUMNS.map(([c]) => c)].map((c) => sql.ref(c)));
  const sets = sql.join(
    UPDATE_COLUMNS.map(([c]) => sql`${sql.ref(c)} = v.${sql.ref(c)}`),
    sql`, `,
  );
  for (let i = 0; i < updates.length; i += 500) {
    const rows = updates
      .slice(i, i + 500)
      .map(
        (u) =>
          sql`(cast(${u.id} as integer), ${sql.join(UPDATE_COLUMNS.map(([c, type]) => sql`cast(${u[c]} as ${sql.raw(type)})`))})`,
      );
    // (Starts with UPDATE: the data generation's write tracker counts it as a write.)
    await sql`update bgp_peers set ${sets}, polled_at = ${at} from (with v(${cols}) as (values ${sql.join(rows)}) select * from v) as v where bgp_peers.id = v.id`.execute(
      db,
    );
  }
}

/** The state Peerdesk stores for a neighbour: `admin-down` when the router has it shut. */
export function storedState(s: PeerState): string {
  return s.admin_down ? 'admin-down' : s.state;
}

/** What one router's poll changes, computed in memory from its stored peers and the device's answer. */
interface PollDiff {
  updates: PeerUpdate[];
  events: Insertable<SessionStateEventsTable>[];
  applied: { peers: number; changed: number; missing: number; unknown: number };
  warnings: MaxPrefixUsage[];
}

function diffPoll(peers: StoredPeer[], states: PeerState[], at: string): PollDiff {
  const index = new NeighborIndex(states);
  const updates: PeerUpdate[] = [];
  const events: Insertable<SessionStateEventsTable>[] = [];
  const warnings: (MaxPrefixUsage & { key: string })[] = [];
  let missing = 0;
  for (const p of peers) {
    const s = index.take(p.vrf, p.peer_ip);
    if (!s) missing++;
    const state = s ? storedState(s) : 'unknown';
    const stateChanged = state !== p.state;
    let since = s?.since ?? (stateChanged ? at : p.state_since);
    // Platforms that report an uptime (FRR) give a `since` that jitters by milliseconds between polls:
    // the same state with a start within a few seconds is the same period (and no write).
    if (
      !stateChanged &&
      since &&
      p.state_since &&
      since !== p.state_since &&
      Math.abs(Date.parse(since) - Date.parse(p.state_since)) < 5000
    )
      since = p.state_since;
    const next: PeerUpdate = {
      id: p.id,
      state,
      state_since: since,
      prefixes_received: s ? s.prefixes_received : null,
      prefixes_accepted: s ? s.prefixes_accepted : null,
      prefixes_advertised: s ? s.prefixes_advertised : null,
      last_error: s ? s.last_error : 'not configured on the router',
    };
    if (
      stateChanged ||
      next.state_since !== p.state_since ||
      next.prefixes_received !== p.prefixes_received ||
      next.prefixes_accepted !== p.prefixes_accepted ||
      next.prefixes_advertised !== p.prefixes_advertised ||
      next.last_error !== p.last_error
    ) {
      updates.push(next);
    }
    if (stateChanged || next.prefixes_received !== p.prefixes_received) {
      events.push({
        bgp_peer_id: next.id,
        time: at,
        state,
        previous_state: p.state,
        // The down reason belongs to a change away from Established (or into a down state).
        reason: state === 'established' ? null : next.last_error,
        prefixes_received: next.prefixes_received,
        prefixes_accepted: next.prefixes_accepted,
        prefixes_advertised: next.prefixes_advertised,
      });
    }
    const received = next.prefixes_received ?? next.prefixes_accepted;
    if (p.limit !== null && p.limit > 0 && received !== null && received / p.limit >= MAX_PREFIX_WARN_RATIO) {
      warnings.push({
        key: p.peer_ip_key,
        bgp_peer_id: p.id,
        peer_ip: p.peer_ip,
        remote_asn: p.remote_asn,
        limit: p.limit,
        received,
        percent: Math.round((received / p.limit) * 1000) / 10,
        warning: true,
      });
    }
  }
  warnings.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    updates,
    events,
    applied: { peers: peers.length, changed: events.length, missing, unknown: index.unmatched },
    warnings: warnings.map(({ key: _k, ...w }) => w),
  };
}

async function writeDiffs(db: Executor, diffs: PollDiff[], at: string): Promise<void> {
  const updates = diffs.flatMap((d) => d.updates);
  const events = diffs.flatMap((d) => d.events);
  // Only peers whose live values changed are written (with polled_at): a steady poll writes no peer
  // row and no event (the router's poll status says when it was last read).
  await bulkUpdatePeers(db, updates, at);
  for (let i = 0; i < events.length; i += 200)
    await db
      .insertInto('session_state_events')
      .values(events.slice(i, i + 200))
      .execute();
}

/**
 * Stores one poll of a router in the caller's transaction: each known peer gets its state and
 * counts; a change of state or of the received-prefix count adds a history event (from, to, at,
 * reason); peers the router does not report become `unknown` with a reason.
 */
export async function applyPollResults(
  db: Executor,
  routerId: number,
  states: PeerState[],
  at = now(),
): Promise<{ peers: number; changed: number; missing: number; unknown: number }> {
  const diff = diffPoll((await readStoredPeers(db, [routerId])).get(routerId) ?? [], states, at);
  await writeDiffs(db, [diff], at);
  return diff.applied;
}

/** One router's answer (or failure) waiting to be stored. */
export interface PollAnswer {
  routerId: number;
  /** The device's neighbours; null when the poll failed (then `error` says why). */
  states: PeerState[] | null;
  error?: string;
}

/** What storing one answer did. */
export interface StoredAnswer {
  applied: { peers: number; changed: number; missing: number; unknown: number };
  warnings: MaxPrefixUsage[];
}

/** Compares each answer with the stored peers (one read for all of them). */
async function diffAnswers(db: Executor, answers: PollAnswer[], at: string): Promise<(PollDiff | null)[]> {
  const stored = await readStoredPeers(
    db,
    answers.filter((a) => a.states).map((a) => a.routerId),
  );
  return answers.map((a) => (a.states ? diffPoll(stored.get(a.routerId) ?? [], a.states, at) : null));
}

/**
 * The routers' poll status (router_poll_status, one row per router): last polled at (and no error) for
 * answers, the error for failures (the time of the last successful poll stays). One upsert each. The
 * table is quiet for the read caches (platform/generation.ts): a steady poll invalidates nothing.
 */
async function writeStatus(db: Executor, answers: PollAnswer[], at: string, jobId: number | null): Promise<void> {
  const ok = answers
    .filter((a) => a.states)
    .map((a) => ({ router_id: a.routerId, last_polled_at: at, last_poll_error: null, last_poll_job_id: jobId }));
  const failed = answers
    .filter((a) => !a.states)
    .map((a) => ({
      router_id: a.routerId,
      last_polled_at: null,
      last_poll_error: a.error ?? 'failed',
      last_poll_job_id: jobId,
    }));
  if (ok.length) await upsertPollStatus(db, ok, ['last_polled_at', 'last_poll_error', 'last_poll_job_id']);
  if (failed.length) await upsertPollStatus(db, failed, ['last_poll_error', 'last_poll_job_id']);
}

type PollStatusColumn = 'last_polled_at' | 'last_poll_error' | 'last_poll_job_id';

/** Inserts routers' poll status rows, or updates the `set` columns of those that exist. */
export async function upsertPollStatus(
  db: Executor,
  rows: ({ router_id: number } & Pick<RouterPollStatusTable, PollStatusColumn>)[],
  set: PollStatusColumn[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto('router_poll_status')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) =>
        oc.column('router_id').doUpdateSet((eb) => Object.fromEntries(set.map((c) => [c, eb.ref(`excluded.${c}`)]))),
      )
      .execute();
  }
}

const outcome = (d: PollDiff | null): StoredAnswer | null => (d ? { applied: d.applied, warnings: d.warnings } : null);

/**
 * Stores several routers' answers in one transaction: one read of all their peers, compared in
 * memory; only changed peer rows and their events are written (none in the steady state), plus the
 * routers' poll status. Returns one outcome per answer (null for failures).
 */
export async function storePollAnswers(
  db: Db,
  answers: PollAnswer[],
  opts: { jobId?: number | null; at?: string } = {},
): Promise<(StoredAnswer | null)[]> {
  const at = opts.at ?? now();
  const jobId = opts.jobId ?? null;
  return db.transaction().execute(async (tx) => {
    const diffs = await diffAnswers(tx, answers, at);
    await writeDiffs(
      tx,
      diffs.filter((d): d is PollDiff => d !== null),
      at,
    );
    await writeStatus(tx, answers, at, jobId);
    return diffs.map(outcome);
  });
}

/** How long a stored answer may wait for the device calls still in progress to answer too. */
const LINGER_MS = 50;

/**
 * Stores answers as they land, several routers' in one transaction: an answer waits while other
 * device calls of the poll are still in progress (at most LINGER_MS, and until `maxBatch` answers
 * wait), so that a poll's answers go in as few transactions as they can (each has a fixed cost, and
 * SQLite has one writer); the last device call's answer is stored at once. A batch that fails is
 * retried one answer at a time, so one router's bad data does not fail the others.
 */
class PollWriter {
  readonly #db: Db;
  readonly #jobId: number | null;
  readonly #maxBatch: number;
  #queue: { answer: PollAnswer; resolve: (r: StoredAnswer | null) => void; reject: (e: unknown) => void }[] = [];
  #busy = false;
  // Device calls in progress whose answers will come here.
  #reading = 0;
  #linger: NodeJS.Timeout | null = null;
  // Callers waiting for the queue to shrink (see room()).
  #waiting: (() => void)[] = [];

  constructor(db: Db, jobId: number | null, maxBatch = Infinity) {
    this.#db = db;
    this.#jobId = jobId;
    this.#maxBatch = maxBatch;
  }

  /** A device call whose answer will be stored here starts (readDone() when it has ended). */
  reading(): void {
    this.#reading++;
  }

  /** A device call counted by reading() has ended (its answer, if any, is stored first). */
  readDone(): void {
    this.#reading--;
    this.#kick();
  }

  store(answer: PollAnswer): Promise<StoredAnswer | null> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ answer, resolve, reject });
      this.#kick();
    });
  }

  /** Resolves once fewer than `max` answers wait for a transaction (a bound on answers held in memory). */
  room(max: number): Promise<void> {
    if (this.#queue.length < max) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Starts the next transaction now, or when the device calls in progress have answered (bounded). */
  #kick(): void {
    if (this.#busy || !this.#queue.length) return;
    if (this.#reading > 0 && this.#queue.length < this.#maxBatch) {
      this.#linger ??= setTimeout(() => {
        this.#linger = null;
        this.#start();
      }, LINGER_MS);
      return;
    }
    this.#start();
  }

  #start(): void {
    if (this.#linger) clearTimeout(this.#linger);
    this.#linger = null;
    if (this.#busy || !this.#queue.length) return;
    this.#busy = true;
    // Answers that land in the same turn of the event loop share the transaction.
    setImmediate(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    const batch = this.#queue.splice(0);
    for (const wake of this.#waiting.splice(0)) wake();
    try {
      const outs = await storePollAnswers(
        this.#db,
        batch.map((b) => b.answer),
        { jobId: this.#jobId },
      );
      batch.forEach((b, i) => b.resolve(outs[i]!));
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      else {
        for (const b of batch) {
          try {
            b.resolve((await storePollAnswers(this.#db, [b.answer], { jobId: this.#jobId }))[0]!);
          } catch (e) {
            b.reject(e);
          }
        }
      }
    } finally {
      this.#busy = false;
      this.#kick();
    }
  }
}

/** A router's outcome with nothing applied yet (counts 0). */
function emptyResult(router: RouterRow): Omit<RouterPollResult, 'ok' | 'duration_ms'> {
  return {
    id: router.id,
    name: router.name,
    peers: 0,
    changed: 0,
    missing: 0,
    neighbors: 0,
    unknown: 0,
    max_prefix_warnings: 0,
  };
}

/** One router's device call (its driver's listNeighbors): the neighbours, or why it failed. */
async function readRouter(router: RouterRow, opts: PollOptions): Promise<PollAnswer> {
  try {
    const driver = await lookupDriver(router.driver);
    const why = unreachableReason(router, driver, 'list_neighbors');
    if (why) throw new Error(why);
    const session = await openSession(router, driver!, opts.secrets, opts.signal, opts.log);
    try {
      return { routerId: router.id, states: await session.listNeighbors() };
    } finally {
      await session.close().catch(() => {});
    }
  } catch (err) {
    return { routerId: router.id, states: null, error: opts.signal.aborted ? 'cancelled' : errorText(err) };
  }
}

/** Stores one router's answer (through the writer, with the answers landing with it) and logs its outcome. */
async function storeAnswer(
  writer: PollWriter,
  router: RouterRow,
  answer: PollAnswer,
  started: number,
  opts: PollOptions,
): Promise<RouterPollResult> {
  const base = emptyResult(router);
  const log = (m: string, level: 'info' | 'warn' | 'error' = 'info') => opts.log?.(`${router.name}: ${m}`, level);
  const states = answer.states;
  if (!states) {
    const error = answer.error ?? 'failed';
    await writer.store(answer).catch(() => {});
    log(`failed: ${error}`, 'warn');
    return { ...base, ok: false, error, duration_ms: Date.now() - started };
  }
  try {
    const stored = (await writer.store(answer))!;
    const { applied, warnings } = stored;
    for (const w of warnings.slice(0, 20))
      log(
        `${w.peer_ip} (AS${w.remote_asn}) has ${w.received} prefixes, ${w.percent}% of its max-prefix limit ${w.limit}`,
        'warn',
      );
    log(
      `reached: ${states.length} neighbours, ${applied.peers} peers in Peerdesk, ${applied.changed} changed${applied.missing ? `, ${applied.missing} not on the router` : ''}${applied.unknown ? `, ${applied.unknown} unknown to Peerdesk` : ''}`,
    );
    return {
      ...base,
      ok: true,
      ...applied,
      neighbors: states.length,
      max_prefix_warnings: warnings.length,
      duration_ms: Date.now() - started,
    };
  } catch (err) {
    const error = `storing the answer failed: ${errorText(err)}`;
    log(`failed: ${error}`, 'error');
    return { ...base, ok: false, error, duration_ms: Date.now() - started };
  }
}

/** Polls one router through its driver (one listNeighbors call) and stores the result. */
export async function pollOneRouter(db: Db, router: RouterRow, opts: PollOptions): Promise<RouterPollResult> {
  const started = Date.now();
  return storeAnswer(new PollWriter(db, opts.jobId ?? null), router, await readRouter(router, opts), started, opts);
}

/**
 * Polls the given routers (or every router with polling enabled) concurrently with a bound. The bound
 * is on device calls: a router's place goes to the next one as soon as its answer is read, while the
 * answer waits to be stored with the others that land with it (at most twice `concurrency` answers wait).
 */
export async function pollRouters(db: Db, routerIds: number[] | null, opts: PollOptions): Promise<PollResult> {
  const routers = await loadRouters(db, routerIds, { pollingEnabledOnly: routerIds === null });
  if (opts.jobId)
    await linkJob(
      db,
      opts.jobId,
      routers.map((r) => r.id),
      'bgp.poll',
    );
  const limit = opts.concurrency ?? pollConcurrency();
  // Answers waiting for a transaction: a bound on memory, and on the size of one transaction.
  const maxWaiting = 2 * limit;
  const writer = new PollWriter(db, opts.jobId ?? null, maxWaiting);
  const outcomes: Promise<RouterPollResult>[] = [];
  let done = 0;
  await mapBounded(routers, limit, async (r, i) => {
    if (opts.signal.aborted) {
      outcomes[i] = Promise.resolve({ ...emptyResult(r), ok: false, error: 'cancelled', duration_ms: 0 });
      return;
    }
    const started = Date.now();
    writer.reading();
    const answer = await readRouter(r, opts); // (a failure is an answer too: it never throws)
    const outcome = storeAnswer(writer, r, answer, started, opts).then(async (res) => {
      done++;
      await opts.onResult?.(res, done, routers.length);
      return res;
    });
    writer.readDone();
    outcome.catch(() => {}); // (awaited below, with the others)
    outcomes[i] = outcome;
    await writer.room(maxWaiting);
  });
  const results = await Promise.all(outcomes);
  return { routers: results, failed: results.filter((r) => !r.ok).length };
}

/** Records that a job touched these routers (the router page's recent jobs). */
export async function linkJob(db: Executor, jobId: number, routerIds: number[], kind: string): Promise<void> {
  const ids = [...new Set(routerIds)];
  if (!ids.length) return;
  const existing = new Set(
    (await db.selectFrom('router_jobs').select('router_id').where('job_id', '=', jobId).execute()).map((r) =>
      Number(r.router_id),
    ),
  );
  const rows = ids
    .filter((id) => !existing.has(id))
    .map((router_id) => ({ router_id, job_id: jobId, kind, created_at: now() }));
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('router_jobs')
      .values(rows.slice(i, i + 200))
      .execute();
}
