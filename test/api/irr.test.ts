// IRR in the database: validate and import an AS-SET over the whois protocol into versioned prefix
// lists with diffs, hold suspicious refreshes for review, keep lists untouched when the server
// fails, the refresh job, and the template filters reading the stored lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { loadArinRoutes, type RouteObject } from '../support/arin-routes.ts';
import { startIrrdServer, type IrrdServer } from '../support/irrd-server.ts';
import { TEST_AS_SETS } from '../../src/irr/fixtures.test-helper.ts';
import { IrrPool } from '../../src/irr/whois.client.ts';
import { importForPeerAsn } from '../../src/irr/irr.service.ts';
import { startWorker } from '../../src/jobs/worker.ts';

let routes: RouteObject[];
let server: IrrdServer;
let shrunk: IrrdServer;
let broken: IrrdServer;

beforeAll(async () => {
  const arin = loadArinRoutes();
  routes = [...arin.v4, ...arin.v6];
  server = await startIrrdServer({ routes, asSets: TEST_AS_SETS, sources: ['ARIN', 'RIPE'] });
  // The same IRR a day later: AS-DEEP lost most of its members.
  shrunk = await startIrrdServer({
    routes,
    asSets: TEST_AS_SETS.map((s) => (s.name === 'AS-DEEP' ? { ...s, members: ['AS46887'] } : s)),
    sources: ['ARIN', 'RIPE'],
  });
  broken = await startIrrdServer({
    routes,
    asSets: TEST_AS_SETS,
    sources: ['ARIN', 'RIPE'],
    fault: { mode: 'close', afterBytes: 200 },
  });
  process.env.PEERDESK_IRR_HOST = server.address;
  process.env.PEERDESK_IRR_TIMEOUT_MS = '3000';
}, 120_000);
afterAll(async () => {
  await server?.close();
  await shrunk?.close();
  await broken?.close();
  delete process.env.PEERDESK_IRR_HOST;
});

describe.each(engines())('IRR prefix lists on %s', (engine) => {
  let t: TestApp;
  let peerId: number;
  beforeAll(async () => {
    t = await startTestApp(engine);
    peerId = (await t.api('POST', '/api/peer-asns/', { asn: 64501, name: 'Deep Customer', irr_as_set: 'AS-DEEP' })).body
      .id;
  });
  afterAll(async () => t?.close());

  it('validates an AS-SET: unknown to Peerdesk yet, real in the IRR, with loops and missing members', async () => {
    const v = await t.api('POST', '/api/irr/validate/', { as_set: 'AS-PEERDESK' });
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    expect(v.body.known).toEqual([]);
    expect(v.body.irr).toMatchObject({ exists: true, missing: ['AS-MISSING'] });
    expect(v.body.irr.loops.length).toBeGreaterThan(0);
    expect(v.body.irr.prefixCount.ipv4).toBeGreaterThan(0);
    const known = await t.api('POST', '/api/irr/validate/', { as_set: 'AS-DEEP', check_irr: false });
    expect(known.body.known).toEqual([{ id: peerId, asn: 64501, name: 'Deep Customer' }]);
    expect((await t.api('POST', '/api/irr/validate/', { as_set: 'NOT A SET' })).body.errors[0].field).toBe('as_set');
  });

  it('expands on demand like bgpq4 (JSON shape and router formats)', async () => {
    const e = await t.api('POST', '/api/irr/expand/', {
      target: 'AS-DEEP',
      family: '4',
      format: 'junos',
      name: 'DEEP',
    });
    expect(e.status).toBe(200);
    expect(e.body.prefixes.ipv4.length).toBeGreaterThan(0);
    expect(e.body.origins).toEqual([11232, 46887]);
    expect(e.body.text.ipv4).toContain('DEEP');
  });

  it('imports the peer’s AS-SET into one list per family with a first version and an AS-path list', async () => {
    const r = await t.api('POST', `/api/peer-asns/${peerId}/irr-import/`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const v4 = r.body.lists.find((l: any) => l.family === 4);
    expect(v4).toMatchObject({ version: 1, status: 'active', prefix_list: { name: 'IRR-AS64501-V4' } });
    expect(v4.prefix_count).toBe(v4.added);
    expect(r.body.as_path_list).toMatchObject({ name: 'IRR-AS64501', asn_count: 2 });
    const list = await t.api('GET', `/api/prefix-lists/${v4.prefix_list.id}/`);
    expect(list.body).toMatchObject({
      source: 'irr',
      family: 4,
      peer_asn: { asn: 64501 },
      entry_count: v4.prefix_count,
    });
    const expanded = await t.api('POST', '/api/irr/expand/', { target: 'AS-DEEP', family: '4' });
    expect(list.body.entries.map((e: any) => e.prefix)).toEqual(expanded.body.prefixes.ipv4);
    // Importing again with nothing changed makes no new version.
    const again = await t.api('POST', `/api/peer-asns/${peerId}/irr-import/`, {});
    expect(again.body.lists.find((l: any) => l.family === 4).status).toBe('unchanged');
    expect((await t.api('GET', `/api/prefix-lists/${v4.prefix_list.id}/versions/`)).body).toHaveLength(1);
  });

  it('holds a refresh that shrinks the list by more than half, until someone approves it', async () => {
    const list = (await t.api('GET', '/api/prefix-lists/?name=IRR-AS64501-V4')).body.results[0];
    const before = list.entry_count;
    const pool = new IrrPool({ host: shrunk.host, port: shrunk.port, timeoutMs: 3000 });
    try {
      const out = await importForPeerAsn(t.tdb.db, peerId, { actor: { userId: null, username: 'test' } }, pool);
      const v4 = out.lists.find((l) => l.family === 4)!;
      expect(v4.status).toBe('held');
      expect(v4.reason).toMatch(/shrink/);
    } finally {
      pool.close();
    }
    expect((await t.api('GET', `/api/prefix-lists/${list.id}/`)).body.entry_count).toBe(before);
    const held = await t.api('GET', '/api/prefix-list-versions/?status=held');
    const mine = held.body.results.find((v: any) => v.prefix_list === list.id);
    expect(mine).toMatchObject({ version: 2, status: 'held', prefix_list_name: 'IRR-AS64501-V4' });
    expect(mine.removed.length).toBeGreaterThan(0);
    expect(
      (await t.api('POST', `/api/prefix-list-versions/${mine.id}/approve/`, undefined, { role: 'viewer' })).status,
    ).toBe(403);
    const ok = await t.api('POST', `/api/prefix-list-versions/${mine.id}/approve/`);
    expect(ok.body.status).toBe('active');
    const after = (await t.api('GET', `/api/prefix-lists/${list.id}/`)).body;
    expect(after.entry_count).toBe(mine.prefix_count);
    expect((await t.api('POST', `/api/prefix-list-versions/${mine.id}/reject/`)).status).toBe(409);
    const versions = await t.api('GET', `/api/prefix-lists/${list.id}/versions/`);
    expect(versions.body.map((v: any) => [v.version, v.status])).toEqual([
      [2, 'active'],
      [1, 'superseded'],
    ]);
  });

  it('leaves the stored list untouched when the server drops the connection', async () => {
    const list = (await t.api('GET', '/api/prefix-lists/?name=IRR-AS64501-V4')).body.results[0];
    const pool = new IrrPool({ host: broken.host, port: broken.port, timeoutMs: 2000, retries: 1 } as any);
    try {
      await expect(
        importForPeerAsn(t.tdb.db, peerId, { actor: { userId: null, username: 'test' } }, pool),
      ).rejects.toMatchObject({ status: 502, code: 'irr_error' });
    } finally {
      pool.close();
    }
    const now = (await t.api('GET', `/api/prefix-lists/${list.id}/`)).body;
    expect(now.entry_count).toBe(list.entry_count);
    expect((await t.api('GET', `/api/prefix-lists/${list.id}/versions/`)).body).toHaveLength(2);
  });

  it('refreshes every peer as one job, and templates read the stored lists', async () => {
    const p2 = (await t.api('POST', '/api/peer-asns/', { asn: 209, name: 'Lumen', irr_as_set: 'AS3356:AS-TRANSIT' }))
      .body.id;
    const deepBefore = (await t.api('GET', '/api/prefix-lists/?name=IRR-AS64501-V4')).body.results[0];
    const q = await t.api('POST', '/api/irr/refresh/', {});
    expect(q.status).toBe(202);
    const w = startWorker({ db: t.tdb.db, logger: pino({ level: 'silent' }), pollMs: 20 });
    try {
      for (let i = 0; i < 300; i++) {
        const j = (await t.api('GET', `/api/jobs/${q.body.job_id}/`)).body;
        if (j.status === 'succeeded' || j.status === 'failed') {
          expect(j.status, JSON.stringify(j)).toBe('succeeded');
          expect(j.result).toMatchObject({ peers: 2, failed: 0 });
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await w.stop();
    }
    // AS-DEEP's list grew back from the approved shrink: the refresh is accepted, and the list object
    // (its entries and its version, the ETag of optimistic locking) moves on by exactly one.
    const deepAfter = (await t.api('GET', `/api/prefix-lists/${deepBefore.id}/`)).body;
    expect(deepAfter.entry_count).toBeGreaterThan(deepBefore.entry_count);
    expect(deepAfter.version).toBe(deepBefore.version + 1);
    expect((await t.api('GET', `/api/prefix-lists/${deepBefore.id}/versions/`)).body[0]).toMatchObject({
      version: 3,
      status: 'active',
    });
    expect((await t.api('GET', `/api/as-path-lists/?peer_asn=${p2}`)).body.results[0]).toMatchObject({
      name: 'IRR-AS209',
      asns: [174, 20115],
    });
    // A session to AS209 so its lists are in the router's context.
    const router = (await t.api('POST', '/api/routers/', { name: 'rt-irr', local_asn: 64500 })).body;
    const peer = (
      await t.api('POST', '/api/bgp-peers/', { router: router.id, peer_ip: '192.0.2.209', remote_asn: 209 })
    ).body;
    await t.api('POST', '/api/peering-sessions/', { bgp_peer: peer.id });
    await t.api('POST', '/api/templates/', {
      name: 'irr-lists',
      body: '{% for s in sessions %}{% for l in prefix_lists if l.asn == s.peer_asn and l.family == 4 %}{{ l.name }} {{ l.entries|length }}\n{% endfor %}{% for a in as_lists if a.asn == s.peer_asn %}{{ a.name }} {{ a.asns|join(",") }}\n{% endfor %}filters {{ s | prefix_list(4) | length }} {{ s | as_list | join(",") }}\n{% endfor %}',
    });
    const out = await t.api('POST', '/api/render-config/', { template: 'irr-lists', router: router.id });
    const v4 = (await t.api('GET', '/api/prefix-lists/?name=IRR-AS209-V4')).body.results[0];
    expect(out.body.content).toBe(
      `IRR-AS209-V4 ${v4.entry_count}\nIRR-AS209 174,20115\nfilters ${v4.entry_count} 174,20115\n`,
    );
  });
});
