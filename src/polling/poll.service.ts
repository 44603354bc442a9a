// Applies polled BGP state to the stored peers and records state history (the session charts).
import type { Executor, Db } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import type { PeerState, RouterTarget } from '../drivers/driver.types.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { driverFor } from '../drivers/registry.ts';

export interface PollSummary {
  router: { id: number; name: string };
  ok: boolean;
  error?: string;
  peers: number;
  changed: number;
  missing: number;
}

/**
 * Stores one poll of a router: each known peer gets its state and counts; a change of state or of
 * the received-prefix count adds a history event; peers the router does not report are marked.
 */
export async function applyPollResults(db: Executor, routerId: number, states: PeerState[], at = now()): Promise<{ changed: number; missing: number; peers: number }> {
  const peers = await db.selectFrom('bgp_peers').select(['id', 'vrf', 'peer_ip', 'state', 'prefixes_received', 'state_since']).where('router_id', '=', routerId).execute();
  const byKey = new Map(states.map((s) => [`${s.vrf ?? ''}|${s.peer_ip}`, s]));
  let changed = 0;
  let missing = 0;
  for (const p of peers) {
    const s = byKey.get(`${p.vrf ?? ''}|${p.peer_ip}`);
    const next = s
      ? { state: s.state, since: s.since, received: s.prefixes_received, accepted: s.prefixes_accepted, advertised: s.prefixes_advertised, error: s.last_error }
      : { state: 'unknown', since: null, received: null, accepted: null, advertised: null, error: 'not configured on the router' };
    if (!s) missing++;
    const stateChanged = next.state !== p.state;
    const since = next.since ?? (stateChanged ? at : p.state_since);
    await db
      .updateTable('bgp_peers')
      .set({ state: next.state, state_since: since, prefixes_received: next.received, prefixes_accepted: next.accepted, prefixes_advertised: next.advertised, last_error: next.error, polled_at: at })
      .where('id', '=', p.id)
      .execute();
    if (stateChanged || next.received !== p.prefixes_received) {
      changed++;
      await db
        .insertInto('session_state_events')
        .values({ bgp_peer_id: p.id, time: at, state: next.state, previous_state: p.state, reason: next.error, prefixes_received: next.received, prefixes_accepted: next.accepted, prefixes_advertised: next.advertised })
        .execute();
    }
  }
  await db.updateTable('routers').set({ last_polled_at: at }).where('id', '=', routerId).execute();
  return { changed, missing, peers: peers.length };
}

/** Polls one router through its platform's driver and stores the result. */
export async function pollRouter(db: Db, routerId: number, secrets: SecretBox, signal: AbortSignal): Promise<PollSummary> {
  const r = await db.selectFrom('routers as r').leftJoin('platforms as p', 'p.id', 'r.platform_id').select(['r.id', 'r.name', 'r.hostname', 'r.credentials_enc', 'p.driver']).where('r.id', '=', routerId).executeTakeFirst();
  if (!r) return { router: { id: routerId, name: '?' }, ok: false, error: 'router not found', peers: 0, changed: 0, missing: 0 };
  const summary = { router: { id: Number(r.id), name: r.name as string }, peers: 0, changed: 0, missing: 0 };
  const driver = await driverFor(r.driver);
  if (!driver) return { ...summary, ok: false, error: r.driver ? `no driver for platform driver "${r.driver}" in this release` : 'the router has no platform' };
  const target: RouterTarget = { id: Number(r.id), name: r.name, hostname: r.hostname ?? null, driver: r.driver, credentials: r.credentials_enc ? JSON.parse(secrets.decrypt(r.credentials_enc)) : null };
  try {
    const states = await driver.poll(target, signal);
    const res = await db.transaction().execute((tx) => applyPollResults(tx, Number(r.id), states));
    return { ...summary, ok: true, ...res };
  } catch (err) {
    return { ...summary, ok: false, error: (err as Error).message };
  }
}
