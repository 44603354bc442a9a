// Cancelling deployments and rollouts that have not started, and the worker sweep of deployments whose
// worker died mid-run, against the test suite's Junos NETCONF router (nothing here reaches it: every
// deployment is scheduled, waits for review, or is put in its state directly).
import { hostname } from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { NetconfTestServer } from '../support/netconf-server.ts';
import { addJunosRouter, startJunosTestRouter } from '../support/junos-router.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { runWorkerSweeps } from '../../src/jobs/jobs.service.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import * as m0013 from '../../src/db/migrations/0013_deploy_cancelled.ts';

const POLICY = 'policy-options {\n    prefix-list PEERDESK-CANCEL {\n        198.51.100.0/24;\n    }\n}\n';

describe.each(engines())('cancelling deployments and the stale-deployment sweep on %s', (engine) => {
  let t: TestApp;
  let server: NetconfTestServer;
  let routerId = 0;
  const box = new SecretBox('k'.repeat(40));
  const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
  const job = async (id: number) => (await t.api('GET', `/api/jobs/${id}/`)).body;
  const deployment = async (id: number) => (await t.api('GET', `/api/deployments/${id}/`)).body;
  const scheduled = async (role: 'operator' | 'admin' = 'operator') => {
    const r = await t.api(
      'POST',
      `/api/routers/${routerId}/deploy/`,
      { dry_run: false, run_at: inMs(3600_000) },
      { role },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    return { id: r.body.deployment.id as number, jobId: r.body.job_id as number };
  };

  beforeAll(async () => {
    process.env.PEERDESK_VALIDATE_RESPONSES = '1';
    server = await startJunosTestRouter();
    t = await startTestApp(engine);
    ({ routerId } = await addJunosRouter(t, server, box, {
      name: 'mx-cancel',
      template: { name: 'junos-cancel', body: POLICY },
    }));
  }, 60_000);
  afterAll(async () => {
    delete process.env.PEERDESK_DEPLOY_REVIEW;
    await t?.close();
    await server?.close();
  });
  beforeEach(() => {
    delete process.env.PEERDESK_DEPLOY_REVIEW;
  });

  it('the proposer cancels a scheduled deployment: its job is cancelled, it ends cancelled with who and why; again → 409', async () => {
    const { id, jobId } = await scheduled('operator');
    const r = await t.api('POST', `/api/deployments/${id}/cancel/`, { reason: 'not tonight' }, { role: 'operator' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect([r.body.status, r.body.reason, r.body.failed_check]).toEqual([
      'cancelled',
      'cancelled by operator: not tonight',
      null,
    ]);
    expect(r.body.finished_at).not.toBeNull();
    expect(r.body.log).toMatch(/ warn cancelled by operator: not tonight \(job \d+ cancelled\)\n$/);
    expect((await job(jobId)).status).toBe('cancelled');
    const again = await t.api('POST', `/api/deployments/${id}/cancel/`, {}, { role: 'operator' });
    expect([again.status, again.body.detail]).toEqual([409, `deployment ${id} already ended cancelled`]);
    // Listed under its status.
    const list = (await t.api('GET', `/api/deployments/?status=cancelled&router=${routerId}`)).body;
    expect(list.results.map((d: any) => d.id)).toContain(id);
  });

  it('only the proposer or an admin may cancel; a viewer cannot; bad input is a 400 naming the field; unknown → 404', async () => {
    const { id, jobId } = await scheduled('admin');
    const op = await t.api('POST', `/api/deployments/${id}/cancel/`, {}, { role: 'operator' });
    expect([op.status, op.body.detail]).toEqual([403, 'only the proposer of a deployment or an admin may cancel it']);
    expect((await t.api('POST', `/api/deployments/${id}/cancel/`, {}, { role: 'viewer' })).status).toBe(403);
    const bad = await t.api('POST', `/api/deployments/${id}/cancel/`, { reason: 5 });
    expect([bad.status, bad.body.errors?.map((e: any) => e.field)]).toEqual([400, ['reason']]);
    const extra = await t.api('POST', `/api/deployments/${id}/cancel/`, { why: 'x' });
    expect(extra.status).toBe(400);
    expect((await t.api('POST', '/api/deployments/999999/cancel/', {})).status).toBe(404);
    expect([(await deployment(id)).status, (await job(jobId)).status]).toEqual(['planned', 'queued']);
    const ok = await t.api('POST', `/api/deployments/${id}/cancel/`);
    expect([ok.status, ok.body.status, ok.body.reason]).toEqual([200, 'cancelled', 'cancelled by admin']);
    expect((await job(jobId)).status).toBe('cancelled');
  });

  it('a deployment waiting for review is cancelled (no job yet); an approved, scheduled one too', async () => {
    process.env.PEERDESK_DEPLOY_REVIEW = '1';
    const p = await t.api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: false }, { role: 'operator' });
    expect([p.status, p.body.deployment.status, p.body.job_id]).toEqual([202, 'planned', null]);
    const c = await t.api(
      'POST',
      `/api/deployments/${p.body.deployment.id}/cancel/`,
      { reason: 'wrong router' },
      { role: 'operator' },
    );
    expect([c.status, c.body.status, c.body.reason]).toEqual([200, 'cancelled', 'cancelled by operator: wrong router']);
    // Approve then cancel: the queued job of the approval is cancelled.
    const q = await t.api(
      'POST',
      `/api/routers/${routerId}/deploy/`,
      { dry_run: false, run_at: inMs(3600_000) },
      { role: 'operator' },
    );
    const a = await t.api('POST', `/api/deployments/${q.body.deployment.id}/approve/`, { comment: 'ok' });
    expect([a.status, a.body.deployment.status]).toEqual([202, 'approved']);
    const c2 = await t.api('POST', `/api/deployments/${q.body.deployment.id}/cancel/`, {}, { role: 'operator' });
    expect([c2.status, c2.body.status]).toEqual([200, 'cancelled']);
    expect((await job(a.body.job_id)).status).toBe('cancelled');
    // Approving a cancelled deployment is refused.
    expect((await t.api('POST', `/api/deployments/${q.body.deployment.id}/approve/`, {})).status).toBe(409);
  });

  it('cancelling the queued job through /api/jobs/{id}/cancel/ ends its deployment cancelled', async () => {
    const { id, jobId } = await scheduled('operator');
    const r = await t.api('POST', `/api/jobs/${jobId}/cancel/`, undefined, { role: 'operator' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const d = await deployment(id);
    expect([d.status, d.reason]).toEqual(['cancelled', `cancelled: its job ${jobId} was cancelled before it started`]);
    expect(d.finished_at).not.toBeNull();
    // A worker that polls now leaves it alone (the job is not runnable).
    const w = startWorker({ db: t.tdb.db, logger: pino({ level: 'silent' }), pollMs: 20, secrets: box });
    await w.tick();
    await w.stop();
    expect([(await deployment(id)).status, (await job(jobId)).status]).toEqual(['cancelled', 'cancelled']);
  });

  it('a deployment applying or confirming cannot be cancelled (409 with a clear message)', async () => {
    for (const status of ['applying', 'confirming'] as const) {
      const { id, jobId } = await scheduled('operator');
      await t.tdb.db.updateTable('deployments').set({ status }).where('id', '=', id).execute();
      const r = await t.api('POST', `/api/deployments/${id}/cancel/`, {}, { role: 'operator' });
      expect([r.status, r.body.code, r.body.detail]).toEqual([
        409,
        'not_cancellable',
        `deployment ${id} is ${status}: it has started changing the router and can no longer be cancelled (it ends by its health gate: confirmed or rolled back)`,
      ]);
      expect((await job(jobId)).status).toBe('queued');
      await t.tdb.db.updateTable('deployments').set({ status: 'failed' }).where('id', '=', id).execute();
      await t.api('POST', `/api/jobs/${jobId}/cancel/`);
    }
  });

  it('a scheduled rollout is cancelled with its deployments; a cancelled rollout → 409; cancelling its job directly does the same', async () => {
    const c = await t.api('POST', '/api/rollouts/', { router_ids: [routerId], scheduled: true }, { role: 'operator' });
    expect(c.status, JSON.stringify(c.body)).toBe(202);
    const rid = c.body.rollout.id;
    const denied = await t.api('POST', `/api/rollouts/${rid}/cancel/`, {}, { role: 'viewer' });
    expect(denied.status).toBe(403);
    const r = await t.api(
      'POST',
      `/api/rollouts/${rid}/cancel/`,
      { reason: 'maintenance moved' },
      { role: 'operator' },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect([r.body.status, r.body.reason, r.body.routers.map((x: any) => [x.status, x.reason])]).toEqual([
      'stopped',
      'cancelled by operator: maintenance moved',
      [['cancelled', `cancelled by operator: maintenance moved (rollout #${rid})`]],
    ]);
    expect((await job(c.body.job_id)).status).toBe('cancelled');
    const again = await t.api('POST', `/api/rollouts/${rid}/cancel/`, {}, { role: 'operator' });
    expect([again.status, again.body.detail]).toEqual([409, `rollout ${rid} is stopped`]);
    expect((await t.api('POST', '/api/rollouts/999999/cancel/', {})).status).toBe(404);

    const c2 = await t.api('POST', '/api/rollouts/', { router_ids: [routerId], scheduled: true }, { role: 'operator' });
    const j = await t.api('POST', `/api/jobs/${c2.body.job_id}/cancel/`, undefined, { role: 'operator' });
    expect(j.status).toBe(200);
    const ro = (await t.api('GET', `/api/rollouts/${c2.body.rollout.id}/`)).body;
    expect([ro.status, ro.reason, ro.routers[0].status]).toEqual([
      'stopped',
      `cancelled: its job ${c2.body.job_id} was cancelled before it started`,
      'cancelled',
    ]);
  });

  it('a deployment whose worker died mid-run ends failed (worker_lost) at the sweep, and its router lock is released', async () => {
    const db = t.tdb.db;
    const past = new Date(Date.now() - 120_000).toISOString();
    // Confirming, its job running with an expired lease (the worker stopped renewing it).
    const a = await scheduled('operator');
    await db
      .updateTable('jobs')
      .set({ status: 'running', lease_until: past, worker_id: 'lost-host-4242-abcdef', attempts: 1, run_after: past })
      .where('id', '=', a.jobId)
      .execute();
    await db
      .updateTable('deployments')
      .set({ status: 'confirming', committed: true, started_at: past })
      .where('id', '=', a.id)
      .execute();
    await db.insertInto('deploy_locks').values({ router_id: routerId, deployment_id: a.id, locked_at: past }).execute();
    // Applying, its job failed.
    const b = await scheduled('operator');
    await db
      .updateTable('jobs')
      .set({ status: 'failed', finished_at: past, error: 'x' })
      .where('id', '=', b.jobId)
      .execute();
    await db.updateTable('deployments').set({ status: 'applying', started_at: past }).where('id', '=', b.id).execute();
    // Confirming, its job held by a live worker (this process) with a valid lease: left alone.
    const c = await scheduled('operator');
    await db
      .updateTable('jobs')
      .set({ status: 'running', lease_until: inMs(600_000), worker_id: `${hostname()}-${process.pid}-abcdef` })
      .where('id', '=', c.jobId)
      .execute();
    await db
      .updateTable('deployments')
      .set({ status: 'confirming', committed: true, started_at: past })
      .where('id', '=', c.id)
      .execute();

    expect(await runWorkerSweeps(db)).toBe(2);
    const da = await deployment(a.id);
    expect([da.status, da.failed_check, da.reason]).toEqual([
      'failed',
      'worker_lost',
      `worker lost while confirming: the lease of its job ${a.jobId} expired (the worker lost-host-4242-abcdef stopped renewing it); the change was never confirmed, so the router's own confirm timer reverts it (within 300 s of the commit)`,
    ]);
    expect(da.log).toMatch(/ error failed: worker lost while confirming: .*; router lock released\n$/);
    expect(await db.selectFrom('deploy_locks').selectAll().where('router_id', '=', routerId).execute()).toEqual([]);
    const db_ = await deployment(b.id);
    expect([db_.status, db_.failed_check, db_.reason]).toEqual([
      'failed',
      'worker_lost',
      `worker lost while applying: its job ${b.jobId} is failed; if the commit reached the router, the router's own confirm timer reverts the unconfirmed change (within 300 s of the commit)`,
    ]);
    expect((await deployment(c.id)).status).toBe('confirming');
    // Nothing more to sweep.
    expect(await runWorkerSweeps(db)).toBe(0);

    // A worker starting sweeps too: c's worker is now gone (lease expired) and the new worker ends it.
    await db.updateTable('jobs').set({ lease_until: past }).where('id', '=', c.jobId).execute();
    const w = startWorker({ db, logger: pino({ level: 'silent' }), pollMs: 20, secrets: box });
    try {
      let d: any;
      for (let i = 0; i < 600; i++) {
        d = await deployment(c.id);
        if (d.status !== 'confirming') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect([d.status, d.failed_check]).toEqual(['failed', 'worker_lost']);
    } finally {
      await w.stop();
    }
    for (const x of [a, c])
      await db.updateTable('jobs').set({ status: 'failed', lease_until: null }).where('id', '=', x.jobId).execute();
  });

  it('migration 0013 (the cancelled status) keeps every deployment, its indexes and the router locks, down and up again', async () => {
    const db = t.tdb.db as any;
    const { id } = await scheduled('operator');
    await t.api('POST', `/api/deployments/${id}/cancel/`, {}, { role: 'operator' });
    const held = await scheduled('operator');
    await db
      .insertInto('deploy_locks')
      .values({ router_id: routerId, deployment_id: held.id, locked_at: '2030-01-01T00:00:00.000Z' })
      .execute();
    const rows = async () => db.selectFrom('deployments').selectAll().orderBy('id').execute();
    const indexes = async () =>
      engine === 'postgres'
        ? (
            await sql<{
              n: string;
            }>`select indexname as n from pg_indexes where tablename = 'deployments' order by 1`.execute(db)
          ).rows.map((r) => r.n)
        : (
            await sql<{
              n: string;
            }>`select name as n from sqlite_master where type = 'index' and tbl_name = 'deployments' order by 1`.execute(
              db,
            )
          ).rows.map((r) => r.n);
    const ix = await indexes();
    expect(ix).toEqual(expect.arrayContaining(['deployments_router', 'deployments_status']));
    const before = await rows();
    await m0013.down(db);
    // Down: a cancelled deployment reads failed (the old statuses); nothing else changed.
    const down = await rows();
    expect(down.map((r: any) => r.status)).toEqual(
      before.map((r: any) => (r.status === 'cancelled' ? 'failed' : r.status)),
    );
    await expect(
      db.updateTable('deployments').set({ status: 'cancelled' }).where('id', '=', held.id).execute(),
    ).rejects.toThrow();
    await m0013.up(db);
    const downed = (r: any) =>
      r.status === 'cancelled' ? { ...r, status: 'failed', failed_check: r.failed_check ?? 'cancelled' } : r;
    expect(await rows()).toEqual(before.map(downed));
    expect(before.find((r: any) => r.id === id).status).toBe('cancelled');
    expect(await indexes()).toEqual(ix);
    await db.updateTable('deployments').set({ status: 'cancelled' }).where('id', '=', id).execute();
    await expect(
      db.updateTable('deployments').set({ status: 'bogus' }).where('id', '=', held.id).execute(),
    ).rejects.toThrow();
    expect(await db.selectFrom('deploy_locks').selectAll().execute()).toEqual([
      { router_id: routerId, deployment_id: held.id, locked_at: '2030-01-01T00:00:00.000Z' },
    ]);
    const list = await t.api('GET', `/api/deployments/?status=planned&router=${routerId}`);
    expect(list.body.results.map((d: any) => d.id)).toContain(held.id);
    await db.deleteFrom('deploy_locks').execute();
    await t.api('POST', `/api/deployments/${held.id}/cancel/`, {}, { role: 'operator' });
  });
});
