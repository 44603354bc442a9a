// How a poll of several routers runs: the concurrency bound is on device calls (a router's place goes
// to the next one once its answer is read), answers that land together are stored in one transaction,
// and a router that has not answered yet does not hold the others' answers back for long.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, engines, type TestDb } from '../../test/support/db.ts';
import type { PeerState, RouterDriver } from '../drivers/driver.types.ts';
import { parseIp } from '../platform/ip.ts';
import { pollRouters } from './poll.service.ts';
import { registerDriverForTests } from './router-access.ts';

const DRIVER = 'pollservicetest';

/** A device call the test answers when it wants to (or at once when `hold` is false). */
interface Call {
  router: string;
  answer(): void;
}

/** Routers whose listNeighbors waits for the test; counts the calls in flight. */
class GatedDriver {
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  hold = new Set<string>();

  driver(): RouterDriver {
    return {
      name: DRIVER,
      label: 'Gated test driver',
      capabilities: ['list_neighbors'],
      hostnameForms: ['gated://NAME'],
      open: async (target) => ({
        listNeighbors: () =>
          new Promise<PeerState[]>((resolve) => {
            this.inFlight++;
            this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
            const answer = () => {
              this.inFlight--;
              resolve(neighbours(target.name));
            };
            this.calls.push({ router: target.name, answer });
            if (!this.hold.has(target.name)) setImmediate(answer);
          }),
        async close() {},
      }),
    };
  }
}

/** Each router has two established neighbours (10.<router number>.0.1 and .2). */
function neighbours(router: string): PeerState[] {
  const n = Number(router.replace(/\D/g, ''));
  return [1, 2].map((k) => ({
    vrf: null,
    peer_ip: `10.${n}.0.${k}`,
    remote_asn: 65000 + k,
    local_asn: 64500,
    local_ip: null,
    description: null,
    state: 'established',
    admin_down: false,
    since: null,
    prefixes_received: 5,
    prefixes_accepted: 5,
    prefixes_advertised: 1,
    families: [],
    last_error: null,
  }));
}

async function until<T>(what: string, read: () => Promise<T | null | undefined | false>): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = await read();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(engines())('polling several routers on %s', (engine) => {
  let tdb: TestDb;
  let gated: GatedDriver;
  let ids: number[];

  beforeEach(async () => {
    tdb = await createTestDb(engine);
    gated = new GatedDriver();
    registerDriverForTests(DRIVER, gated.driver());
    const t = new Date().toISOString();
    const stamp = { created_at: t, updated_at: t, version: 1 };
    const platform = await tdb.db
      .insertInto('platforms')
      .values({ name: 'Gated', slug: 'gated', driver: DRIVER, ...stamp })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids = [];
    for (let n = 1; n <= 7; n++) {
      const r = await tdb.db
        .insertInto('routers')
        .values({
          name: `r${n}`,
          hostname: `gated://r${n}`,
          platform_id: Number(platform.id),
          local_asn: 64500,
          status: 'active',
          polling_enabled: true,
          ...stamp,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(Number(r.id));
      await tdb.db
        .insertInto('bgp_peers')
        .values(
          [1, 2].map((k) => {
            const ip = parseIp(`10.${n}.0.${k}`)!;
            return {
              router_id: Number(r.id),
              vrf: '',
              peer_ip: ip.text,
              peer_ip_key: ip.key,
              family: 4,
              local_asn: 64500,
              remote_asn: 65000 + k,
              enabled: true,
              status: 'active',
              ttl_security: false,
              state: 'unknown',
              ...stamp,
            };
          }),
        )
        .execute();
    }
  });
  afterEach(async () => {
    registerDriverForTests(DRIVER, null);
    await tdb?.drop();
  });

  const status = async () =>
    new Map(
      (await tdb.db.selectFrom('router_poll_status').select(['router_id', 'last_polled_at']).execute()).map((s) => [
        Number(s.router_id),
        s.last_polled_at,
      ]),
    );

  it('keeps at most `concurrency` device calls in flight, polls every router and reports them in order', async () => {
    const res = await pollRouters(tdb.db, ids, { signal: new AbortController().signal, concurrency: 3 });
    expect(gated.maxInFlight).toBe(3);
    expect(gated.calls.map((c) => c.router).sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    expect(res.failed).toBe(0);
    expect(res.routers.map((r) => [r.name, r.ok, r.peers, r.changed, r.neighbors])).toEqual(
      ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'].map((name) => [name, true, 2, 2, 2]),
    );
    const peers = await tdb.db.selectFrom('bgp_peers').select(['state', 'prefixes_received']).execute();
    expect(peers).toHaveLength(14);
    expect(peers.every((p) => p.state === 'established' && Number(p.prefixes_received) === 5)).toBe(true);
    expect((await status()).size).toBe(7);
  });

  it('stores answers that land together in one transaction (one poll time for all)', async () => {
    for (let n = 1; n <= 7; n++) gated.hold.add(`r${n}`);
    const poll = pollRouters(tdb.db, ids, { signal: new AbortController().signal, concurrency: 8 });
    await until('every device call', async () => gated.calls.length === 7);
    for (const c of gated.calls) c.answer();
    expect((await poll).failed).toBe(0);
    const times = new Set((await status()).values());
    expect(times.size).toBe(1);
    // Every peer changed (unknown → established) and was written with that time.
    const polled = await tdb.db.selectFrom('bgp_peers').select('polled_at').execute();
    expect(new Set(polled.map((p) => p.polled_at))).toEqual(times);
  });

  it('stores the answers it has while a router has not answered yet', async () => {
    gated.hold.add('r4');
    let settled = false;
    const poll = pollRouters(tdb.db, ids, { signal: new AbortController().signal, concurrency: 8 }).finally(
      () => (settled = true),
    );
    // The six other routers' state is stored while r4's device call is still in progress.
    const stored = await until('the answers that landed', async () => {
      const s = await status();
      return s.size === 6 ? s : null;
    });
    expect(stored.has(ids[3]!)).toBe(false);
    expect(settled).toBe(false);
    gated.calls.find((c) => c.router === 'r4')!.answer();
    const res = await poll;
    expect(res.routers.map((r) => r.ok)).toEqual(Array(7).fill(true));
    expect((await status()).size).toBe(7);
  });
});
