// A rollout on a real FRR bgpd (lab on 127.0.10.0/24): two Peerdesk routers on the same bgpd, the
// canary's template adds a neighbour nobody answers, so its health gate fails and it is rolled back;
// the second router is then not deployed to and bgpd is exactly as before. A good rollout runs both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { join } from 'node:path';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing, type DaemonLab } from '../support/lab/daemons.ts';
import { sharedLab } from '../support/lab/shared.ts';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import deployRoutes from '../../src/deploy/deploy.routes.ts';

const skip =
  labSkipReason('bgpd', 'frr') ??
  labSkipReason('bird', 'bird2') ??
  labSkipReason('gobgpd', 'gobgpd') ??
  daemonLabMissing();
const shared = sharedLab(10);
afterAll(() => shared.stop(), 60_000);

describe.skipIf(skip)('rollouts on FRR', () => {
  let lab: DaemonLab;
  const saved = {
    dirs: process.env.PEERDESK_SOCKET_DIRS,
    state: process.env.PEERDESK_FRR_STATE_DIR,
    health: process.env.PEERDESK_DEPLOY_HEALTH_TIMEOUT_S,
  };
  let full = '';
  beforeAll(async () => {
    lab = await shared.lab();
    process.env.PEERDESK_SOCKET_DIRS = lab.dir;
    process.env.PEERDESK_FRR_STATE_DIR = join(lab.dir, 'frr-state');
    process.env.PEERDESK_DEPLOY_HEALTH_TIMEOUT_S = '3';
    await lab.waitAllEstablished();
    full = await lab.vtysh('show running-config');
  }, 120_000);
  afterAll(() => {
    for (const [k, v] of [
      ['PEERDESK_SOCKET_DIRS', saved.dirs],
      ['PEERDESK_FRR_STATE_DIR', saved.state],
      ['PEERDESK_DEPLOY_HEALTH_TIMEOUT_S', saved.health],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  describe.each(engines())('on %s', (engine) => {
    let t: TestApp;
    let platform = 0;

    async function waitJob(jobId: number) {
      const w = startWorker({
        db: t.tdb.db,
        logger: pino({ level: 'silent' }),
        pollMs: 20,
        secrets: new SecretBox('k'.repeat(40)),
      });
      try {
        for (let i = 0; i < 2400; i++) {
          const j = (await t.api('GET', `/api/jobs/${jobId}/`)).body;
          if (['succeeded', 'failed', 'cancelled'].includes(j.status)) return j;
          await new Promise((res) => setTimeout(res, 50));
        }
        throw new Error('rollout job did not finish');
      } finally {
        await w.stop();
      }
    }
    async function router(name: string, body: string) {
      const tpl = await t.api('POST', '/api/templates/', { name: `${name}-${engine}`, body });
      expect(tpl.status, JSON.stringify(tpl.body)).toBe(201);
      const r = await t.api('POST', '/api/routers/', {
        name,
        local_asn: lab.nodes.frr.asn,
        platform,
        hostname: lab.nodes.frr.ip,
        config_template: tpl.body.id,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      await t.tdb.db.updateTable('routers').set({ hostname: lab.hostnames.frr }).where('id', '=', r.body.id).execute();
      return { id: r.body.id as number, template: tpl.body.id as number };
    }

    beforeAll(async () => {
      t = await startTestApp(engine);
      if (!t.app.hasRoute({ method: 'POST', url: '/api/routers/:id/deploy/' })) await t.app.register(deployRoutes);
      platform = (await t.api('POST', '/api/platforms/', { name: 'lab frr', driver: 'frr' })).body.id;
    }, 60_000);
    afterAll(() => t?.close());

    it('a canary whose health gate fails is rolled back and the rollout stops; a good rollout runs every router', async () => {
      const before = await lab.vtysh('show running-config');
      // Nothing answers at 127.0.10.99: the canary's added session never reaches Established.
      const canary = await router(
        'frr-canary',
        full.replace(/^router bgp (\d+)$/m, 'router bgp $1\n neighbor 127.0.10.99 remote-as 65099'),
      );
      const second = await router(
        'frr-second',
        full.replace(/^router bgp (\d+)$/m, 'router bgp $1\n neighbor 127.0.10.98 remote-as 65098'),
      );
      const r = await t.api('POST', '/api/rollouts/', { router_ids: [canary.id, second.id], confirm_timeout: 60 });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      await waitJob(r.body.job_id);
      const ro = (await t.api('GET', `/api/rollouts/${r.body.rollout.id}/`)).body;
      expect([ro.status, ro.reason]).toEqual([
        'stopped',
        `stopped: deployment #${ro.routers[0].deployment_id} on frr-canary ended rolled_back (added_sessions_established)`,
      ]);
      expect(ro.routers.map((x: any) => [x.router.name, x.canary, x.status, x.failed_check, x.committed])).toEqual([
        ['frr-canary', true, 'rolled_back', 'added_sessions_established', false],
        ['frr-second', false, 'failed', 'rollout_stopped', false],
      ]);
      expect(await lab.vtysh('show running-config')).toBe(before);

      // Both templates equal to bgpd's configuration: both deployments end done (nothing to change).
      for (const x of [canary, second])
        expect((await t.api('PATCH', `/api/templates/${x.template}/`, { body: full })).status).toBe(200);
      const ok = await t.api('POST', '/api/rollouts/', { router_ids: [canary.id, second.id] });
      await waitJob(ok.body.job_id);
      const done = (await t.api('GET', `/api/rollouts/${ok.body.rollout.id}/`)).body;
      expect([done.status, done.routers.map((x: any) => [x.status, x.reason])]).toEqual([
        'done',
        [
          ['done', 'no changes: nothing committed'],
          ['done', 'no changes: nothing committed'],
        ],
      ]);
      expect(await lab.vtysh('show running-config')).toBe(before);
    }, 180_000);
  });
});
