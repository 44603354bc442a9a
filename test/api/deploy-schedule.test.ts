// Scheduled deployments and the rollout list, against the test suite's Junos NETCONF router:
// `run_at` queues the job for that time (a worker leaves it alone until then), bad windows are a 400
// naming run_at on the router deploy and the session Configure / Config Manager; with change review the
// approval queues the job for run_at, or at once (said in the log) when the window passed while waiting;
// GET /api/rollouts/ pages newest first and filters by status.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { NetconfTestServer } from '../support/netconf-server.ts';
import { addJunosRouter, startJunosTestRouter } from '../support/junos-router.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';

const POLICY = 'policy-options {\n    prefix-list PEERDESK-SCHEDULE {\n        198.51.100.0/24;\n    }\n}\n';

describe.each(engines())('scheduled deployments and the rollout list on %s', (engine) => {
  let t: TestApp;
  let server: NetconfTestServer;
  let routerId = 0;
  let templateId = 0;
  let sessionId = 0;
  const box = new SecretBox('k'.repeat(40));

  async function runJob(jobId: number) {
    const w = startWorker({ db: t.tdb.db, logger: pino({ level: 'silent' }), pollMs: 20, secrets: box });
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
  const job = async (id: number) => (await t.api('GET', `/api/jobs/${id}/`)).body;
  const deployment = async (id: number) => (await t.api('GET', `/api/deployments/${id}/`)).body;
  const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

  beforeAll(async () => {
    process.env.PEERDESK_VALIDATE_RESPONSES = '1';
    server = await startJunosTestRouter();
    t = await startTestApp(engine);
    ({ routerId, templateId } = await addJunosRouter(t, server, box, {
      name: 'mx-sched',
      template: { name: 'junos-schedule', body: POLICY },
    }));
    const s = await t.api('POST', '/api/peering-sessions/wizard/', {
      router: routerId,
      peer: { asn: 64501, name: 'Peer 64501', ipv4: '192.0.2.2' },
    });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    sessionId = s.body[0].id;
  }, 60_000);
  afterAll(async () => {
    delete process.env.PEERDESK_DEPLOY_REVIEW;
    await t?.close();
    await server?.close();
  });
  beforeEach(() => {
    delete process.env.PEERDESK_DEPLOY_REVIEW;
  });

  it('run_at must be a date-time in the future, at most 30 days ahead (400 naming run_at)', async () => {
    const paths = [
      `/api/routers/${routerId}/deploy/`,
      `/api/peering-sessions/${sessionId}/configure/`,
      `/api/peering-sessions/${sessionId}/config-manager/`,
    ];
    const before = (await t.api('GET', '/api/deployments/')).body.count;
    for (const path of paths) {
      for (const run_at of [inMs(-60_000), inMs(31 * 86_400_000), 'tomorrow', '2030-13-01T00:00:00Z', 12]) {
        const r = await t.api('POST', path, { dry_run: false, run_at });
        expect(
          [r.status, r.body.errors?.map((e: any) => e.field)],
          `${path} ${run_at}: ${JSON.stringify(r.body)}`,
        ).toEqual([400, ['run_at']]);
      }
    }
    const past = await t.api('POST', paths[0]!, { dry_run: false, run_at: inMs(-60_000) });
    expect(past.body.errors[0].message).toMatch(/^must be in the future/);
    const far = await t.api('POST', paths[0]!, { dry_run: false, run_at: inMs(31 * 86_400_000) });
    expect(far.body.errors[0].message).toBe('at most 30 days ahead');
    // Nothing was created by the refused requests.
    expect((await t.api('GET', '/api/deployments/')).body.count).toBe(before);
  });

  it('a scheduled deployment waits for its window, then runs; without run_at it is null (as soon as possible)', async () => {
    const at = new Date(Date.now() + 3600_000);
    at.setMilliseconds(0);
    const p = await t.api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: false, run_at: at.toISOString() });
    expect(p.status, JSON.stringify(p.body)).toBe(202);
    expect([p.body.deployment.status, p.body.deployment.run_at, p.body.job_id === p.body.deployment.job_id]).toEqual([
      'planned',
      at.toISOString(),
      true,
    ]);
    expect(p.body.deployment.log).toContain(`scheduled for ${at.toISOString()}`);
    expect((await job(p.body.job_id)).run_after).toBe(at.toISOString());
    // A worker polling now leaves it queued and the router untouched.
    const w = startWorker({ db: t.tdb.db, logger: pino({ level: 'silent' }), pollMs: 20, secrets: box });
    await new Promise((r) => setTimeout(r, 500));
    await w.stop();
    expect((await job(p.body.job_id)).status).toBe('queued');
    expect((await deployment(p.body.deployment.id)).status).toBe('planned');
    expect(server.runningText()).not.toContain('PEERDESK-SCHEDULE');
    // The window comes (the clock moved on): the worker runs it.
    await t.tdb.db
      .updateTable('jobs')
      .set({ run_after: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', p.body.job_id)
      .execute();
    await runJob(p.body.job_id);
    const done = await deployment(p.body.deployment.id);
    expect([done.status, done.reason, done.run_at], done.log).toEqual([
      'done',
      'applied and confirmed',
      at.toISOString(),
    ]);
    expect(done.log).toContain(`scheduled window ${at.toISOString()}: started`);
    expect(server.runningText()).toContain('PEERDESK-SCHEDULE');

    const now = await t.api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: true });
    expect(now.body.deployment.run_at).toBeNull();
    expect((await runJob(now.body.job_id)).status).toBe('succeeded');
    const list = (await t.api('GET', `/api/deployments/?router=${routerId}&limit=2`)).body;
    expect(list.results.map((x: any) => [x.id, x.run_at])).toEqual([
      [now.body.deployment.id, null],
      [p.body.deployment.id, at.toISOString()],
    ]);

    // A session's Configure with a window: queued for it too.
    const c = await t.api('POST', `/api/peering-sessions/${sessionId}/configure/`, { run_at: at.toISOString() });
    expect([c.status, c.body.deployment.action, c.body.deployment.run_at]).toEqual([
      202,
      'configure',
      at.toISOString(),
    ]);
    expect((await job(c.body.job_id)).run_after).toBe(at.toISOString());
    await t.api('POST', `/api/jobs/${c.body.job_id}/cancel/`);
  }, 60_000);

  it('with change review, approval queues the job for run_at, or at once when the window passed while waiting', async () => {
    process.env.PEERDESK_DEPLOY_REVIEW = '1';
    const at = new Date(Date.now() + 2 * 86_400_000);
    at.setMilliseconds(0);
    const later = await t.api(
      'POST',
      `/api/routers/${routerId}/deploy/`,
      { dry_run: false, run_at: at.toISOString() },
      { role: 'operator' },
    );
    expect([later.status, later.body.deployment.status, later.body.job_id, later.body.deployment.run_at]).toEqual([
      202,
      'planned',
      null,
      at.toISOString(),
    ]);
    const a = await t.api('POST', `/api/deployments/${later.body.deployment.id}/approve/`, {});
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect((await job(a.body.job_id)).run_after).toBe(at.toISOString());
    expect(a.body.deployment.log).toContain(`approved by admin; runs at ${at.toISOString()} (scheduled window)`);
    await t.api('POST', `/api/jobs/${a.body.job_id}/cancel/`);

    // A window that passes while the proposal waits: it runs on approval, and the log says so.
    await setPolicy('192.0.2.128/25');
    const soon = new Date(Date.now() + 1500);
    const p = await t.api(
      'POST',
      `/api/routers/${routerId}/deploy/`,
      { dry_run: false, run_at: soon.toISOString() },
      { role: 'operator' },
    );
    expect(p.status, JSON.stringify(p.body)).toBe(202);
    expect(p.body.job_id).toBeNull();
    await new Promise((r) => setTimeout(r, Math.max(0, soon.getTime() - Date.now() + 100)));
    const ok = await t.api('POST', `/api/deployments/${p.body.deployment.id}/approve/`, { comment: 'go' });
    expect(ok.status).toBe(202);
    expect(new Date((await job(ok.body.job_id)).run_after).getTime()).toBeLessThanOrEqual(Date.now());
    expect(ok.body.deployment.log).toContain(
      `approved by admin: go; the scheduled window (${soon.toISOString()}) passed while waiting for approval: runs now`,
    );
    await runJob(ok.body.job_id);
    const done = await deployment(p.body.deployment.id);
    expect([done.status, done.reviewed_by, done.run_at], done.log).toEqual(['done', 'admin', soon.toISOString()]);
    expect(server.runningText()).toContain('192.0.2.128/25;');
  }, 60_000);

  async function setPolicy(extra: string) {
    expect(
      (
        await t.api('PATCH', `/api/templates/${templateId}/`, {
          body: POLICY.replace('198.51.100.0/24;', `198.51.100.0/24;\n        ${extra};`),
        })
      ).status,
    ).toBe(200);
  }

  it('GET /api/rollouts/ lists rollouts newest first, paged, filtered by status', async () => {
    const made: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await t.api('POST', '/api/rollouts/', { router_ids: [routerId], dry_run: true }, { role: 'operator' });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      await runJob(r.body.job_id);
      made.push(r.body.rollout.id);
    }
    const sched = await t.api('POST', '/api/rollouts/', { router_ids: [routerId], dry_run: true, scheduled: true });
    expect(sched.body.rollout.status).toBe('scheduled');
    made.push(sched.body.rollout.id);

    const all = await t.api('GET', '/api/rollouts/', undefined, { role: 'viewer' });
    expect(all.status).toBe(200);
    expect([all.body.count, all.body.next, all.body.previous]).toEqual([4, null, null]);
    expect(all.body.results.map((r: any) => [r.id, r.status])).toEqual([
      [made[3], 'scheduled'],
      [made[2], 'done'],
      [made[1], 'done'],
      [made[0], 'done'],
    ]);
    const first = all.body.results[1];
    expect(first.routers).toEqual([
      {
        order: 1,
        canary: false,
        router: { id: routerId, name: 'mx-sched' },
        deployment_id: expect.any(Number),
        status: 'done',
        reason: 'dry run: diff computed, nothing applied',
        failed_check: null,
        has_changes: expect.any(Boolean),
        committed: false,
      },
    ]);
    expect(first).toEqual((await t.api('GET', `/api/rollouts/${made[2]}/`)).body);

    const page = (await t.api('GET', '/api/rollouts/?limit=2&offset=1')).body;
    expect([page.count, page.results.map((r: any) => r.id), page.next, page.previous]).toEqual([
      4,
      [made[2], made[1]],
      '/api/rollouts/?limit=2&offset=3',
      '/api/rollouts/?limit=2&offset=0',
    ]);
    const done = (await t.api('GET', '/api/rollouts/?status=done')).body;
    expect([done.count, done.results.map((r: any) => r.id)]).toEqual([3, [made[2], made[1], made[0]]]);
    expect((await t.api('GET', '/api/rollouts/?status=stopped')).body).toEqual({
      count: 0,
      next: null,
      previous: null,
      results: [],
    });
    for (const q of ['status=nope', 'limit=0', 'offset=-1', 'colour=red']) {
      const bad = await t.api('GET', `/api/rollouts/?${q}`);
      expect([bad.status, bad.body.errors?.[0]?.field], q).toEqual([400, `querystring.${q.split('=')[0]}`]);
    }
    await t.api('POST', `/api/jobs/${sched.body.job_id}/cancel/`);
  }, 60_000);
});
