// Polling, state history, admin up/down on the device, maintenance, drift and import through the API,
// on every engine, against an in-memory driver double (the real daemons are in test/lab/polling-*).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import { registerDriverForTests } from '../../src/polling/router-access.ts';
import { fakeDriver, fakeRouter, neighbor, type FakeRouter } from './polling-fake-driver.ts';

const routers = new Map<string, FakeRouter>();

describe.each(engines())('live routers on %s', (engine) => {
  let t: TestApp;
  const ids: Record<string, number> = {};
  const sessions: Record<string, number> = {};
  let edge: FakeRouter;

  async function runJob(jobId: number) {
    const w = startWorker({
      db: t.tdb.db,
      logger: pino({ level: 'silent' }),
      pollMs: 10,
      secrets: new SecretBox('k'.repeat(40)),
    });
    try {
      for (let i = 0; i < 1200; i++) {
        const j = (await t.api('GET', `/api/jobs/${jobId}/`)).body;
        if (['succeeded', 'failed', 'cancelled'].includes(j.status)) return j;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`job ${jobId} did not finish`);
    } finally {
      await w.stop();
    }
  }
  async function refresh(body: object = {}) {
    const q = await t.api('POST', '/api/peering-sessions/refresh/', body);
    expect(q.status, JSON.stringify(q.body)).toBe(202);
    return runJob(q.body.job_id);
  }
  const session = async (ip: string) => (await t.api('GET', `/api/peering-sessions/${sessions[ip]}/`)).body;

  beforeAll(async () => {
    t = await startTestApp(engine);
    routers.clear();
    edge = fakeRouter([
      neighbor('127.0.3.2', 64501, 'established', {
        prefixes_received: 9,
        prefixes_accepted: 9,
        prefixes_advertised: 3,
        description: 'Peer B',
        since: '2026-01-01T00:00:00.000Z',
      }),
      neighbor('127.0.3.3', 64502, 'active', { last_error: 'Hold Timer Expired' }),
      neighbor('127.0.3.4', 64504, 'established', {
        description: 'behind our back',
        prefixes_received: 1,
        prefixes_accepted: 1,
        prefixes_advertised: 1,
      }),
      neighbor('127.0.3.5', 64500, 'established', { description: 'iBGP' }),
    ]);
    routers.set('edge.fake.test', edge);
    routers.set('gone.fake.test', { ...fakeRouter(), unreachable: 'connect ECONNREFUSED 127.0.3.99:179' });
    routers.set('empty.fake.test', fakeRouter());
    registerDriverForTests('openbgpd', fakeDriver('openbgpd', routers));
    const fake = (await t.api('POST', '/api/platforms/', { name: 'Fake', driver: 'openbgpd' })).body;
    const manual = (await t.api('POST', '/api/platforms/', { name: 'Manual', driver: 'manual' })).body;
    for (const [name, hostname, platform] of [
      ['edge', 'edge.fake.test', fake],
      ['gone', 'gone.fake.test', fake],
      ['empty', 'empty.fake.test', fake],
      ['paper', 'paper.example', manual],
    ] as const) {
      const r = await t.api('POST', '/api/routers/', {
        name,
        local_asn: 64500,
        platform: platform.id,
        hostname,
        polling_enabled: true,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids[name] = r.body.id;
    }
    const fabric = (await t.api('POST', '/api/fabrics/', { name: 'LAB-IX' })).body;
    ids.fabric = fabric.id;
    ids.lan = (
      await t.api('POST', '/api/peering-networks/', { fabric: fabric.id, name: 'LAB-IX v4', prefix: '127.0.3.0/24' })
    ).body.id;
    expect(
      (
        await t.api('POST', '/api/peer-asns/bulk/', [
          { asn: 64501, name: 'Peer B', ipv4_max_prefixes: 10 },
          { asn: 64502, name: 'Peer C' },
          { asn: 64503, name: 'Ghost' },
          { asn: 64510, name: 'Paper peer' },
        ])
      ).status,
    ).toBe(201);
    for (const [router, ip, asn, description] of [
      ['edge', '127.0.3.2', 64501, 'Peer B'],
      ['edge', '127.0.3.3', 64502, 'Peer C'],
      ['edge', '127.0.3.9', 64503, null],
      ['paper', '127.0.3.10', 64510, null],
    ] as const) {
      const peer = await t.api('POST', '/api/bgp-peers/', {
        router: ids[router],
        peer_ip: ip,
        remote_asn: asn,
        description,
      });
      expect(peer.status, JSON.stringify(peer.body)).toBe(201);
      sessions[ip] = (
        await t.api('POST', '/api/peering-sessions/', { bgp_peer: peer.body.id, network: ids.lan })
      ).body.id;
    }
  });
  afterAll(async () => {
    registerDriverForTests('openbgpd', null);
    await t?.close();
  });

  it('Refresh polls every router concurrently and reports each outcome; failures do not fail the job', async () => {
    const job = await refresh();
    expect(job.status).toBe('succeeded');
    const byName = Object.fromEntries(job.result.routers.map((r: any) => [r.name, r]));
    expect(job.result.routers.map((r: any) => r.name)).toEqual(['edge', 'empty', 'gone', 'paper']);
    expect(job.result.failed).toBe(2);
    expect(byName.edge).toMatchObject({
      id: ids.edge,
      ok: true,
      peers: 3,
      changed: 2,
      missing: 1,
      neighbors: 4,
      unknown: 2,
      max_prefix_warnings: 1,
    });
    expect(byName.edge.error).toBeUndefined();
    expect(byName.empty).toMatchObject({ ok: true, peers: 0, changed: 0, missing: 0, neighbors: 0, unknown: 0 });
    expect(byName.gone).toMatchObject({ ok: false, error: 'connect ECONNREFUSED 127.0.3.99:179', peers: 0 });
    expect(byName.paper).toMatchObject({ ok: false, error: 'no driver for platform driver "manual" in this release' });
    // One device call per router per poll.
    expect(edge.listCalls).toBe(1);
    const log =
      (await t.api('GET', `/api/jobs/${job.id}/`)).body.log ?? (await t.api('GET', `/api/jobs/${job.id}/log/`)).body;
    const text = JSON.stringify(log);
    expect(text).toContain('gone: failed: connect ECONNREFUSED 127.0.3.99:179');
    expect(text).toContain('edge: 127.0.3.2 (AS64501) has 9 prefixes, 90% of its max-prefix limit 10');

    expect(await session('127.0.3.2')).toMatchObject({
      state: 'established',
      state_since: '2026-01-01T00:00:00.000Z',
      prefixes_received: 9,
      prefixes_accepted: 9,
      prefixes_advertised: 3,
      max_prefixes: 10,
      last_error: null,
    });
    expect(await session('127.0.3.3')).toMatchObject({
      state: 'active',
      prefixes_received: null,
      last_error: 'Hold Timer Expired',
    });
    expect(await session('127.0.3.9')).toMatchObject({ state: 'unknown', last_error: 'not configured on the router' });

    const live = (await t.api('GET', `/api/routers/${ids.gone}/live/`)).body;
    expect(live).toMatchObject({
      pollable: true,
      last_polled_at: null,
      last_poll_error: 'connect ECONNREFUSED 127.0.3.99:179',
      last_poll_job_id: job.id,
      sessions: 0,
    });
    expect(live.recent_jobs.map((j: any) => j.id)).toEqual([job.id]);
    const edgeLive = (await t.api('GET', `/api/routers/${ids.edge}/live/`)).body;
    expect(edgeLive).toMatchObject({
      last_poll_error: null,
      sessions: 3,
      by_state: { established: 1, active: 1, unknown: 1 },
      admin_on_device: true,
      driver: { name: 'openbgpd', capabilities: ['list_neighbors', 'admin_state'] },
    });
    expect(edgeLive.max_prefix_warnings).toEqual([
      { bgp_peer_id: expect.any(Number), peer_ip: '127.0.3.2', remote_asn: 64501, limit: 10, received: 9, percent: 90 },
    ]);
    expect((await t.api('GET', `/api/routers/${ids.paper}/live/`)).body).toMatchObject({
      pollable: false,
      not_pollable_reason: 'no driver for platform driver "manual" in this release',
      admin_on_device: false,
    });
  });

  it('a poll in which nothing changed writes no peer row and no event and keeps the cached lists; the live panel shows when it was polled', async () => {
    const db = t.tdb.db;
    const peersOf = () =>
      db
        .selectFrom('bgp_peers')
        .select(['id', 'state', 'state_since', 'prefixes_received', 'last_error', 'polled_at'])
        .where('router_id', '=', ids.edge)
        .orderBy('id')
        .execute();
    const eventCount = async () =>
      Number(
        (
          await db
            .selectFrom('session_state_events')
            .select((eb) => eb.fn.countAll().as('c'))
            .executeTakeFirstOrThrow()
        ).c,
      );
    const live = async () => (await t.api('GET', `/api/routers/${ids.edge}/live/`)).body;
    // Only this poll runs meanwhile (no scheduled one).
    await db.updateTable('schedules').set({ enabled: false }).execute();
    const before = { peers: await peersOf(), events: await eventCount(), live: await live() };
    const queued = await t.api('POST', `/api/routers/${ids.edge}/poll/`);
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    // The router list, cached (on PostgreSQL a commit's NOTIFY may cost one more miss first).
    const list = () => t.api('GET', '/api/routers/?name=edge');
    let cached = await list();
    for (let i = 0; i < 50 && cached.headers['x-cache'] !== 'hit'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      cached = await list();
    }
    expect(cached.headers['x-cache']).toBe('hit');
    expect(cached.body.results[0].last_polled_at).toBe(before.live.last_polled_at);

    const job = await runJob(queued.body.job_id);
    expect(job.result.routers).toMatchObject([
      { name: 'edge', ok: true, peers: 3, changed: 0, missing: 1, neighbors: 4, unknown: 2, max_prefix_warnings: 1 },
    ]);
    expect(await peersOf()).toEqual(before.peers);
    expect(await eventCount()).toBe(before.events);
    // The live panel (never cached) and the router's own page show the poll at once.
    const after = await live();
    expect(after).toMatchObject({ last_poll_job_id: job.id, last_poll_error: null });
    expect(after.last_polled_at > before.live.last_polled_at).toBe(true);
    expect(after.recent_jobs[0].id).toBe(job.id);
    expect((await t.api('GET', `/api/routers/${ids.edge}/`)).body).toMatchObject({
      last_polled_at: after.last_polled_at,
      last_poll_error: null,
      last_poll_job_id: job.id,
    });
    // The poll's status and job link are quiet writes: the cached list is still served, showing the
    // previous poll's time until some other write (the documented trade-off).
    const again = await list();
    expect(again.headers['x-cache']).toBe('hit');
    expect(again.body).toEqual(cached.body);
    await db.updateTable('schedules').set({ enabled: true }).execute();
    // Any other write shows it (on PostgreSQL once its NOTIFY lands).
    let fresh = await list();
    for (let i = 0; i < 100 && fresh.body.results[0].last_polled_at !== after.last_polled_at; i++) {
      await new Promise((r) => setTimeout(r, 20));
      fresh = await list();
    }
    expect(fresh.body.results[0]).toMatchObject({
      last_polled_at: after.last_polled_at,
      last_poll_error: null,
      last_poll_job_id: job.id,
    });
  });

  it('records every state change with its reason; flaps and time in state per session', async () => {
    const n = edge.neighbors.find((x) => x.peer_ip === '127.0.3.2')!;
    Object.assign(n, {
      state: 'idle',
      since: null,
      prefixes_received: null,
      prefixes_accepted: null,
      prefixes_advertised: null,
      last_error: 'Hold Timer Expired',
    });
    const job = await refresh({ session_ids: [sessions['127.0.3.2']] });
    expect(job.result.routers.map((r: any) => [r.name, r.changed])).toEqual([['edge', 1]]);
    const history = (await t.api('GET', `/api/peering-sessions/${sessions['127.0.3.2']}/state-history/`)).body;
    expect(history.map((h: any) => [h.previous_state, h.state, h.reason, h.prefixes_received])).toEqual([
      ['unknown', 'established', null, 9],
      ['established', 'idle', 'Hold Timer Expired', null],
    ]);
    Object.assign(n, {
      state: 'established',
      last_error: null,
      prefixes_received: 4,
      prefixes_accepted: 4,
      prefixes_advertised: 3,
    });
    await refresh({ session_ids: [sessions['127.0.3.2']] });
    Object.assign(n, {
      state: 'active',
      last_error: 'Cease/Peer De-configured',
      prefixes_received: null,
      prefixes_accepted: null,
      prefixes_advertised: null,
    });
    await refresh({ session_ids: [sessions['127.0.3.2']] });
    const sum = await t.api('GET', `/api/peering-sessions/${sessions['127.0.3.2']}/state-summary/?hours=1`);
    expect(sum.status).toBe(200);
    expect(sum.body).toMatchObject({
      enabled: true,
      state: 'active',
      down_reason: 'Cease/Peer De-configured',
      flaps: 2,
      flaps_total: 2,
      window: { hours: 1 },
      max_prefix: null,
    });
    expect(sum.body.time_in_state.map((x: any) => x.state).sort()).toEqual([
      'active',
      'established',
      'idle',
      'unknown',
    ]);
    expect(sum.body.time_in_state.reduce((a: number, x: any) => a + x.seconds, 0)).toBeGreaterThanOrEqual(3599);
    expect(sum.body.time_in_state.reduce((a: number, x: any) => a + x.seconds, 0)).toBeLessThanOrEqual(3601);
    expect((await t.api('GET', `/api/peering-sessions/999999/state-summary/`)).status).toBe(404);
    expect((await t.api('GET', `/api/peering-sessions/${sessions['127.0.3.2']}/state-summary/?hours=0`)).status).toBe(
      400,
    );
    Object.assign(n, {
      state: 'established',
      last_error: null,
      prefixes_received: 9,
      prefixes_accepted: 9,
      prefixes_advertised: 3,
    });
    await refresh({ session_ids: [sessions['127.0.3.2']] });
    expect(
      (await t.api('GET', `/api/peering-sessions/${sessions['127.0.3.2']}/state-summary/`)).body.max_prefix,
    ).toEqual({ limit: 10, received: 9, percent: 90, warning: true });
  });

  it('Admin Down goes to the device with an RFC 8203 message, persists, re-polls and is a job', async () => {
    const r = await t.api(
      'POST',
      `/api/peering-sessions/${sessions['127.0.3.2']}/admin-down/`,
      { message: 'maintenance until 06:00 UTC' },
      { role: 'operator' },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      status: 'succeeded',
      enabled: false,
      applied_on_device: true,
      failed: 0,
      message: 'maintenance until 06:00 UTC',
    });
    expect(r.body.results).toEqual([
      {
        session_id: sessions['127.0.3.2'],
        bgp_peer_id: expect.any(Number),
        router: { id: ids.edge, name: 'edge' },
        peer_ip: '127.0.3.2',
        ok: true,
        applied_on_device: true,
        reason: null,
        error: null,
        enabled: false,
        state: 'admin-down',
      },
    ]);
    expect(edge.admin.at(-1)).toEqual({ peer_ip: '127.0.3.2', up: false, message: 'maintenance until 06:00 UTC' });
    expect(r.body.routers).toMatchObject([{ name: 'edge', ok: true, changed: 1 }]);
    expect(r.body.sessions[0]).toMatchObject({
      id: sessions['127.0.3.2'],
      enabled: false,
      state: 'admin-down',
      last_error: 'Cease/Administrative Shutdown: maintenance until 06:00 UTC',
    });
    const job = (await t.api('GET', `/api/jobs/${r.body.job_id}/`)).body;
    expect(job).toMatchObject({ kind: 'bgp.admin', status: 'succeeded' });
    // A disabled session never shows Established, even while the router still says so.
    edge.neighbors.find((x) => x.peer_ip === '127.0.3.2')!.state = 'established';
    edge.neighbors.find((x) => x.peer_ip === '127.0.3.2')!.admin_down = false;
    await refresh({ session_ids: [sessions['127.0.3.2']] });
    expect((await session('127.0.3.2')).state).toBe('admin-down');
    expect((await t.api('GET', `/api/peering-sessions/?state=established&router=${ids.edge}`)).body.count).toBe(0);
    const up = await t.api('POST', `/api/peering-sessions/${sessions['127.0.3.2']}/admin-up/`);
    expect(up.body).toMatchObject({
      enabled: true,
      applied_on_device: true,
      results: [{ state: 'established', enabled: true }],
    });
    expect(edge.admin.at(-1)).toEqual({ peer_ip: '127.0.3.2', up: true });
  });

  it('without a driver the change is DB-only and says so; device errors leave the flag alone', async () => {
    const r = await t.api('POST', '/api/peering-sessions/bulk-admin/', {
      ids: [sessions['127.0.3.10'], sessions['127.0.3.3']],
      enabled: false,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const byIp = Object.fromEntries(r.body.results.map((x: any) => [x.peer_ip, x]));
    expect(byIp['127.0.3.10']).toMatchObject({
      ok: true,
      applied_on_device: false,
      reason: 'no driver for platform driver "manual" in this release: changed in Peerdesk only',
      enabled: false,
      state: 'admin-down',
    });
    expect(byIp['127.0.3.3']).toMatchObject({ ok: true, applied_on_device: true, reason: null, enabled: false });
    expect(r.body.applied_on_device).toBe(false);
    edge.failAdminFor = '127.0.3.3';
    const bad = await t.api('POST', `/api/peering-sessions/${sessions['127.0.3.3']}/admin-up/`, {});
    expect(bad.body).toMatchObject({
      failed: 1,
      results: [{ ok: false, error: 'device refused 127.0.3.3', enabled: false }],
    });
    expect((await session('127.0.3.3')).enabled).toBe(false);
    delete edge.failAdminFor;
    expect(
      (await t.api('POST', `/api/peering-sessions/${sessions['127.0.3.3']}/admin-up/`)).body.results[0],
    ).toMatchObject({ ok: true, enabled: true });
    expect(
      (await t.api('POST', `/api/peering-sessions/${sessions['127.0.3.10']}/admin-up/`)).body.results[0],
    ).toMatchObject({ ok: true, applied_on_device: false, enabled: true });
    // Bad input names the field; nothing is 500.
    const missing = await t.api('POST', '/api/peering-sessions/bulk-admin/', {
      ids: [sessions['127.0.3.3'], 987654],
      enabled: false,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors ?? missing.body.fields ?? missing.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'ids.1' })]),
    );
    expect(
      (await t.api('POST', `/api/peering-sessions/${sessions['127.0.3.3']}/admin-down/`, { message: 'x'.repeat(256) }))
        .status,
    ).toBe(400);
    expect((await t.api('POST', `/api/peering-sessions/987654/admin-down/`)).status).toBe(404);
    expect(
      (await t.api('POST', `/api/peering-sessions/${sessions['127.0.3.3']}/admin-down/`, undefined, { role: 'viewer' }))
        .status,
    ).toBe(403);
  });

  it('maintenance takes a router’s sessions down and restores each to its prior admin state', async () => {
    await t.api('POST', `/api/peering-sessions/${sessions['127.0.3.3']}/admin-down/`);
    const start = await t.api('POST', '/api/maintenances/', { router: ids.edge, message: 'line card swap' });
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    expect(start.body.maintenance).toMatchObject({
      scope: 'router',
      router: { id: ids.edge, name: 'edge' },
      status: 'active',
      sessions: 3,
      already_down: 1,
      start_job_id: start.body.action.job_id,
    });
    expect(start.body.action).toMatchObject({ enabled: false, message: 'line card swap' });
    for (const ip of ['127.0.3.2', '127.0.3.3']) expect((await session(ip)).enabled).toBe(false);
    // A session the router does not have cannot be shut there: reported, its flag left alone.
    expect(start.body.action.failed).toBe(1);
    expect(start.body.action.results.find((x: any) => x.peer_ip === '127.0.3.9')).toMatchObject({
      ok: false,
      error: 'no neighbour 127.0.3.9',
      enabled: true,
    });
    expect((await t.api('POST', '/api/maintenances/', { router: ids.edge })).status).toBe(409);
    expect((await t.api('POST', '/api/maintenances/', { router: ids.edge, fabric: ids.fabric })).status).toBe(400);
    const end = await t.api('POST', `/api/maintenances/${start.body.maintenance.id}/end/`);
    expect(end.status, JSON.stringify(end.body)).toBe(200);
    expect(end.body.maintenance).toMatchObject({ status: 'ended', end_job_id: end.body.action.job_id });
    expect(end.body.action.results.map((x: any) => x.peer_ip).sort()).toEqual(['127.0.3.2', '127.0.3.9']);
    expect((await session('127.0.3.2')).enabled).toBe(true);
    expect((await session('127.0.3.3')).enabled).toBe(false);
    expect((await session('127.0.3.9')).enabled).toBe(true);
    expect((await t.api('POST', `/api/maintenances/${start.body.maintenance.id}/end/`)).status).toBe(409);
    expect((await t.api('GET', '/api/maintenances/?status=ended')).body.map((m: any) => m.id)).toContain(
      start.body.maintenance.id,
    );
    await t.api('POST', `/api/peering-sessions/${sessions['127.0.3.3']}/admin-up/`);
  });

  it('drift lists unknown, missing and differing neighbours', async () => {
    edge.neighbors.find((x) => x.peer_ip === '127.0.3.3')!.description = 'Peer C (renamed on the box)';
    const d = await t.api('GET', `/api/routers/${ids.edge}/drift/`, undefined, { role: 'viewer' });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expect(d.body).toMatchObject({ router: { id: ids.edge, name: 'edge' }, neighbors: 4, peers: 3, in_sync: 1 });
    expect(d.body.unknown_on_router).toEqual([
      {
        vrf: null,
        peer_ip: '127.0.3.4',
        remote_asn: 64504,
        description: 'behind our back',
        state: 'established',
        admin_down: false,
      },
      {
        vrf: null,
        peer_ip: '127.0.3.5',
        remote_asn: 64500,
        description: 'iBGP',
        state: 'established',
        admin_down: false,
      },
    ]);
    expect(d.body.missing_on_router).toEqual([
      {
        bgp_peer_id: expect.any(Number),
        session_id: sessions['127.0.3.9'],
        vrf: null,
        peer_ip: '127.0.3.9',
        remote_asn: 64503,
        description: null,
        enabled: true,
      },
    ]);
    expect(d.body.differences).toEqual([
      {
        bgp_peer_id: expect.any(Number),
        session_id: sessions['127.0.3.3'],
        vrf: null,
        peer_ip: '127.0.3.3',
        field: 'description',
        peerdesk: 'Peer C',
        router: 'Peer C (renamed on the box)',
      },
    ]);
    expect((await t.api('GET', `/api/routers/${ids.gone}/drift/`)).status).toBe(502);
    expect((await t.api('GET', `/api/routers/${ids.paper}/drift/`)).status).toBe(409);
    expect((await t.api('GET', `/api/routers/999999/drift/`)).status).toBe(404);
  });

  it('import previews, creates through the wizard path with PeeringDB data, and never twice', async () => {
    await t.tdb.db
      .insertInto('pdb_net')
      .values({
        id: 4504,
        asn: 64504,
        name: 'Backdoor Networks',
        irr_as_set: 'AS-BACKDOOR',
        info_prefixes4: 120,
        info_prefixes6: 30,
        status: 'ok',
        data: '{}',
      })
      .execute();
    const dry = await t.api('POST', `/api/routers/${ids.edge}/import/`, { dry_run: true });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(dry.body).toMatchObject({
      dry_run: true,
      neighbors: 4,
      created: 1,
      existing: 2,
      skipped: 1,
      peer_asns_created: [],
      not_on_router: [],
    });
    const items = Object.fromEntries(dry.body.items.map((i: any) => [i.peer_ip, i]));
    expect(items['127.0.3.4']).toEqual({
      vrf: null,
      peer_ip: '127.0.3.4',
      remote_asn: 64504,
      description: 'behind our back',
      state: 'established',
      action: 'create',
      reason: null,
      network: { id: ids.lan, name: 'LAB-IX v4', prefix: '127.0.3.0/24' },
      peer_asn: { id: null, asn: 64504, name: 'Backdoor Networks', exists: false, from_peeringdb: true },
      session_id: null,
    });
    expect(items['127.0.3.5']).toMatchObject({
      action: 'skip',
      reason: "iBGP (AS64500 is the router's own AS): not a peering session",
    });
    expect(items['127.0.3.2']).toMatchObject({ action: 'exists', session_id: sessions['127.0.3.2'] });
    expect((await t.api('GET', '/api/peer-asns/?asn=64504')).body.count).toBe(0);

    const real = await t.api('POST', `/api/routers/${ids.edge}/import/`, {
      dry_run: false,
      peer_ips: ['127.0.3.4', '127.0.3.77'],
    });
    expect(real.status, JSON.stringify(real.body)).toBe(200);
    expect(real.body).toMatchObject({
      dry_run: false,
      created: 1,
      existing: 0,
      skipped: 0,
      not_on_router: ['127.0.3.77'],
    });
    expect(real.body.peer_asns_created).toHaveLength(1);
    const created = (await t.api('GET', `/api/peering-sessions/${real.body.items[0].session_id}/`)).body;
    expect(created).toMatchObject({
      peer_ip: '127.0.3.4',
      router: { id: ids.edge },
      network: { id: ids.lan },
      peer_asn: { asn: 64504, name: 'Backdoor Networks', irr_as_set: 'AS-BACKDOOR' },
      enabled: true,
      max_prefixes: 120,
    });
    expect((await t.api('GET', `/api/bgp-peers/${created.bgp_peer.id}/`)).body.description).toBe('behind our back');
    expect((await t.api('GET', `/api/jobs/${real.body.job_id}/`)).body).toMatchObject({
      kind: 'router.import',
      status: 'succeeded',
    });

    const again = await t.api('POST', `/api/routers/${ids.edge}/import/`, { dry_run: false });
    expect(again.body).toMatchObject({ created: 0, existing: 3, skipped: 1, peer_asns_created: [] });
    expect((await t.api('GET', `/api/peering-sessions/?router=${ids.edge}`)).body.count).toBe(4);
    expect(
      (await t.api('GET', `/api/routers/${ids.edge}/drift/`)).body.unknown_on_router.map((u: any) => u.peer_ip),
    ).toEqual(['127.0.3.5']);
    expect(
      (await t.api('POST', `/api/routers/${ids.edge}/import/`, { dry_run: false, peer_ips: ['not-an-ip'] })).status,
    ).toBe(400);
    expect((await t.api('POST', `/api/routers/${ids.edge}/import/`, {})).status).toBe(400);
    expect((await t.api('POST', `/api/routers/${ids.gone}/import/`, { dry_run: true })).status).toBe(502);
    expect(
      (await t.api('POST', `/api/routers/${ids.edge}/import/`, { dry_run: true }, { role: 'viewer' })).status,
    ).toBe(403);
  });

  it('polls hundreds of peers of one router in bulk and lists the drivers', async () => {
    const big = fakeRouter();
    routers.set('big.fake.test', big);
    const platform = (await t.api('GET', '/api/platforms/?driver=openbgpd')).body.results[0];
    const router = (
      await t.api('POST', '/api/routers/', {
        name: 'big',
        local_asn: 64500,
        platform: platform.id,
        hostname: 'big.fake.test',
      })
    ).body;
    const peers = Array.from({ length: 450 }, (_, i) => ({
      router: router.id,
      peer_ip: `127.0.4.${(i % 250) + 1}`.replace(/^127\.0\.4/, i < 250 ? '127.0.4' : '127.0.5'),
      remote_asn: 65000 + i,
    }));
    expect((await t.api('POST', '/api/bgp-peers/bulk/', peers)).status).toBe(201);
    big.neighbors = peers.map((p, i) =>
      neighbor(
        p.peer_ip,
        p.remote_asn,
        i % 3 === 0 ? 'established' : 'active',
        i % 3 === 0
          ? { prefixes_received: i, prefixes_accepted: i, prefixes_advertised: 1 }
          : { last_error: 'Connection refused' },
      ),
    );
    const job = await runJob((await t.api('POST', `/api/routers/${router.id}/poll/`)).body.job_id);
    expect(job.result.routers).toMatchObject([
      { name: 'big', ok: true, peers: 450, changed: 450, missing: 0, neighbors: 450, unknown: 0 },
    ]);
    const est = await t.tdb.db
      .selectFrom('bgp_peers')
      .select((eb) => eb.fn.countAll().as('c'))
      .where('router_id', '=', router.id)
      .where('state', '=', 'established')
      .executeTakeFirstOrThrow();
    expect(Number(est.c)).toBe(150);
    const one = await t.tdb.db
      .selectFrom('bgp_peers')
      .selectAll()
      .where('router_id', '=', router.id)
      .where('peer_ip', '=', '127.0.5.3')
      .executeTakeFirstOrThrow();
    expect(one).toMatchObject({ state: 'established', prefixes_received: 252, last_error: null });
    // A second identical poll changes nothing.
    const again = await runJob((await t.api('POST', `/api/routers/${router.id}/poll/`)).body.job_id);
    expect(again.result.routers[0]).toMatchObject({ changed: 0, peers: 450 });
    expect(big.listCalls).toBe(2);
    const drivers = (await t.api('GET', '/api/drivers/')).body;
    expect(drivers.find((d: any) => d.name === 'openbgpd')).toEqual({
      name: 'openbgpd',
      label: 'Fake (openbgpd)',
      available: true,
      capabilities: ['list_neighbors', 'admin_state'],
      hostname_forms: ['fake://NAME'],
    });
    expect(drivers.find((d: any) => d.name === 'manual')).toMatchObject({ available: false });
  });
});

describe('polling settings', () => {
  it('come from the validated configuration: defaults, values as set, and a readable error naming a bad variable', async () => {
    const { pollingConfig } = await import('../../src/platform/config.ts');
    expect(pollingConfig({})).toEqual({
      PEERDESK_POLL_CONCURRENCY: 16,
      PEERDESK_DEVICE_TIMEOUT_MS: 15_000,
      PEERDESK_ADMIN_TIMEOUT_MS: 60_000,
      PEERDESK_SOCKET_DIRS: ['/run/bird', '/var/run/bird', '/run/frr', '/var/run/frr'],
    });
    expect(
      pollingConfig({
        PEERDESK_POLL_CONCURRENCY: '3',
        PEERDESK_DEVICE_TIMEOUT_MS: '2500',
        PEERDESK_SOCKET_DIRS: '/srv/lab/, /run/bird',
      }),
    ).toMatchObject({
      PEERDESK_POLL_CONCURRENCY: 3,
      PEERDESK_DEVICE_TIMEOUT_MS: 2500,
      PEERDESK_SOCKET_DIRS: ['/srv/lab', '/run/bird'],
    });
    expect(() => pollingConfig({ PEERDESK_POLL_CONCURRENCY: '0' })).toThrow(/PEERDESK_POLL_CONCURRENCY/);
    expect(() => pollingConfig({ PEERDESK_SOCKET_DIRS: 'relative/dir' })).toThrow(/PEERDESK_SOCKET_DIRS/);
    // The live features read them from the process environment, following changes.
    const { pollConcurrency, socketDirs } = await import('../../src/polling/router-access.ts');
    const saved = { c: process.env.PEERDESK_POLL_CONCURRENCY, d: process.env.PEERDESK_SOCKET_DIRS };
    try {
      process.env.PEERDESK_POLL_CONCURRENCY = '5';
      process.env.PEERDESK_SOCKET_DIRS = '/srv/one';
      expect([pollConcurrency(), socketDirs()]).toEqual([5, ['/srv/one']]);
      process.env.PEERDESK_POLL_CONCURRENCY = '6';
      expect(pollConcurrency()).toBe(6);
    } finally {
      for (const [k, v] of [
        ['PEERDESK_POLL_CONCURRENCY', saved.c],
        ['PEERDESK_SOCKET_DIRS', saved.d],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
